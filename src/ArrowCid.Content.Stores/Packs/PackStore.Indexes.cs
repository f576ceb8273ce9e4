using System.Buffers;
using System.Buffers.Binary;
using ArrowCid.Content.Multiformats;
using Microsoft.Win32.SafeHandles;

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

    // Whether a tombstone removes the record at this offset of this pack: one no index lists yet
    // (held in memory) or one an index lists (its bloom filter, then its table of the pack's tombstones).
    private bool IsTombstonedLocked(ulong pack, long recordOffset)
    {
        if (_looseTombstones.TryGetValue(pack, out var loose) && loose.ContainsKey(recordOffset))
        {
            return true;
        }

        foreach (var state in _packs.Values)
        {
            if (state.Index is { TombstoneCount: > 0 } index && index.IsTombstoned(pack, recordOffset))
            {
                return true;
            }
        }

        return false;
    }

    // The record offsets of one pack that tombstones remove, from memory and every index, into a
    // set the caller reuses pack after pack: what a walk or a compaction of that pack needs.
    private void GatherTombstonedOffsetsLocked(ulong pack, HashSet<long> offsets)
    {
        offsets.Clear();
        if (_looseTombstones.TryGetValue(pack, out var loose))
        {
            offsets.UnionWith(loose.Keys);
        }

        foreach (var state in _packs.Values)
        {
            state.Index?.AddTombstonedOffsets(pack, offsets);
        }
    }

    private void AddLooseTombstoneLocked(ulong pack, long recordOffset)
    {
        if (!_looseTombstones.TryGetValue(pack, out var offsets))
        {
            _looseTombstones[pack] = offsets = [];
        }

        offsets[recordOffset] = offsets.GetValueOrDefault(recordOffset) + 1;
    }

    // A pack's tombstones no index listed leave memory (the pack indexed, or gone).
    private void ForgetLooseTombstonesLocked(PackState state)
    {
        foreach (var tombstone in state.Tombstones)
        {
            RemoveLooseTombstoneLocked(tombstone.TargetPack, tombstone.TargetOffset);
        }
    }

    // One tombstone record fewer removes this record from memory (its pack indexed, cut or gone).
    private void RemoveLooseTombstoneLocked(ulong pack, long recordOffset)
    {
        if (!_looseTombstones.TryGetValue(pack, out var offsets) || !offsets.TryGetValue(recordOffset, out int count))
        {
            return;
        }

        if (count > 1)
        {
            offsets[recordOffset] = count - 1;
        }
        else if (offsets.Remove(recordOffset) && offsets.Count == 0)
        {
            _looseTombstones.Remove(pack);
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
            blocks.Add((CidKey.Of(cid), block));
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

        // Its tombstones are now the index's to answer for.
        ForgetLooseTombstonesLocked(state);

        // Emptied and trimmed: a node seals pack after pack, and each sealed pack's state stays.
        state.Blocks.Clear();
        state.Blocks.TrimExcess();
        state.Tombstones.Clear();
        state.Tombstones.TrimExcess();
        state.LogEntries.Clear();
        state.LogEntries.TrimExcess();
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
                // A loose copy an index's tombstone removes (that index attached after the copy was read) is not live.
                if (!IsTombstonedLocked(copy.Pack, copy.RecordOffset))
                {
                    yield return copy;
                }
            }
        }

        var key = CidKey.Of(cid);
        foreach (var state in _packs.Values)
        {
            if (state.Index is { } index && index.MayContain(key))
            {
                foreach (var block in index.Find(key, state.Id))
                {
                    if (!IsTombstonedLocked(state.Id, block.RecordOffset))
                    {
                        yield return block;
                    }
                }
            }
        }
    }

    // One pack read with pread for a walk over its records: a walk of every block then leaves no
    // pack pages in the process's memory (a mapping would count the whole store in its RSS).
    private sealed class PackRecordReader : IDisposable
    {
        private readonly SafeFileHandle _handle;
        private readonly long _length;
        private readonly byte[] _head = new byte[PackFormat.MaxHeadLength];

        private PackRecordReader(SafeFileHandle handle)
        {
            _handle = handle;
            _length = RandomAccess.GetLength(handle);
        }

        // Null when the pack is gone (compacted by another process).
        public static PackRecordReader? Open(string path)
        {
            try
            {
                return new PackRecordReader(File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }

        // The CID a block record names, parsed with its checks: an index entry that points at no block record names nothing.
        public Cid? RecordCid(PackedBlock block)
        {
            int read = RandomAccess.Read(_handle, _head, block.RecordOffset);
            return PackFormat.TryParse(_head.AsSpan(0, read), block.RecordOffset, _length) is { Type: PackRecordType.Block } record ? record.Cid : null;
        }

        public void Dispose() => _handle.Dispose();
    }

    // A pack's block records with their CIDs: the index's in file order (CIDs read from the pack), then the loose ones.
    private IEnumerable<(Cid Cid, PackedBlock Block)> BlocksOfLocked(PackState state)
    {
        if (state.Index is { } index && PackRecordReader.Open(PathOf(state.Id)) is { } records)
        {
            using (records)
            {
                foreach (int entry in InFileOrder(index, state.Id))
                {
                    var block = index.BlockAt(state.Id, entry);
                    if (records.RecordCid(block) is { } cid)
                    {
                        yield return (cid, block);
                    }
                }
            }
        }

        foreach (var entry in state.Blocks.ToList())
        {
            yield return entry;
        }
    }

    /// <summary>
    /// Every live copy, read pack by pack in file order (the loose records first), so a walk of a
    /// store larger than memory reads each pack once from start to end rather than jumping between
    /// them. The keys held by more than one copy are found first from the keys alone (the indexes'
    /// sorted tables merged with a priority queue, one position per index), and only their CIDs are
    /// remembered, to mark each block's first copy in the walk <c>First</c> and any other not.
    /// The indexes are held, so a compaction meanwhile does not unmap what is being read. A copy
    /// whose key <paramref name="skip"/> accepts, and that no other copy shares, is passed over
    /// without its CID being read from the pack (a compaction asks only about what it removes).
    /// </summary>
    private IEnumerable<(Cid Cid, UInt128 Key, PackedBlock Block, bool First)> WalkCopies(Func<UInt128, bool>? skip = null)
    {
        Refresh();
        var loose = new List<(UInt128 Key, Cid Cid, PackedBlock Block)>();
        var indexes = new List<(ulong Pack, PackIndex Index, IDisposable Hold)>();
        lock (_gate)
        {
            foreach (var (cid, copies) in _blocks)
            {
                var key = CidKey.Of(cid);
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

        try
        {
            var dead = new HashSet<long>();
            var repeated = RepeatedKeys(loose, indexes);
            var seen = new HashSet<Cid>();
            bool IsFirst(UInt128 key, Cid cid) => !repeated.Contains(key) || seen.Add(cid);
            bool Skipped(UInt128 key) => skip is not null && !repeated.Contains(key) && skip(key);
            foreach (var (key, cid, block) in loose)
            {
                if (!Skipped(key) && IsLive(block))
                {
                    yield return (cid, key, block, IsFirst(key, cid));
                }
            }

            foreach (var (pack, index, _) in indexes)
            {
                using var records = PackRecordReader.Open(PathOf(pack));
                if (records is null)
                {
                    continue;
                }

                // The pack's tombstoned records, gathered once (one pack's worth) rather than looked up a block at a time.
                lock (_gate)
                {
                    GatherTombstonedOffsetsLocked(pack, dead);
                }

                foreach (int entry in InFileOrder(index, pack))
                {
                    var block = index.BlockAt(pack, entry);
                    var key = index.KeyAt(entry);
                    if (!Skipped(key) && !dead.Contains(block.RecordOffset) && IsPresent(pack) && records.RecordCid(block) is { } cid)
                    {
                        yield return (cid, key, block, IsFirst(key, cid));
                    }
                }

                // Walked whole: its pages need not stay in this process's memory.
                index.ReleaseResidentPages();
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

    // An index's entries in the order of their records, so a pack is read from start to end (one
    // pack's worth held, in rented arrays: a pack's entries fill arrays for the large object heap,
    // and a walk sorts them for every pack).
    private static IEnumerable<int> InFileOrder(PackIndex index, ulong pack)
    {
        int count = index.BlockCount;
        long[] offsets = ArrayPool<long>.Shared.Rent(count);
        int[] entries = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                offsets[i] = index.BlockAt(pack, i).RecordOffset;
                entries[i] = i;
            }

            Array.Sort(offsets, entries, 0, count);
            for (int i = 0; i < count; i++)
            {
                yield return entries[i];
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(offsets);
            ArrayPool<int>.Shared.Return(entries);
        }
    }

    // The keys more than one record holds (copies of a block in two packs, or twice in one): the
    // sorted key tables merged, so equal keys meet; no pack is read, and each index's keys are read
    // with pread a window at a time (all indexes advance together: through their mappings, every
    // index's pages would be resident at once).
    private static HashSet<UInt128> RepeatedKeys(List<(UInt128 Key, Cid Cid, PackedBlock Block)> loose, List<(ulong Pack, PackIndex Index, IDisposable Hold)> indexes)
    {
        var keys = loose.ConvertAll(l => l.Key);
        keys.Sort();
        var cursors = indexes.ConvertAll(i => i.Index.OpenKeyCursor());
        var position = new int[indexes.Count];
        var queue = new PriorityQueue<int, UInt128>();
        int nextLoose = 0;
        if (keys.Count > 0)
        {
            queue.Enqueue(-1, keys[0]);
        }

        for (int i = 0; i < indexes.Count; i++)
        {
            if (indexes[i].Index.BlockCount > 0)
            {
                queue.Enqueue(i, cursors[i].KeyAt(0));
            }
        }

        var repeated = new HashSet<UInt128>();
        UInt128? previous = null;
        while (queue.TryDequeue(out int source, out var key))
        {
            if (previous == key)
            {
                repeated.Add(key);
            }

            previous = key;
            if (source < 0)
            {
                if (++nextLoose < keys.Count)
                {
                    queue.Enqueue(-1, keys[nextLoose]);
                }
            }
            else if (++position[source] < indexes[source].Index.BlockCount)
            {
                queue.Enqueue(source, cursors[source].KeyAt(position[source]));
            }
        }

        return repeated;
    }

    private bool IsLive(PackedBlock block)
    {
        lock (_gate)
        {
            return !IsTombstonedLocked(block.Pack, block.RecordOffset) && _packs.ContainsKey(block.Pack);
        }
    }

    private bool IsPresent(ulong pack)
    {
        lock (_gate)
        {
            return _packs.ContainsKey(pack);
        }
    }
}
