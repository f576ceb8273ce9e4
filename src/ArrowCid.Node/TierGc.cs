using ArrowCid.Content.Multiformats;
using ArrowCid.ObjectStorage;
using ArrowCid.Registry;

namespace ArrowCid.Node;

/// <summary>
/// Garbage collection of a durable tier that several hosts share (issue 66): an object is deleted
/// from the bucket only when no name, pin or in-flight put on any host reaches it, and it was
/// written longer ago than a grace period. What reaches a block is the shared registry's to say:
/// names and pins (<see cref="IRegistry.AddRetained"/>), and the guards puts take there before
/// they upload (<see cref="IRegistry.GuardTierBlocks"/>). Each deletion is marked in the registry
/// first, in a transaction that checks the block again (<see cref="IRegistry.MarkTierDeletions"/>),
/// so a put or a name that comes while the collection runs keeps what it needs.
/// </summary>
public static class TierGc
{
    /// <summary>How long a put's guard counts: a guard older than this is a put that died (its host killed) and no longer keeps anything.</summary>
    public static readonly TimeSpan GuardLifetime = TimeSpan.FromHours(24);

    /// <summary>How long a deletion's mark counts: an older one is a collection that died, and a put no longer waits for it.</summary>
    public static readonly TimeSpan DeletionLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The grace period unless told otherwise: objects written within it are left, whatever the registry says.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromHours(1);

    /// <summary>How often a put waiting for a deletion to end looks again.</summary>
    internal static readonly TimeSpan DeletionPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A pack some block of which is kept is written again when the blocks the bucket holds only
    /// there are less than this share of its bytes: its kept blocks go into a new pack, and it is
    /// deleted. A pack more alive than that stays whole, dead neighbours and all.
    /// </summary>
    public const double RewriteBelowShare = 0.5;

    // Candidates are marked and deleted this many at a time: memory stays flat however large the bucket.
    private const int Batch = 256;

    // Deletions in flight at once.
    private const int DeletesAtOnce = 16;

