using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Garbage collection: what no pin, name or pinned link retains is removed.
public sealed partial class LocalRepository
{
    /// <summary>
    /// Removes every block that is neither pinned, nor named by a version of a dataset name, nor
    /// linked (transitively) by a pinned or named dataset or a pinned foreign DAG node:
    /// registered ones (row first, then file, so a crash leaves only an orphan) and unregistered
    /// files, plus temporary files of dead writers. Runs alone (exclusive lock).
    /// </summary>
    /// <returns>What was removed.</returns>
    public GcReport Gc()
    {
        using (_lock.Exclusive())
        {
            var retained = _registry.ListRetained();
            var removedRecords = new List<Cid>();
            var removedOrphans = new List<Cid>();
            long freed = 0;
            foreach (var cid in _registry.ListCids())
            {
                if (!retained.Contains(cid))
                {
                    _registry.Delete(cid);
                    freed += DeleteBlock(cid);
                    removedRecords.Add(cid);
                }
            }

            foreach (var cid in Blocks.Enumerate().ToList())
            {
                if (!retained.Contains(cid) && !_registry.Contains(cid))
                {
                    freed += DeleteBlock(cid);
                    removedOrphans.Add(cid);
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
                Retained = retained.Count,
            };
        }
    }
}
