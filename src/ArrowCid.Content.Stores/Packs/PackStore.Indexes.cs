using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>
/// Pack indexes: a sealed pack's records listed in a mapped, sorted file (<see cref="PackIndex"/>),
/// so lookups search the indexes and only the records after the last index (an open pack's tail)
/// are held in memory. A lookup goes to the loose records first, then to each index whose bloom
/// filter admits the CID's 128-bit key.
/// </summary>
public sealed partial class PackStore
{
    /// <summary>The index file of a pack id.</summary>
    /// <param name="pack">The id.</param>
    /// <returns>The absolute path.</returns>
    public string IndexPathOf(ulong pack) => Path.Combine(Folder, NameOf(pack) + PackIndex.Extension);

    /// <summary>Every live packed copy of a block (none when no pack holds it).</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>The copies.</returns>
    public IReadOnlyList<PackedBlock> CopiesOf(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        lock (_gate)
        {
            return CopiesLocked(cid);
        }
    }

    /// <summary>
    /// Checks every pack index whole (its body against the checksum in its header). This instance
    /// stops using each that fails and reads its pack instead, so a damaged index hides no block;
    /// with <paramref name="repair"/> the index is also rebuilt from its pack, else its file is left
    /// as it is.
    /// </summary>
    /// <param name="repair">Rebuild the indexes that fail.</param>
    /// <returns>The packs whose index failed.</returns>
    public IReadOnlyList<ulong> VerifyIndexes(bool repair)
    {
        Refresh();
        var failed = new List<ulong>();
        foreach (var state in SnapshotPacks())
        {
            lock (_gate)
            {
                // One set aside by an earlier verify here counts as failed until it is rebuilt.
                bool setAside = _distrusted.Contains(state.Id);
                if (setAside && repair)
                {
                    _distrusted.Remove(state.Id);
                }
                else if (setAside || state.Index is not { } index || index.IsBodyIntact() || _writer?.Id == state.Id)
                {
                    if (setAside)
                    {
                        failed.Add(state.Id);
                    }

                    continue;
                }

                failed.Add(state.Id);
                RemovePackLocked(state.Id);
                if (repair)
                {
                    File.Delete(IndexPathOf(state.Id));
                }
                else
                {
                    _distrusted.Add(state.Id);
                }
            }

            // Scanned whole, as a pack with no index is (and, when repaired, indexed again: it is sealed).
            Scan(state.Id);
        }

        return failed;
    }

    // Takes an index read at open: its records are found through it, its tombstones applied.
    private void AttachIndexLocked(PackState state, PackIndex index)
    {
        state.Index = index;
        state.ScannedTo = index.PackLength;
        state.SealedTo = index.PackLength;
        for (int i = 0; i < index.TombstoneCount; i++)
        {
            var (cid, targetPack, targetOffset, _, _) = index.TombstoneAt(i);
            _tombstoned.Add((targetPack, targetOffset));
            RemoveCopyLocked(cid, targetPack, targetOffset);
        }
    }

    // Writes the index of a pack sealed through everything scanned (its old index's entries and
    // the records after them), then finds its records through it and drops them from memory. A
    // failure (a full disk) leaves the pack as it was: scanned at the next open.
    private void IndexPackLocked(PackState state)
    {
        if (state.IndexFailed || _distrusted.Contains(state.Id) || state.SealedTo != state.ScannedTo || state.SealedTo == 0
            || (state.Index is { } current && current.PackLength == state.SealedTo))
        {
            return;
        }

        var old = state.Index;
        var blocks = new List<(UInt128 Key, PackedBlock Block)>((old?.BlockCount ?? 0) + state.Blocks.Count);
        for (int i = 0; i < (old?.BlockCount ?? 0); i++)
        {
            blocks.Add((old!.KeyAt(i), old.BlockAt(state.Id, i)));
        }

        foreach (var (cid, block) in state.Blocks)
        {
            blocks.Add((PackIndex.KeyOf(cid), block));
        }

        var logEntries = new List<(long, long, int)>(state.LogEntryCount);
        for (int i = 0; i < state.LogEntryCount; i++)
        {
            logEntries.Add(state.LogEntryAt(i));
        }

        string path = IndexPathOf(state.Id);
        PackIndex? index;
        try
        {
            PackIndex.Write(path, state.SealedTo, blocks, [.. state.AllTombstones()], logEntries);
            index = PackIndex.TryOpen(path, LengthOf(state.Id));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            index = null;
        }

        if (index is null)
        {
            state.IndexFailed = true;
            return;
        }

        old?.Dispose();
        state.Index = index;
        foreach (var (cid, block) in state.Blocks)
        {
            RemoveCopyLocked(cid, state.Id, block.RecordOffset);
        }

        state.Blocks.Clear();
        state.Tombstones.Clear();
        state.LogEntries.Clear();
    }

    // The copy a read gets: a loose record's, else the first an index lists under the CID's key that no tombstone removed.
    private PackedBlock? LocateLocked(Cid cid)
    {
        foreach (var copy in CopiesOfLocked(cid))
        {
            return copy;
        }

        return null;
    }

