using ArrowCid.Content.Multiformats;
using ArrowCid.ObjectStorage;
using ArrowCid.Registry;

namespace ArrowCid.Node;

/// <summary>
/// <c>verify</c> of a durable tier against the registry that names its blocks: every block object
/// and pack is read and re-hashed, and every record that lists the tier or a pack of it must have
/// its block there.
/// </summary>
public static class TierVerification
{
    // Objects read at once.
    private const int ReadsAtOnce = 16;

    /// <summary>
    /// Re-hashes every block object in <paramref name="tier"/> and checks each record of
    /// <paramref name="registry"/> that lists the tier has its object. With <paramref name="repair"/>,
    /// a corrupt object is deleted, a damaged pack too (one whose bytes do not hash to its id or whose
    /// index cannot be read), and the locations of corrupt and missing blocks go from their records
    /// (a record goes with its last location), so no reader is sent to them. A pack with a corrupt
    /// block is kept for its others.
    /// </summary>
    /// <param name="tier">The bucket.</param>
    /// <param name="registry">The registry naming its blocks.</param>
    /// <param name="listed">An empty set to hold the CIDs listed (it may spill to disk; the caller owns it).</param>
    /// <param name="repair">Whether to fix what is found.</param>
    /// <param name="hashed">Told each object's length once it is hashed.</param>
    /// <param name="cancellationToken">Stops the check between requests.</param>
    /// <returns>What was found, and done.</returns>
    /// <exception cref="ObjectStoreException">The store could not be reached or refused a request.</exception>
    public static async Task<TierVerifyReport> VerifyAsync(
        S3BlockTier tier, IRegistry registry, CidKeySet listed, bool repair, Action<long>? hashed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tier);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(listed);
        var corruptObjects = new List<Cid>();
        long checkedObjects = 0;
        long unregistered = 0;
        var batch = new List<StoredBlock>(ReadsAtOnce);
        await foreach (var stored in tier.EnumerateObjectsAsync(cancellationToken).ConfigureAwait(false))
        {
            listed.Add(stored.Cid);
            batch.Add(stored);
            if (batch.Count == ReadsAtOnce)
            {
                await CheckAsync().ConfigureAwait(false);
            }
        }

        await CheckAsync().ConfigureAwait(false);

        // Packs, each read whole: its bytes against its id, its index, every block against its CID.
        var intactPacks = new HashSet<string>(StringComparer.Ordinal);
        var damagedPacks = new List<string>();
        var corruptPacked = new List<PackEntry>();
        await foreach (var pack in tier.EnumeratePacksAsync(cancellationToken).ConfigureAwait(false))
        {
            PackCheck check;
            try
            {
                check = await tier.CheckPackAsync(pack, cancellationToken).ConfigureAwait(false);
            }
            catch (Content.BlockNotFoundException)
            {
                // Deleted since it was listed (a collection).
                continue;
            }

            checkedObjects++;
            hashed?.Invoke(pack.Bytes);
            if (check.Damage is null)
            {
                intactPacks.Add(pack.Id);
            }
            else
            {
                damagedPacks.Add(pack.Id);
            }

            var corruptHere = check.Corrupt.ToHashSet();
            foreach (var entry in check.Entries)
            {
                if (corruptHere.Contains(entry.Cid))
                {
                    corruptPacked.Add(entry);
                    continue;
                }

                listed.Add(entry.Cid);
                if (!registry.Contains(entry.Cid))
                {
                    unregistered++;
                }
            }
        }

        // Reads a batch of objects at once, each re-hashed by the tier (a mismatch is its BlockCorruptedException).
        async Task CheckAsync()
        {
            var outcomes = await Task.WhenAll(batch.Select(async stored =>
            {
                try
                {
                    await tier.GetAsync(stored.Cid, cancellationToken).ConfigureAwait(false);
                    return (stored, Intact: (bool?)true);
                }
                catch (Content.BlockCorruptedException)
                {
                    return (stored, Intact: (bool?)false);
                }
                catch (Content.BlockNotFoundException)
                {
                    // Deleted since it was listed (a collection): nothing to check.
                    return (stored, Intact: (bool?)null);
                }
            })).ConfigureAwait(false);
            batch.Clear();
            foreach (var (stored, intact) in outcomes)
            {
                if (intact is null)
                {
                    continue;
                }

                checkedObjects++;
                if (intact == false)
                {
                    corruptObjects.Add(stored.Cid);
                }

                hashed?.Invoke(stored.Bytes);
                if (!registry.Contains(stored.Cid))
                {
                    unregistered++;
                }
            }
        }

        // A record listing the tier needs the block's object; one listing a pack of it needs that
        // pack, intact, with the block in the bucket (a block at the wrong place in a pack would not
        // hash when read: a typed error, never bad data).
        string location = tier.Location.ToString();
        var missing = new List<(Cid Cid, string Location)>();
        foreach (var record in registry.Walk())
        {
            foreach (string at in record.Locations)
            {
                bool gone = at == location
                    ? !listed.Contains(record.Cid)
                    : tier.TryParsePacked(at, out var packed) && (!intactPacks.Contains(packed.Pack) || !listed.Contains(record.Cid));
                if (gone)
                {
                    missing.Add((record.Cid, at));
                }
            }
        }

        if (repair)
        {
            foreach (var cid in corruptObjects)
            {
                await tier.DeleteAsync(cid, cancellationToken).ConfigureAwait(false);
                registry.ReleaseLocation(cid, location);
            }

            // A pack is not rewritten: its corrupt blocks' locations go, its other blocks stay read from it.
            foreach (var entry in corruptPacked)
            {
                registry.ReleaseLocation(entry.Cid, tier.LocationOf(entry.At));
            }

            foreach (var (cid, at) in missing)
            {
                registry.ReleaseLocation(cid, at);
            }

            // A pack whose bytes or index are damaged is deleted once no record names it.
            foreach (string pack in damagedPacks)
            {
                await tier.DeletePackAsync(pack, cancellationToken).ConfigureAwait(false);
            }
        }

        var corrupt = corruptObjects.Concat(corruptPacked.Select(e => e.Cid)).ToList();
        return new TierVerifyReport(checkedObjects, corrupt, missing.ConvertAll(m => m.Cid).Distinct().ToList(), unregistered, repair, damagedPacks);
    }
}

/// <summary>What <see cref="TierVerification.VerifyAsync"/> found, and whether it repaired it.</summary>
/// <param name="ObjectsChecked">Objects read and re-hashed: block objects and packs.</param>
/// <param name="Corrupt">Blocks whose bytes (an object's, or in a pack) do not hash to their CID.</param>
/// <param name="Missing">Records that list the tier, or a pack of it, without the block there intact.</param>
/// <param name="Unregistered">Objects no record names: garbage for gc after its grace period, or what a lost registry named.</param>
/// <param name="Repaired">Whether the corrupt objects were deleted and the tier's location released from the records of those and the missing.</param>
/// <param name="DamagedPacks">Packs whose bytes do not hash to their id or whose index cannot be read (with repair: deleted).</param>
public sealed record TierVerifyReport(long ObjectsChecked, IReadOnlyList<Cid> Corrupt, IReadOnlyList<Cid> Missing, long Unregistered, bool Repaired, IReadOnlyList<string> DamagedPacks)
{
    /// <summary>Whether nothing is corrupt, damaged or missing.</summary>
    public bool IsClean => Corrupt.Count == 0 && Missing.Count == 0 && DamagedPacks.Count == 0;
}
