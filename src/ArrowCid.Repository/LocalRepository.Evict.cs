using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

// Eviction: the repository's disk as a cache of a durable tier that holds every block it evicts.
public sealed partial class LocalRepository
{
    /// <summary>
    /// Removes the local copies of blocks a durable tier holds (issue 66's cache by heat): each
    /// block's row, then its file, as gc removes a block nothing retains; a crash between leaves an
    /// orphan file the next gc takes. What a pin in this repository retains (a pinned table's nodes
    /// and chunks) is kept, and so is a block packed here (packs are rewritten by gc, not per block).
    /// </summary>
    /// <remarks>
    /// Only for a repository whose registry mirrors a shared one that names everything (the node's
    /// cache checks): a row removed here is not a name lost. Runs under the shared lock, beside
    /// readers and writers: a reader that finds a block gone fetches it from the tier again, and a
    /// put that stored the same block again meanwhile keeps its row or finds it in the tier.
    /// </remarks>
    /// <param name="candidates">The blocks to evict, least valuable first.</param>
    /// <returns>What was evicted (with the bytes freed), and what a pin or a pack kept.</returns>
    public EvictionReport Evict(IReadOnlyCollection<Cid> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var evicted = new List<(Cid Cid, long Bytes)>();
        var kept = new List<Cid>();
        if (candidates.Count == 0)
        {
            return new EvictionReport(evicted, kept);
        }

        WaitApplied();
        using (_lock.Shared())
        {
            // Pins in this repository, and what they link: the only rows here that name anything.
            using var pinned = NewKeySet();
            _registry.AddRetained(pinned);
            var rows = new List<Cid>(candidates.Count);
            foreach (var cid in candidates)
            {
                if (pinned.Contains(cid) || Blocks.Packs.TryLocate(cid, out _))
                {
                    kept.Add(cid);
                }
                else
                {
                    rows.Add(cid);
                }
            }

            // Rows first, then files, as gc removes them (a crash between leaves only orphans).
            _journaled.Inner.DeleteAll(rows);
            foreach (var cid in rows)
            {
                evicted.Add((cid, DeleteBlockFile(cid)));
            }

            if (rows.Count > 0)
            {
                // A rebuilt registry must not bring these rows back unless their blocks are stored again.
                _journaled.Record(new DeleteJournaled(DateTimeOffset.UtcNow, rows));
            }
        }

        return new EvictionReport(evicted, kept);
    }
}

/// <summary>What <see cref="LocalRepository.Evict"/> did.</summary>
/// <param name="Evicted">The blocks whose local copies went, each with the bytes its file freed (0 when it was gone already).</param>
/// <param name="Kept">The blocks kept: retained by a pin here, or packed.</param>
public sealed record EvictionReport(IReadOnlyList<(Cid Cid, long Bytes)> Evicted, IReadOnlyList<Cid> Kept);