    // Every live copy of a block, loose and indexed.
    private List<PackedBlock> CopiesLocked(Cid cid) => [.. CopiesOfLocked(cid)];

    // The live copies of a block as they are found: the loose ones, then each index's under the CID's key.
    private IEnumerable<PackedBlock> CopiesOfLocked(Cid cid)
    {
        if (_blocks.TryGetValue(cid, out var copies))
        {
            foreach (var copy in copies)
            {
                yield return copy;
            }
        }

        var key = PackIndex.KeyOf(cid);
        foreach (var state in _packs.Values)
        {
            if (state.Index is { } index && index.MayContain(key))
            {
                var (start, end) = index.Candidates(key);
                for (int i = start; i < end; i++)
                {
                    var block = index.BlockAt(state.Id, i);
                    if (!_tombstoned.Contains((state.Id, block.RecordOffset)))
                    {
                        yield return block;
                    }
                }
            }
        }
    }

    // The CID a block record names, read from the mapped pack; null when the pack is gone.
    private Cid? RecordCid(PackedBlock block)
    {
        if (MapPack(block.Pack, block.End) is not { } mapped)
        {
            return null;
        }

        using (mapped.Reference)
        {
            // Parsed with its checks: an index entry that points at no block record names nothing.
            var head = mapped.Memory.Span[(int)block.RecordOffset..];
            return PackFormat.TryParse(head[..Math.Min(head.Length, PackFormat.MaxHeadLength)], block.RecordOffset, mapped.Memory.Length) is { Type: PackRecordType.Block } record
                ? record.Cid
                : null;
        }
    }

    // A pack's block records with their CIDs: the index's (CIDs read from the pack), then the loose ones.
    private IEnumerable<(Cid Cid, PackedBlock Block)> BlocksOfLocked(PackState state)
    {
        for (int i = 0; i < (state.Index?.BlockCount ?? 0); i++)
        {
            var block = state.Index!.BlockAt(state.Id, i);
            if (RecordCid(block) is { } cid)
            {
                yield return (cid, block);
            }
        }

        foreach (var entry in state.Blocks.ToList())
        {
            yield return entry;
        }
    }

    /// <summary>
    /// Every live copy, merged from the indexes (each sorted by key) and the loose records in key
    /// order, so the copies of one block come together and nothing is gathered: memory holds the
    /// loose records' keys and one position per index. The indexes are held, so a compaction
    /// meanwhile does not unmap what is being read.
    /// </summary>
    private IEnumerable<(UInt128 Key, Cid Cid, PackedBlock Block)> WalkCopies()
    {
        Refresh();
        var loose = new List<(UInt128 Key, Cid Cid, PackedBlock Block)>();
        var indexes = new List<(ulong Pack, PackIndex Index, IDisposable Hold)>();
        lock (_gate)
        {
            foreach (var (cid, copies) in _blocks)
            {
                var key = PackIndex.KeyOf(cid);
                foreach (var copy in copies)
                {
                    loose.Add((key, cid, copy));
                }
            }

            foreach (var state in _packs.Values)
            {
                if (state.Index is { } index)
                {
                    indexes.Add((state.Id, index, index.Hold()));
                }
            }
        }

        loose.Sort(static (a, b) => a.Key.CompareTo(b.Key));
        try
        {
            // Source -1 is the loose records; source i the i-th index, at position[i].
            var position = new int[indexes.Count];
            var queue = new PriorityQueue<int, UInt128>();
            int nextLoose = 0;
            if (loose.Count > 0)
            {
                queue.Enqueue(-1, loose[0].Key);
            }

            for (int i = 0; i < indexes.Count; i++)
            {
                if (indexes[i].Index.BlockCount > 0)
                {
                    queue.Enqueue(i, indexes[i].Index.KeyAt(0));
                }
            }

            while (queue.TryDequeue(out int source, out UInt128 key))
            {
                if (source < 0)
                {
                    var (_, cid, block) = loose[nextLoose++];
                    if (nextLoose < loose.Count)
                    {
                        queue.Enqueue(-1, loose[nextLoose].Key);
                    }

                    if (IsLive(block))
                    {
                        yield return (key, cid, block);
                    }

                    continue;
                }

                var (pack, index, _) = indexes[source];
                var indexed = index.BlockAt(pack, position[source]++);
                if (position[source] < index.BlockCount)
                {
                    queue.Enqueue(source, index.KeyAt(position[source]));
                }

                if (IsLive(indexed) && RecordCid(indexed) is { } named)
                {
                    yield return (key, named, indexed);
                }
            }
        }
        finally
        {
            foreach (var (_, _, hold) in indexes)
            {
                hold.Dispose();
            }
        }
    }

    private bool IsLive(PackedBlock block)
    {
        lock (_gate)
        {
            return !_tombstoned.Contains((block.Pack, block.RecordOffset)) && _packs.ContainsKey(block.Pack);
        }
    }
}
