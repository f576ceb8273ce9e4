using System.Buffers;
using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>Torn-tail recovery: a pack whose writer died is checked from its last seal (every block after it hashed), cut at the first torn record and sealed.</summary>
public sealed partial class PackStore
{
    /// <summary>
    /// Packs whose writer is gone and whose tail holds bytes no whole record explains (a crash mid
    /// append): pack id, where the whole records end, and the file's length.
    /// </summary>
    /// <returns>The torn tails found.</returns>
    public IReadOnlyList<(ulong Pack, long WholeTo, long Length)> ListTornTails()
    {
        Refresh();
        var torn = new List<(ulong, long, long)>();
        foreach (var state in SnapshotPacks())
        {
            long length = LengthOf(state.Id);
            if (length > state.ScannedTo && TryLockPack(state.Id) is { } held)
            {
                using (held)
                {
                    // Zeros past the records are a preallocated end, not a torn tail.
                    if (!IsZeroTail(state.Id, state.ScannedTo, length))
                    {
                        torn.Add((state.Id, state.ScannedTo, length));
                    }
                }
            }
        }

        return torn;
    }

    /// <summary>Recovers every pack whose writer is gone and that was not sealed: tail checked, torn records cut, sealed.</summary>
    /// <returns>How many packs were cut.</returns>
    public int RecoverDeadPacks()
    {
        int cut = 0;
        foreach (var state in SnapshotPacks())
        {
            if (state.IsSealed(LengthOf(state.Id)) || (_writer?.Id == state.Id))
            {
                continue;
            }

            using var held = TryLockPack(state.Id);
            if (held is not null && Recover(state.Id))
            {
                cut++;
            }
        }

        return cut;
    }

    private bool IsZeroTail(ulong pack, long from, long to)
    {
        try
        {
            using var handle = File.OpenHandle(PathOf(pack), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return IsZeroRange(handle, from, to);
        }
        catch (FileNotFoundException)
        {
            return true;
        }
    }

    // With the pack's lock held (no one appends): hash every block after the last seal, cut at the first torn record, seal.
    private bool Recover(ulong pack)
    {
        lock (_gate)
        {
            return RecoverLocked(pack);
        }
    }

    private bool RecoverLocked(ulong pack)
    {
        // Whatever its last writer appended since this process last looked is read first: recovery
        // checks from there and never takes another process's whole records for a torn tail.
        Scan(pack);
        if (!_packs.TryGetValue(pack, out var state))
        {
            return false;
        }

        long scanned = state.ScannedTo;
        long cut = scanned;
        foreach (var (cid, block) in state.Blocks.Where(b => b.Block.RecordOffset >= state.SealedTo).OrderBy(b => b.Block.RecordOffset))
        {
            if (!IsIntact(cid, block))
            {
                cut = Math.Min(cut, block.RecordOffset);
                break;
            }
        }

        // Log entries after the last seal are checked like blocks: a torn one ends the pack.
        foreach (var (offset, bodyOffset, bodyLength) in state.LogEntries.Where(e => e.Offset >= state.SealedTo && e.Offset < cut))
        {
            byte[] body = ArrayPool<byte>.Shared.Rent(bodyLength);
            try
            {
                if (!TryRead(new PackedBlock(pack, offset, bodyOffset, bodyLength), body) || !PackFormat.IsWholeLogEntry(body.AsSpan(0, bodyLength)))
                {
                    cut = offset;
                    break;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(body);
            }
        }

        FileStream file;
        try
        {
            file = new FileStream(PathOf(pack), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        bool wasCut = false;
        using (file)
        {
            long length = file.Length;

            // Zeros after the last whole record are the writer's preallocation (or a record none of
            // whose bytes reached the disk): the pack's end, trimmed, not a torn record.
            bool zeroTail = cut == scanned && IsZeroRange(file.SafeFileHandle, scanned, length);
            if (length > cut)
            {
                FileFaults.Check(FileOperation.Delete, file.Name);
                file.SetLength(cut);
                wasCut = !zeroTail;
                foreach (var (cid, block) in state.Blocks.Where(b => b.Block.RecordOffset >= cut).ToList())
                {
                    RemoveCopyLocked(cid, pack, block.RecordOffset);
                }

                state.Blocks.RemoveAll(b => b.Block.RecordOffset >= cut);

                // Deletions cut off were never synced, so never acknowledged: their targets live again.
                foreach (var tombstone in state.Tombstones.Where(t => t.RecordOffset >= cut).ToList())
                {
                    RemoveLooseTombstoneLocked(tombstone.TargetPack, tombstone.TargetOffset);
                    if (!IsTombstonedLocked(tombstone.TargetPack, tombstone.TargetOffset)
                        && _packs.TryGetValue(tombstone.TargetPack, out var target)
                        && target.Blocks.FirstOrDefault(b => b.Block.RecordOffset == tombstone.TargetOffset) is { Cid: { } revived } entry)
                    {
                        AddCopyLocked(revived, entry.Block);
                    }
                }

                state.Tombstones.RemoveAll(t => t.RecordOffset >= cut);

                // Log entries cut off were never synced, so their groups were never acknowledged.
                state.LogEntries.RemoveAll(e => e.Offset >= cut);
            }

            if (state.SealedTo == cut && !wasCut)
            {
                // Sealed already (by a writer that finished, or died between its seal and the trim): only the trim, made durable.
                if (length > cut)
                {
                    FileFaults.Check(FileOperation.Sync, file.Name);
                    file.Flush(flushToDisk: true);
                }

                return wasCut;
            }

            FileFaults.Check(FileOperation.Sync, file.Name);
            file.Flush(flushToDisk: true);
            Span<byte> seal = stackalloc byte[PackFormat.Alignment];
            PackFormat.WriteHead(seal, PackRecordType.Seal, null, 0);
            file.Position = cut;
            FileFaults.Check(FileOperation.Write, file.Name);
            file.Write(seal);
            FileFaults.Check(FileOperation.Sync, file.Name);
            file.Flush(flushToDisk: true);
            state.ScannedTo = cut + seal.Length;
            state.SealedTo = state.ScannedTo;
        }

        return wasCut;
    }

    // Whether a file holds nothing but zeros from one offset to another (or ends before).
    private static bool IsZeroRange(SafeFileHandle handle, long from, long to)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 << 10);
        try
        {
            for (long at = from; at < to;)
            {
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - at)), at);
                if (read == 0)
                {
                    return true;
                }

                if (buffer.AsSpan(0, read).ContainsAnyExcept((byte)0))
                {
                    return false;
                }

                at += read;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
