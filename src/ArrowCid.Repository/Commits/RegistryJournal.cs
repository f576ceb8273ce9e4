using System.Buffers.Binary;
using ArrowCid.Arrow.IO;

namespace ArrowCid.Repository;

/// <summary>
/// The durable record of what the registry holds beyond the packs' log (docs/repository.md,
/// "Registry journal"): names' versions, tags, pins and deletions, and the rows a compaction drops
/// from the packs' log. One append-only file per registry, shared by every process of the
/// repository: magic <c>ACJRNL1\n</c>, then entries, each a u32 payload length, the payload and an
/// 8-byte check (the first bytes of the SHA-256 of length and payload). An append holds an
/// exclusive flock on the file, cuts a torn tail a crashed writer left, writes and syncs; a failed
/// write is cut again, so a reader stops only at the end. The registry can be rebuilt from it
/// (<see cref="LocalRepository.RebuildRegistry"/>).
/// </summary>
internal sealed class RegistryJournal
{
    /// <summary>The local registry's journal, in the repository folder.</summary>
    public const string FileName = "registry.journal";

    /// <summary>The journal of what this repository's node wrote to a registry it shares with other nodes.</summary>
    public const string SharedFileName = "shared-registry.journal";

    private const int HeadLength = sizeof(uint);
    private const int CheckLength = 8;

    // An entry's payload is a few rows or one change; a larger length is damage, not an entry.
    private const int MaxPayload = 64 << 20;

    private static ReadOnlySpan<byte> Magic => "ACJRNL1\n"u8;

    private readonly TimeSpan _lockTimeout;

    // Guards _validEnd; the flock serialises processes, this the threads of this one.
    private readonly object _gate = new();

    // Where the entries this process last saw whole end (-1: not read yet): an append checks only what lies past it.
    private long _validEnd = -1;

    /// <summary>A journal at <paramref name="path"/> (created at the first append).</summary>
    public RegistryJournal(string path, TimeSpan lockTimeout)
    {
        Path = System.IO.Path.GetFullPath(path);
        _lockTimeout = lockTimeout;
    }

    /// <summary>The journal file.</summary>
    public string Path { get; }

