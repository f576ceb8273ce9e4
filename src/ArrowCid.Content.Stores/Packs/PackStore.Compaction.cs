using System.Buffers;
using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores.Packs;

/// <summary>Compaction: the live records of mostly dead packs are copied into this process's pack, which is synced before the old files go.</summary>
public sealed partial class PackStore
{
    /// <summary>
    /// Drops every block <paramref name="keep"/> refuses and every second copy of a block (one
    /// tombstone each), then rewrites each pack (other than one a live writer holds) whose live
    /// records fill less than <paramref name="liveFraction"/> of it: its live records are copied to
    /// this process's pack, synced, and the old file deleted. Call it where no put runs (under the
    /// repository's exclusive lock).
    /// </summary>
    /// <param name="keep">
    /// Whether a block is retained, asked by its key (<see cref="CidKey"/>): a walk of millions of
    /// blocks reads the CID of none it keeps (but for a block stored twice).
    /// </param>
    /// <param name="liveFraction">Packs fuller than this keep their dead records (as tombstoned space).</param>
    /// <param name="logAppliedThrough">
    /// Where each pack's log entries have been applied to (the offset of the last applied, -1 for
    /// none); a rewrite drops applied entries as dead weight and leaves a pack holding one that was
    /// not as it is. Null when nothing reads the log: every entry counts as applied.
    /// </param>
    /// <param name="droppingLog">
    /// Called with a pack's id before a rewrite drops its (applied) log entries, while they can
    /// still be read: the caller keeps what it needs of them elsewhere. If it throws, the pack is
    /// left as it is and the exception ends the compaction.
    /// </param>
    /// <param name="removing">
    /// Called with each block the packs are about to stop holding (once a block, with its length)
    /// before its tombstone is appended, so a removal of millions of blocks is reported as it goes
    /// and never held. If it throws, that block is kept and the exception ends the compaction.
    /// </param>
    /// <returns>What was done.</returns>
    public PackCompaction Compact(Func<UInt128, bool> keep, double liveFraction = 0.5, Func<ulong, long>? logAppliedThrough = null, Action<ulong>? droppingLog = null, Action<Cid, int>? removing = null)
    {
        ArgumentNullException.ThrowIfNull(keep);

        // A rewrite copies what a pack's index lists: an index whose entries fail their checksum is
        // rebuilt from its pack first, so no live block is left behind.
        VerifyIndexes(repair: true);
        long removed = 0;
        lock (_gate)
        {
            // One copy of each block is kept (if the block is), the rest tombstoned.
            foreach (var (cid, key, copy, first) in WalkCopies(skip: keep))
            {
                if (first)
                {
                    if (keep(key))
                    {
                        continue;
                    }

                    removing?.Invoke(cid, copy.Length);
                    removed++;
                }

                AppendTombstoneLocked(cid, copy);
            }

            // Seal this process's pack so it may be rewritten like any other; later appends go to another.
            SealWriterLocked();
        }

        Sync();
        int rewritten = 0;
        long freed = 0;
        var dead = new HashSet<long>();
        foreach (var state in SnapshotPacks())
        {
            long length = LengthOf(state.Id);
            long live = LiveBytes(state, dead);
            if (length == 0 || live >= liveFraction * length || HasUnappliedLogEntries(state, logAppliedThrough))
            {
                continue;
            }

            using var held = TryLockPack(state.Id);
            if (held is null)
            {
                continue;
            }

            if (state.LogEntryCount > 0)
            {
                droppingLog?.Invoke(state.Id);
            }

            freed += length - Rewrite(state);
            rewritten++;
        }

        return new PackCompaction(removed, rewritten, freed);
    }

    // Bytes a rewrite must keep: live block records and tombstones whose target pack still exists
    // (dead: a set reused pack after pack).
    private long LiveBytes(PackState state, HashSet<long> dead)
    {
        lock (_gate)
        {
            // Every copy left is the only one (the walk above tombstoned the rest): live unless tombstoned.
            long live = 0;
            GatherTombstonedOffsetsLocked(state.Id, dead);
            foreach (var block in state.AllBlocks())
            {
                if (!dead.Contains(block.RecordOffset))
                {
                    live += block.RecordLength;
                }
            }

            foreach (var tombstone in state.AllTombstones())
            {
                if (tombstone.TargetPack != state.Id && _packs.ContainsKey(tombstone.TargetPack))
                {
                    live += tombstone.Length;
                }
            }

            // Read whole: its pages need not stay in this process's memory.
            state.Index?.ReleaseResidentPages();
            return live;
        }
    }

    // Copies a pack's live records to this process's pack, syncs, deletes the pack; returns the bytes appended.
    private long Rewrite(PackState state)
    {
        long appended = 0;
        lock (_gate)
        {
            var dead = new HashSet<long>();
            GatherTombstonedOffsetsLocked(state.Id, dead);
            foreach (var (cid, block) in BlocksOfLocked(state).ToList())
            {
                if (dead.Contains(block.RecordOffset))
                {
                    continue;
                }

                byte[] buffer = ArrayPool<byte>.Shared.Rent(block.Length);
                try
                {
                    // A damaged copy is not carried over; verify reports the block missing if nothing else holds it.
                    if (TryRead(block, buffer) && cid.Verify(buffer.AsSpan(0, block.Length)))
                    {
                        RemoveCopyLocked(cid, state.Id, block.RecordOffset);
                        var moved = AppendBlockLocked(cid, buffer.AsSpan(0, block.Length));
                        appended += moved.RecordLength;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }

            foreach (var tombstone in state.AllTombstones().ToList())
            {
                if (tombstone.TargetPack != state.Id && _packs.ContainsKey(tombstone.TargetPack))
                {
                    AppendTombstoneLocked(tombstone.Cid, new PackedBlock(tombstone.TargetPack, tombstone.TargetOffset, 0, 0));
                    appended += tombstone.Length;
                }
            }
        }

        Sync();
        lock (_gate)
        {
            RemovePackLocked(state.Id);
        }

        FileFaults.Check(FileOperation.Delete, PathOf(state.Id));
        File.Delete(PathOf(state.Id));
        File.Delete(IndexPathOf(state.Id));
        File.Delete(LockPathOf(state.Id));
        DurableFile.FlushDirectory(Folder);
        return appended;
    }
}
