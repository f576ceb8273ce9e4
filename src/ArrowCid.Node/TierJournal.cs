using ArrowCid.ObjectStorage;
using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>
/// The shared registry's journal in the durable tier (<c>PREFIX/journal/</c>): every change a node makes to
/// the shared registry (the rows its puts publish, names' versions, pins, tags, deletions) is
/// written there before the call that made it returns, so a registry lost with every node's folder
/// is rebuilt from the bucket alone (<see cref="RebuildAsync"/>). Entries of many calls at once go
/// in one object (group commit, one object written at a time). The records of packed blocks are
/// not written here: their pack carries them (<see cref="TierPacker"/>).
/// </summary>
internal sealed class TierJournal(Func<S3BlockTier> tier) : IJournalCopy
{
    /// <summary>The journal of an open tier.</summary>
    public TierJournal(S3BlockTier tier)
        : this(() => tier)
    {
    }

    // A journal object's entries at most.
    private const int MaxObjectBytes = 4 << 20;

    private readonly Batcher<IReadOnlyList<byte[]>, bool> _objects = new(
        async batch =>
        {
            var entries = batch.SelectMany(e => e).ToList();
            await tier().PutJournalAsync(LocalRepository.EncodeJournal(entries)).ConfigureAwait(false);
            return batch.Select(_ => true).ToList();
        },
        batchesAtOnce: 1,
        entries => entries.Sum(e => (long)e.Length),
        MaxObjectBytes);

    /// <inheritdoc/>
    /// <exception cref="ObjectStoreException">The store refused the journal's object or could not be reached in time.</exception>
    public void Append(IReadOnlyList<byte[]> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count > 0)
        {
            _objects.SubmitAsync(entries).GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// Replaces the tier's journal with the registry as it stands
    /// (<see cref="LocalRepository.CompactedJournals"/>), so the journal, and a rebuild's reading of
    /// it, grows with the registry rather than with every change ever made. The objects listed first
    /// are deleted once the registry, read after they were listed, is written as new objects: every
    /// change in a listed object was made in the registry before the object was written, so before
    /// the registry was read. A change made since is in an object written after the listing, which
    /// stays and is replayed after the new ones. A crash midway leaves old objects and new ones
    /// both, which replay to the same registry.
    /// </summary>
    /// <param name="tier">The bucket.</param>
    /// <param name="registry">The registry every node writing to the bucket shares.</param>
    /// <param name="cancellationToken">Stops between objects (what was deleted is in the new ones).</param>
    /// <returns>How many objects were replaced and how many written; none when the journal has one object or none, or when what was written since the last compaction weighs less than what it wrote.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused a request.</exception>
    public static async Task<(int Replaced, int Written)> CompactAsync(S3BlockTier tier, Registry.IRegistry registry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(registry);
        var listed = new List<StoredJournal>();
        await foreach (var stored in tier.EnumerateJournalAsync(cancellationToken).ConfigureAwait(false))
        {
            listed.Add(stored);
        }

        // Not before the changes written since the last compaction weigh as much as what it wrote:
        // each change is then written again a bounded number of times, however large the registry.
        long since = listed.Where(o => !o.Compacted).Sum(o => o.Bytes);
        if (listed.Count < 2 || since < listed.Where(o => o.Compacted).Sum(o => o.Bytes))
        {
            return (0, 0);
        }

        int written = 0;
        foreach (byte[] journal in LocalRepository.CompactedJournals(registry, DateTimeOffset.UtcNow, MaxObjectBytes))
        {
            await tier.PutJournalAsync(journal, compacted: true, cancellationToken).ConfigureAwait(false);
            written++;
        }

        foreach (var objects in listed.Chunk(16))
        {
            await Task.WhenAll(objects.Select(o => tier.DeleteJournalAsync(o.Key, cancellationToken))).ConfigureAwait(false);
        }

        return (listed.Count, written);
    }

    /// <summary>
    /// Writes into <paramref name="registry"/> everything the tier's journal holds, and the journals
    /// its packs carry, replayed in the order it was made: the records, names' versions with their
    /// numbers, pins, tags and deletions; then lists each block where the tier holds it (its own
    /// object, or its range of a pack).
    /// </summary>
    /// <param name="tier">The bucket.</param>
    /// <param name="registry">The registry to write (empty, or missing what the journal holds).</param>
    /// <param name="cancellationToken">Stops between objects.</param>
    /// <returns>What was written, and how many journal objects were read.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached in time, or refused a request.</exception>
    /// <exception cref="InvalidDataException">A journal object is not one.</exception>
    public static async Task<(RegistryRebuild Rebuilt, int Objects)> RebuildAsync(S3BlockTier tier, Registry.IRegistry registry, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(registry);
        var journals = new List<byte[]>();
        await foreach (var stored in tier.EnumerateJournalAsync(cancellationToken).ConfigureAwait(false))
        {
            journals.Add(await tier.ReadJournalAsync(stored.Key, cancellationToken).ConfigureAwait(false));
        }

        // A pack carries its blocks' records (their range in it is known only from its index).
        var packed = new List<PackEntry>();
        await foreach (var pack in tier.EnumeratePacksAsync(cancellationToken).ConfigureAwait(false))
        {
            PackTail tail;
            try
            {
                tail = await tier.ReadPackTailAsync(pack, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Content.BlockNotFoundException or Content.ContentFormatException)
            {
                // Gone since listed, or damaged: verify reports it.
                continue;
            }

            packed.AddRange(tail.Entries);
            if (tail.Journal.Length > 0)
            {
                journals.Add(tail.Journal);
            }
        }

        var rebuilt = LocalRepository.ReplayJournal(registry, journals);
        foreach (var entry in packed)
        {
            registry.AddLocations([entry.Cid], tier.LocationOf(entry.At));
        }

        var objects = new List<Content.Multiformats.Cid>();
        await foreach (var cid in tier.EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            objects.Add(cid);
            if (objects.Count == 1000)
            {
                registry.AddLocations(objects, tier.Location.ToString());
                objects.Clear();
            }
        }

        registry.AddLocations(objects, tier.Location.ToString());
        return (rebuilt, journals.Count);
    }
}