    /// <summary>Another journal in the same folder, with the same lock timeout.</summary>
    public RegistryJournal Beside(string fileName) => new(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, fileName), _lockTimeout);

    /// <summary>Appends entries, then (unless <paramref name="sync"/> is false) makes them durable: when it returns they survive a crash.</summary>
    /// <param name="payloads">The entries' payloads, in order.</param>
    /// <param name="sync">Whether to fsync before returning.</param>
    public void Append(IReadOnlyList<byte[]> payloads, bool sync = true)
    {
        if (payloads.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            bool created = !File.Exists(Path);
            FileFaults.Check(FileOperation.Create, Path);
            using var file = LockedFile.Open(Path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, _lockTimeout, e =>
                new RepositoryBusyException($"the registry journal is busy: another process held it for more than {_lockTimeout.TotalSeconds:0} s", e));
            long end = WholeEnd(file);
            byte[] bytes = Frame(payloads, end == 0);
            try
            {
                FileFaults.Check(FileOperation.Write, Path);
                RandomAccess.Write(file.SafeFileHandle, bytes, end);
                if (sync)
                {
                    FileFaults.Check(FileOperation.Sync, Path);
                    file.Flush(flushToDisk: true);
                    if (created)
                    {
                        DurableFile.FlushDirectory(System.IO.Path.GetDirectoryName(Path)!);
                    }
                }
            }
            catch
            {
                // What was written may be torn: cut it, so the next entry follows the last whole one.
                _validEnd = -1;
                TryCut(file, end);
                throw;
            }

            _validEnd = end + bytes.Length;
        }
    }

    /// <summary>Every whole entry's payload, in the order appended; a torn tail ends the list.</summary>
    /// <exception cref="InvalidDataException">The file is not a registry journal.</exception>
    public IEnumerable<byte[]> ReadAll()
    {
        if (!File.Exists(Path))
        {
            yield break;
        }

        using var file = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1 << 16);
        foreach (byte[] payload in Entries(file, $"{Path} is not a registry journal"))
        {
            yield return payload;
        }
    }

    // Every whole entry of a journal read from its start, in order; a torn or damaged entry ends them.
    private static IEnumerable<byte[]> Entries(Stream journal, string notAJournal)
    {
        var reader = new BufferedEntries(journal);
        if (!reader.ReadMagic())
        {
            throw new InvalidDataException(notAJournal);
        }

        while (reader.Next() is { } payload)
        {
            yield return payload;
        }
    }

    // Under the flock: where the whole entries end, past the point this process last saw; a torn tail is cut.
    private long WholeEnd(FileStream file)
    {
        long length = file.Length;
        if (_validEnd >= Magic.Length && length == _validEnd)
        {
            return length;
        }

        file.Position = 0;
        var reader = new BufferedEntries(file);
        if (length < Magic.Length || !reader.ReadMagic())
        {
            if (length > Magic.Length)
            {
                throw new InvalidDataException($"{Path} is not a registry journal");
            }

            // A file a crash left empty or with a torn magic starts over.
            TryCut(file, 0);
            return 0;
        }

        if (_validEnd > Magic.Length && _validEnd <= length)
        {
            reader.Skip(_validEnd);
        }

        while (reader.Next() is not null)
        {
        }

        long end = reader.Position;
        if (end < length)
        {
            FileFaults.Check(FileOperation.Delete, Path);
            file.SetLength(end);
        }

        return end;
    }

    private void TryCut(FileStream file, long length)
    {
        try
        {
            FileFaults.Check(FileOperation.Delete, Path);
            file.SetLength(length);
        }
        catch (IOException)
        {
            // The next append finds the torn tail and cuts it.
        }
    }

    /// <summary>Entries framed as a journal file holds them, magic first: a whole journal in one buffer (a copy of entries kept elsewhere).</summary>
    /// <param name="payloads">The entries' payloads, in order.</param>
    /// <returns>The framed bytes.</returns>
    public static byte[] Encode(IReadOnlyList<byte[]> payloads) => Frame(payloads, withMagic: true);

    /// <summary>The whole entries of a journal held in a buffer (<see cref="Encode"/>), in order; a damaged entry ends the list.</summary>
    /// <param name="bytes">The framed bytes.</param>
    /// <returns>The payloads.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a journal.</exception>
    public static List<byte[]> Decode(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        return [.. Entries(stream, "not a registry journal")];
    }

    private static byte[] Frame(IReadOnlyList<byte[]> payloads, bool withMagic)
    {
        int length = withMagic ? Magic.Length : 0;
        foreach (byte[] payload in payloads)
        {
            length += HeadLength + payload.Length + CheckLength;
        }

        byte[] bytes = new byte[length];
        int at = 0;
        if (withMagic)
        {
            Magic.CopyTo(bytes);
            at = Magic.Length;
        }

        foreach (byte[] payload in payloads)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)payload.Length);
            payload.CopyTo(bytes.AsSpan(at + HeadLength));
            Check(bytes.AsSpan(at, HeadLength + payload.Length)).CopyTo(bytes.AsSpan(at + HeadLength + payload.Length));
            at += HeadLength + payload.Length + CheckLength;
        }

        return bytes;
    }

    private static byte[] Check(ReadOnlySpan<byte> framed) => Content.Sha256.HashData(framed)[..CheckLength];

    // Reads entries in turn from a stream positioned at the file's start.
    private sealed class BufferedEntries(Stream file)
    {
        public long Position { get; private set; }

        public bool ReadMagic()
        {
            Span<byte> magic = stackalloc byte[Magic.Length];
            if (file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) != magic.Length || !magic.SequenceEqual(Magic))
            {
                return false;
            }

            Position = Magic.Length;
            return true;
        }

        public void Skip(long to)
        {
            file.Position = to;
            Position = to;
        }

        // The next whole entry's payload; null at the end or at a torn or damaged entry (Position stays before it).
        public byte[]? Next()
        {
            Span<byte> head = stackalloc byte[HeadLength];
            if (file.ReadAtLeast(head, HeadLength, throwOnEndOfStream: false) != HeadLength)
            {
                return null;
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (length > MaxPayload || length + (long)CheckLength > file.Length - Position - HeadLength)
            {
                return null;
            }

            byte[] framed = new byte[HeadLength + length + CheckLength];
            head.CopyTo(framed);
            if (file.ReadAtLeast(framed.AsSpan(HeadLength), framed.Length - HeadLength, throwOnEndOfStream: false) != framed.Length - HeadLength
                || !Check(framed.AsSpan(0, HeadLength + (int)length)).AsSpan().SequenceEqual(framed.AsSpan(HeadLength + (int)length)))
            {
                return null;
            }

            Position += framed.Length;
            return framed[HeadLength..(HeadLength + (int)length)];
        }
    }
}
