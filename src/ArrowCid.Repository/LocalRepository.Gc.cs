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
    /// <remarks>
    /// With a registry this node shares with others (<paramref name="shared"/>), what any node's
    /// names and pins retain there is kept too, whatever this repository's own registry says, and
    /// for each block removed only this node's <paramref name="location"/> is released there: the
    /// shared record goes only with its last location (<see cref="IRegistry.ReleaseLocation"/>).
    /// </remarks>
    /// <param name="shared">The registry shared with other nodes, if any.</param>
    /// <param name="location">This node's location in <paramref name="shared"/>, if known.</param>
    /// <returns>What was removed.</returns>
    public GcReport Gc(IRegistry? shared = null, string? location = null)
    {
        // This instance's queued rows hold the shared lock until applied: apply them (or fail with the registry's error) first.
        WaitApplied();
        using (_lock.Exclusive())
        {
            // Rows a lost registry commit left only in a pack's log count (and keep their entries) too.
            ReplayLog(everyPack: true);
            var retained = _registry.ListRetained();
            if (shared is not null)
            {
                // Read after the local set: a name or pin added in between keeps its block either way.
                var everyNode = new HashSet<Cid>(retained);
                everyNode.UnionWith(shared.ListRetained());
                retained = everyNode;
            }

            int released = 0;
            void Release(Cid cid)
            {
                if (shared is not null && location is not null && shared.ReleaseLocation(cid, location) != LocationRelease.NotHeld)
                {
                    released++;
                }
            }

            var registered = _registry.ListCids().ToHashSet();
            var removedRecords = new List<Cid>();
            var removedOrphans = new List<Cid>();
            long freed = 0;
            foreach (var cid in registered)
            {
                if (!retained.Contains(cid))
                {
                    // The shared registry stops naming this node first: a failure in between leaves a
                    // block held but not listed (verify --repair lists it), never a listed one gone.
                    Release(cid);
                    _registry.Delete(cid);
                    freed += DeleteBlockFile(cid);
                    removedRecords.Add(cid);
                }
            }

            foreach (var cid in Blocks.EnumerateFiles().ToList())
            {
                if (!retained.Contains(cid) && !registered.Contains(cid))
                {
                    Release(cid);
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
                    Release(cid);
                }
                else if (removedRows.Add(cid))
                {
                    removedRecords.Add(cid);
                    Release(cid);
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
                LocationsReleased = released,
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
