using System.Buffers;
using ArrowCid.Arrow.IO;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// CIDs in the order they were added, read back in chunks, for lists as long as a repository (what
/// one garbage collection removed): up to a bound they are held in memory; given a folder, the rest
/// go to a temporary file there (deleted as soon as it is opened, so nothing outlives the list, even
/// a crash), each as a length byte and the binary CID. A disk too full to take them leaves them in
/// memory: the list never loses a CID.
/// </summary>
public sealed class CidSpillList : IDisposable
{
    /// <summary>CIDs held in memory before they are written out: 2,048 (about 75 KiB).</summary>
    public const int DefaultSpillThreshold = 1 << 11;

    private readonly List<Cid> _held = [];
    private readonly int _spillThreshold;
    private string? _spillFolder;
    private SafeFileHandle? _file;
    private long _written;
    private long _spilledCount;
    private bool _disposed;

    /// <summary>A list that spills to <paramref name="spillFolder"/> beyond <paramref name="spillThreshold"/> CIDs held.</summary>
    /// <param name="spillFolder">Where the temporary file goes (the repository's folder); null: held in memory.</param>
    /// <param name="spillThreshold">CIDs held in memory before they are written out.</param>
    public CidSpillList(string? spillFolder, int spillThreshold = DefaultSpillThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(spillThreshold, 1);
        _spillFolder = spillFolder;
        _spillThreshold = spillThreshold;
    }

    /// <summary>CIDs added.</summary>
    public long Count => _spilledCount + _held.Count;

    /// <summary>Whether some CIDs were written out.</summary>
    public bool Spilled => _spilledCount > 0;

    /// <summary>Adds a CID at the end.</summary>
    /// <param name="cid">The CID.</param>
    public void Add(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _held.Add(cid);
        if (_held.Count >= _spillThreshold && _spillFolder is not null)
        {
            TrySpill();
        }
    }

    /// <summary>Every CID in the order added, in chunks of at most <paramref name="chunkLength"/>; the written-out ones read back a buffer at a time.</summary>
    /// <param name="chunkLength">The longest chunk.</param>
    /// <returns>The chunks (each a new list).</returns>
    public IEnumerable<IReadOnlyList<Cid>> ReadChunks(int chunkLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkLength, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Chunks(chunkLength);
    }

    private IEnumerable<IReadOnlyList<Cid>> Chunks(int chunkLength)
    {
        var chunk = new List<Cid>(Math.Min(chunkLength, 4096));
        if (_file is { } file)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
            try
            {
                long at = 0;
                int filled = 0;
                while (at < _written || filled > 0)
                {
                    int read = PositionalRead.Fill(file, buffer.AsSpan(filled, (int)Math.Min(buffer.Length - filled, _written - at)), at);
                    at += read;
                    filled += read;
                    int used = 0;
                    while (used < filled && used + 1 + buffer[used] <= filled)
                    {
                        chunk.Add(Cid.FromBytes(buffer.AsSpan(used + 1, buffer[used])));
                        used += 1 + buffer[used];
                        if (chunk.Count == chunkLength)
                        {
                            yield return chunk;
                            chunk = new List<Cid>(Math.Min(chunkLength, 4096));
                        }
                    }

                    if (used == 0 && read == 0)
                    {
                        throw new IOException("a spilled CID list ended inside a CID");
                    }

                    buffer.AsSpan(used, filled - used).CopyTo(buffer);
                    filled -= used;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        foreach (var cid in _held)
        {
            chunk.Add(cid);
            if (chunk.Count == chunkLength)
            {
                yield return chunk;
                chunk = new List<Cid>(Math.Min(chunkLength, 4096));
            }
        }

        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        _file?.Dispose();
        _file = null;
        _held.Clear();
    }

    // Appends what memory holds to the file; on a full disk, stops spilling and keeps everything in memory.
    private void TrySpill()
    {
        int length = 0;
        foreach (var cid in _held)
        {
            length += 1 + cid.EncodedLength;
        }

        byte[] bytes = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int at = 0;
            foreach (var cid in _held)
            {
                bytes[at] = checked((byte)cid.EncodedLength);
                cid.Bytes.CopyTo(bytes.AsSpan(at + 1));
                at += 1 + cid.EncodedLength;
            }

            _file ??= ScratchFile.Create(_spillFolder!, "cid-list");
            FileFaults.Check(FileOperation.Write, Path.Combine(_spillFolder!, "cid-list.tmp"));
            RandomAccess.Write(_file, bytes.AsSpan(0, length), _written);
            _written += length;
            _spilledCount += _held.Count;
            _held.Clear();
        }
        catch (IOException)
        {
            // No room for them (a partial write lies past _written and is never read): memory keeps every CID from now on.
            _spillFolder = null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
