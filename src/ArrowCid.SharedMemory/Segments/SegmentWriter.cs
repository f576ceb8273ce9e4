using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Segments;

/// <summary>
/// Writes a batch's canonical bytes once into a new segment file. The bytes go to a temp name in
/// the segments folder and are linked to their final name without replacing anything, so a
/// segment is never seen half-written and an existing segment (which readers may hold leases on)
/// is never replaced.
/// </summary>
internal static class SegmentWriter
{
    /// <summary>The CID and length of a batch's canonical encoding.</summary>
    public static (Cid Cid, long Length) Hash(RecordBatch batch) => CanonicalEncoder.ComputeCidAndLength(batch);

    /// <summary>Writes the canonical bytes of <paramref name="batch"/> to a fresh temp file; returns its path and length.</summary>
    public static (string TempPath, long Length) WriteTemp(RecordBatch batch, string segmentsFolder, UnixFileMode mode)
    {
        string temp = Path.Combine(segmentsFolder, ShmStoreLayout.TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using var stream = LockedFile.CreateNew(temp, (int)mode, 1 << 16);
            CanonicalEncoder.Encode(batch, stream);
            stream.Flush();
            return (temp, stream.Length);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Writes already encoded canonical <paramref name="bytes"/> to a fresh temp file; returns its path.</summary>
    public static string WriteTemp(ReadOnlySpan<byte> bytes, string segmentsFolder, UnixFileMode mode)
    {
        string temp = Path.Combine(segmentsFolder, ShmStoreLayout.TempPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            using var stream = LockedFile.CreateNew(temp, (int)mode, 0);
            stream.Write(bytes);
            return temp;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Links <paramref name="tempPath"/> to <paramref name="finalPath"/>; false (temp removed) when the segment already exists.</summary>
    public static bool Commit(string tempPath, string finalPath)
    {
        // link(2) is the atomic test: exactly one of several publishers of one CID gets the name.
        try
        {
            return LinuxNative.Link(tempPath, finalPath);
        }
        finally
        {
            File.Delete(tempPath);
        }
    }

    /// <summary>Sum of the batch's buffer sizes: enough to pick the one-chunk path and the arena.</summary>
    public static long BufferBytes(RecordBatch batch)
    {
        // Loops, not LINQ: this runs on every publish of the small-batch fast path.
        long total = 0;
        foreach (var column in batch.Columns)
        {
            total += BufferBytes(column);
        }

        return total;
    }

    private static long BufferBytes(ArrayData array)
    {
        long total = array.Dictionary is null ? 0 : BufferBytes(array.Dictionary);
        foreach (var buffer in array.Buffers)
        {
            total += buffer.Length;
        }

        foreach (var child in array.Children)
        {
            total += BufferBytes(child);
        }

        return total;
    }
}