    /// <summary>
    /// Deletes from <paramref name="tier"/> every block object nothing in <paramref name="registry"/>
    /// keeps and that was written more than <paramref name="grace"/> ago, and every pack none of
    /// whose blocks anything keeps, and removes the deleted locations from the records of their
    /// blocks (a record goes with its last location). A pack with a block still kept is written
    /// again, with only the kept blocks the bucket holds nowhere else, when those are less than
    /// <see cref="RewriteBelowShare"/> of it; otherwise it stays whole.
    /// </summary>
    /// <param name="tier">The bucket.</param>
    /// <param name="registry">The registry every host writing to the bucket shares.</param>
    /// <param name="retained">An empty set to hold what the registry retains (it may spill to disk; the caller owns it).</param>
    /// <param name="grace">Objects written within this are left.</param>
    /// <param name="removed">Told each block deleted, as it goes.</param>
    /// <param name="cancellationToken">Stops the collection between requests.</param>
    /// <returns>What was found and deleted.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached or refused a request; what was deleted so far is reported gone, nothing else is touched.</exception>
    public static async Task<TierGcReport> CollectAsync(
        S3BlockTier tier, IRegistry registry, CidKeySet retained, TimeSpan grace, Action<Cid>? removed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(retained);
        ArgumentOutOfRangeException.ThrowIfLessThan(grace, TimeSpan.Zero);

        // The walk of what names and pins keep comes first; each deletion is checked again when it
        // is marked, so a name or pin added after the walk keeps its blocks all the same.
        registry.AddRetained(retained);
        var report = new TierGcReport();
        var writtenBefore = DateTimeOffset.UtcNow - grace;
        var candidates = new List<StoredBlock>(Batch);
        string tierLocation = tier.Location.ToString();
        await foreach (var stored in tier.EnumerateObjectsAsync(cancellationToken).ConfigureAwait(false))
        {
            report.Listed++;
            if (retained.Contains(stored.Cid))
            {
                report.Retained++;
            }
            else if (stored.Written > writtenBefore)
            {
                report.WithinGrace++;
            }
            else
            {
                candidates.Add(stored);
                if (candidates.Count == Batch)
                {
                    await DeleteAsync(candidates).ConfigureAwait(false);
                }
            }
        }

        await DeleteAsync(candidates).ConfigureAwait(false);

        // Packs: one goes when none of its blocks is kept, and the registry, asked again, keeps none.
        await foreach (var pack in tier.EnumeratePacksAsync(cancellationToken).ConfigureAwait(false))
        {
            report.Listed++;
            report.Packs++;
            if (pack.Written > writtenBefore)
            {
                report.WithinGrace++;
                continue;
            }

            PackTail tail;
            try
            {
                tail = await tier.ReadPackTailAsync(pack, cancellationToken).ConfigureAwait(false);
            }
            catch (Content.BlockNotFoundException)
            {
                // Deleted since it was listed (another collection).
                continue;
            }
            catch (Content.ContentFormatException)
            {
                // What cannot be read is not deleted by a collection: verify reports it, and its repair decides.
                report.KeptByRegistry++;
                continue;
            }

            var kept = tail.Entries.Where(e => retained.Contains(e.Cid)).ToList();
            if (kept.Count == 0)
            {
                await CollectPackAsync(pack, tail, []).ConfigureAwait(false);
                continue;
            }

            // A pack mostly dead (or holding blocks kept as objects of their own too) is written
            // again with only the kept blocks nothing else holds; the rest stays whole.
            var onlyHere = OnlyIn(kept);
            if (onlyHere.Sum(e => (long)e.At.Length) >= tail.Entries.Sum(e => (long)e.At.Length) * RewriteBelowShare)
            {
                report.Retained++;
                continue;
            }

            await CollectPackAsync(pack, tail, onlyHere).ConfigureAwait(false);
        }

        return report;

        // The entries whose blocks' records list no object of their own, each once. A copy in another
        // pack does not count: a collection on another host may be rewriting that pack on the same
        // grounds, and only a block's own object is never deleted while something keeps the block.
        List<PackEntry> OnlyIn(List<PackEntry> entries) => entries
            .DistinctBy(e => e.Cid)
            .Where(e => registry.Find(e.Cid)?.Locations.Contains(tierLocation, StringComparer.Ordinal) != true)
            .ToList();

        // Deletes a pack, its dead blocks marked first and checked again (a name or guard added
        // meanwhile keeps it whole); the kept blocks only it holds are first written into a new
        // pack (with the pack's journal, so a rebuild still finds their records) listed on their records.
        async Task CollectPackAsync(StoredPack pack, PackTail tail, List<PackEntry> onlyHere)
        {
            var dead = tail.Entries.Select(e => e.Cid).Distinct().Where(cid => !retained.Contains(cid)).ToList();
            var marked = registry.MarkTierDeletions(dead, GuardLifetime);
            var markedAt = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                if (marked.Count < dead.Count)
                {
                    report.KeptByRegistry++;
                    return;
                }

                if (onlyHere.Count > 0)
                {
                    var blocks = new Content.HashedBlock[onlyHere.Count];
                    try
                    {
                        foreach (var chunk in Enumerable.Range(0, onlyHere.Count).Chunk(DeletesAtOnce))
                        {
                            await Task.WhenAll(chunk.Select(async i => blocks[i] = await tier.GetAsync(onlyHere[i].Cid, onlyHere[i].At, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
                        }
                    }
                    catch (Exception e) when (e is Content.BlockCorruptedException or Content.BlockNotFoundException)
                    {
                        // A block damaged, or the pack deleted since it was listed: verify reports the one, the other is done.
                        report.KeptByRegistry++;
                        return;
                    }

                    var moved = await tier.PutPackAsync(blocks, tail.Journal, cancellationToken).ConfigureAwait(false);
                    if (moved[0].At.Pack == pack.Id)
                    {
                        // The same bytes again (every block kept, in the same order): the same pack, which stays.
                        report.Retained++;
                        return;
                    }

                    foreach (var entry in moved)
                    {
                        registry.AddLocation(entry.Cid, tier.LocationOf(entry.At));
                    }

                    report.PacksRewritten++;
                    report.BytesRewritten += blocks.Sum(b => (long)b.Bytes.Length);
                }

                // Marks older than half their life are left to lapse rather than trusted, as for
                // objects: a name may be added to a dead block once its mark has lapsed. The pack
                // stays; a new one written above is listed beside it, and the next gc deletes it.
                if (markedAt.Elapsed > DeletionLifetime / 2)
                {
                    report.KeptByRegistry++;
                    return;
                }

                await tier.DeletePackAsync(pack.Id, cancellationToken).ConfigureAwait(false);
                var deadSet = dead.ToHashSet();
                foreach (var entry in tail.Entries)
                {
                    registry.ReleaseLocation(entry.Cid, tier.LocationOf(entry.At));
                    if (deadSet.Contains(entry.Cid))
                    {
                        removed?.Invoke(entry.Cid);
                    }
                }

                report.Deleted++;
                report.PacksDeleted++;
                report.BytesFreed += pack.Bytes;
            }
            finally
            {
                registry.EndTierDeletions(marked);
            }
        }

        async Task DeleteAsync(List<StoredBlock> batch)
        {
            if (batch.Count == 0)
            {
                return;
            }

            var bytes = batch.ToDictionary(b => b.Cid, b => b.Bytes);
            var marked = registry.MarkTierDeletions(batch.ConvertAll(b => b.Cid), GuardLifetime);
            report.KeptByRegistry += batch.Count - marked.Count;
            batch.Clear();
            var markedAt = System.Diagnostics.Stopwatch.StartNew();
            var deleted = new List<Cid>(marked.Count);
            try
            {
                foreach (var chunk in marked.Chunk(DeletesAtOnce))
                {
                    // A mark older than half its life is left to lapse rather than trusted: a put
                    // may stop waiting for it at its full life.
                    if (markedAt.Elapsed > DeletionLifetime / 2)
                    {
                        break;
                    }

                    await Task.WhenAll(chunk.Select(async cid =>
                    {
                        await tier.DeleteAsync(cid, cancellationToken).ConfigureAwait(false);
                        lock (deleted)
                        {
                            deleted.Add(cid);
                        }
                    })).ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (var cid in deleted)
                {
                    registry.ReleaseLocation(cid, tierLocation);
                    report.Deleted++;
                    report.BytesFreed += bytes[cid];
                    removed?.Invoke(cid);
                }

                registry.EndTierDeletions(marked);
            }
        }
    }
}

/// <summary>What <see cref="TierGc.CollectAsync"/> found and did, in objects: a block's own, or a pack of small blocks.</summary>
public sealed class TierGcReport
{
    /// <summary>Objects listed in the bucket.</summary>
    public long Listed { get; set; }

    /// <summary>Of those, packs.</summary>
    public long Packs { get; set; }

    /// <summary>Packs deleted (each counted in <see cref="Deleted"/> too).</summary>
    public long PacksDeleted { get; set; }

    /// <summary>Of the packs deleted, those whose kept blocks were written into a new pack first (<see cref="TierGc.RewriteBelowShare"/>).</summary>
    public long PacksRewritten { get; set; }

    /// <summary>The bytes of the blocks written into new packs (<see cref="BytesFreed"/> counts the old packs whole).</summary>
    public long BytesRewritten { get; set; }

    /// <summary>The registry's journal objects replaced by a compaction (<see cref="TierJournal.CompactAsync"/>; set by the caller that ran it).</summary>
    public int JournalObjectsReplaced { get; set; }

    /// <summary>The journal objects that compaction wrote, the registry as it stood.</summary>
    public int JournalObjectsWritten { get; set; }

    /// <summary>Of those, kept because a name or pin reaches them (a pack: one of its blocks).</summary>
    public long Retained { get; set; }

    /// <summary>Kept because they were written within the grace period.</summary>
    public long WithinGrace { get; set; }

    /// <summary>Kept because the registry, asked again as they were marked, kept them (a pack: one of its blocks): a put's guard, or a name or pin added since the walk; and packs whose index cannot be read.</summary>
    public long KeptByRegistry { get; set; }

    /// <summary>Objects deleted from the bucket.</summary>
    public long Deleted { get; set; }

    /// <summary>The bytes of the objects deleted.</summary>
    public long BytesFreed { get; set; }
}
