using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Garbage collection: what no pin, name or pinned link retains is removed.
public sealed partial class LocalRepository
{
    /// <summary>
    /// Removes every block that is neither pinned, nor named by a version of a dataset name, nor
    /// linked (transitively) by a pinned or named dataset or a pinned foreign DAG node:
    /// registered ones (row first, then block, so a crash leaves only an orphan) and unregistered
    /// blocks, plus temporary files of dead writers. Packed blocks are removed by compaction
    /// (<see cref="Content.Stores.Packs.PackStore.Compact"/>): a tombstone each, and packs whose
    /// live records fill less than <see cref="PackLiveFraction"/> are rewritten. Runs alone
    /// (exclusive lock).
    /// </summary>
    /// <returns>What was removed.</returns>
    public GcReport Gc()
    {
        // This instance's queued rows hold the shared lock until applied: apply them (or fail with the registry's error) first.
        WaitApplied();
        using (_lock.Exclusive())
        {
            // Rows a lost registry commit left only in a pack's log count (and keep their entries) too.
            ReplayLog(everyPack: true);
            var retained = _registry.ListRetained();
            var registered = _registry.ListCids().ToHashSet();
            var removedRecords = new List<Cid>();
            var removedOrphans = new List<Cid>();
            long freed = 0;
            foreach (var cid in registered)
            {
                if (!retained.Contains(cid))
                {
                    _registry.Delete(cid);
                    freed += DeleteBlockFile(cid);
                    removedRecords.Add(cid);
                }
            }

            foreach (var cid in Blocks.EnumerateFiles().ToList())
            {
                if (!retained.Contains(cid) && !registered.Contains(cid))
                {
                    freed += DeleteBlockFile(cid);
                    removedOrphans.Add(cid);
                }
            }

            // Rows are gone first; the packs then drop every block nothing retains, in one pass. A
            // rewrite drops log entries already applied, so the commits that applied them are made
            // durable first; a pack holding one not applied is left as it is.
            var logged = _registry.LoggedCommits;
            logged?.MakeDurable();
            var applied = logged?.ListApplied();
            var compaction = Blocks.Packs.Compact(retained.Contains, PackLiveFraction, applied is null ? null : pack => applied.GetValueOrDefault(pack, -1));
            ForgetRewrittenLogs(applied);
            var removedRows = removedRecords.ToHashSet();
            foreach (var (cid, length) in compaction.Removed)
            {
                freed += length;
                if (!registered.Contains(cid))
                {
                    removedOrphans.Add(cid);
                }
                else if (removedRows.Add(cid))
                {
                    removedRecords.Add(cid);
                }
            }

            // No repository writer can hold the shared lock now, so every temporary file is a dead writer's.
            int temps = Blocks.CleanTempFiles(TimeSpan.Zero);
            return new GcReport
            {
                RemovedRecords = removedRecords,
                RemovedOrphans = removedOrphans,
                RemovedTempFiles = temps,
                BytesFreed = freed,
                PacksRewritten = compaction.PacksRewritten,
                Retained = retained.Count,
            };
        }
    }

    // Positions of packs a rewrite deleted are dead weight in the registry.
    private void ForgetRewrittenLogs(IReadOnlyDictionary<ulong, long>? applied)
    {
        if (applied is null || _registry.LoggedCommits is not { } logged)
        {
            return;
        }

        foreach (ulong pack in applied.Keys)
        {
            if (!File.Exists(Blocks.Packs.PathOf(pack)))
            {
                logged.ForgetLog(pack);
            }
        }
    }

    /// <summary>A pack whose live records fill less than this fraction of it is rewritten by <see cref="Gc"/>.</summary>
    public const double PackLiveFraction = 0.5;
}
