using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Segments;

/// <summary>
/// Maps a segment read-only under a lease, checks it and reads its batch without copying. Order
/// matters: open, take flock(LOCK_SH) (the lease), make sure the file is still linked (an evictor
/// may have unlinked it between our open and our lock), map, verify, parse.
/// </summary>
internal static class SegmentAttacher
{
    private const int Attempts = 4;

    /// <summary>The batch of segment <paramref name="path"/> and the segment's length, or null when there is no such segment.</summary>
    public static RecordBatch? TryAttach(Cid cid, string path, SegmentVerification verification, out long length)
    {
        length = 0;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var segment = LockedFile.TryOpen(path, writable: false);
            if (segment is null)
            {
                return null;
            }

            FileStatus status;
            try
            {
                segment.LockShared();
                status = segment.Status();
            }
            catch
            {
                segment.Dispose();
                throw;
            }

            if (status.LinkCount == 0)
            {
                // Evicted while we waited for the lock; a republished segment may be at the path now.
                segment.Dispose();
                continue;
            }

            length = status.Size;
            return MapAndRead(cid, path, segment, status, verification);
        }

        return null;
    }

    private static RecordBatch MapAndRead(Cid cid, string path, LockedFile segment, FileStatus status, SegmentVerification verification)
    {
        MappedFileMemory mapping;
        try
        {
            // The lease pins the path to this inode: eviction needs LOCK_EX and publish never replaces.
            mapping = MappedFileMemory.Open(path);
        }
        catch
        {
            segment.Dispose();
            throw;
        }

        var owner = new SharedLease(new SegmentLease(mapping, segment));
        try
        {
            bool hash = verification == SegmentVerification.Full || !IsOwnPrivateFile(status);
            if (hash)
            {
                VerifyHash(cid, path, mapping.Memory.Span);
            }

            var memory = mapping.Memory;
            if (!hash && memory.Length > FaultAroundBytes && EndsWithEndOfStream(segment, memory.Length))
            {
                // Checked with pread above, the marker need not be read through the mapping: that
                // read would fault in a page a gigabyte away (a page table to allocate now and to
                // free at unmap) only to find the stream's end. The reader gets the stream without
                // it and must still find exactly one batch before the end: anything between the
                // batch and the marker is still parsed and refused, as with the marker.
                memory = memory[..^EncodedMessage.EndOfStream.Length];
            }

            return ReadSingleBatch(path, memory, owner, hash ? ValidationLevel.Full : ValidationLevel.Structural);
        }
        finally
        {
            // The creator's reference: from here only the returned batch (and its exports) keep the segment.
            owner.Release();
        }
    }

    // The kernel maps up to 16 pages around a faulting one: in a segment this small the first read
    // has most likely mapped the end too, so reading the marker through the mapping costs nothing.
    private const int FaultAroundBytes = 64 << 10;

    // The canonical stream's last 8 bytes (docs/canonical-form.md): continuation marker, length 0.

    private static bool EndsWithEndOfStream(LockedFile segment, long length)
    {
        Span<byte> tail = stackalloc byte[EncodedMessage.EndOfStream.Length];
        return RandomAccess.Read(segment.Handle, tail, length - tail.Length) == tail.Length && EncodedMessage.StartsWithEndOfStream(tail);
    }

    private static bool IsOwnPrivateFile(FileStatus status) =>
        status.UserId == LinuxNative.EffectiveUserId() && (status.Mode & 0b000_010_010) == 0;

    /// <summary>Refuses bytes that do not hash to the CID.</summary>
    public static void VerifyHash(Cid cid, object path, ReadOnlySpan<byte> bytes)
    {
        Span<byte> digest = stackalloc byte[Sha256.DigestBytes];
        Sha256.HashData(bytes, digest);
        if (!digest.SequenceEqual(cid.Hash.Digest))
        {
            throw new ShmSegmentCorruptedException($"{path}: the {bytes.Length} bytes do not hash to {cid} (corrupted or truncated segment refused)");
        }
    }

    /// <summary>The one record batch of a canonical stream, its buffers in <paramref name="memory"/> under <paramref name="owner"/>.</summary>
    public static RecordBatch ReadSingleBatch(object path, ReadOnlyMemory<byte> memory, SharedLease owner, ValidationLevel validation)
    {
        RecordBatch? batch = null;
        try
        {
            using var reader = new ArrowStreamReader(memory, new IpcReadOptions { Validation = validation }, owner);
            batch = reader.ReadNext() ?? throw new ShmSegmentCorruptedException($"{path}: the segment holds no record batch");
            using var extra = reader.ReadNext();
            if (extra is not null)
            {
                throw new ShmSegmentCorruptedException($"{path}: the segment holds more than one record batch");
            }

            return batch;
        }
        catch (ArrowFormatException e)
        {
            batch?.Dispose();
            throw new ShmSegmentCorruptedException($"{path}: not a valid Arrow IPC stream: {e.Message}", e);
        }
        catch
        {
            batch?.Dispose();
            throw;
        }
    }
}
