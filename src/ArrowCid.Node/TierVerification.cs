using ArrowCid.Content.Multiformats;
using ArrowCid.ObjectStorage;
using ArrowCid.Registry;

namespace ArrowCid.Node;

/// <summary>
/// <c>verify</c> of a durable tier against the registry that names its blocks: every block object
/// is read and re-hashed, and every record that lists the tier must have its object there.
/// </summary>
public static class TierVerification
{
    // Objects read at once.
    private const int ReadsAtOnce = 16;

    /// <summary>
    /// Re-hashes every block object in <paramref name="tier"/> and checks each record of
    /// <paramref name="registry"/> that lists the tier has its object. With <paramref name="repair"/>,
    /// a corrupt object is deleted, and the tier's location goes from the records of corrupt and
    /// missing ones (a record goes with its last location), so no reader is sent to them.
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
        var corrupt = new List<Cid>();
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
                    corrupt.Add(stored.Cid);
                }

                hashed?.Invoke(stored.Bytes);
                if (!registry.Contains(stored.Cid))
                {
                    unregistered++;
                }
            }
        }

        string location = tier.Location.ToString();
        var missing = new List<Cid>();
        foreach (var record in registry.Walk())
        {
            if (record.Locations.Contains(location, StringComparer.Ordinal) && !listed.Contains(record.Cid))
            {
                missing.Add(record.Cid);
            }
        }

        if (repair)
        {
            foreach (var cid in corrupt)
            {
                await tier.DeleteAsync(cid, cancellationToken).ConfigureAwait(false);
                registry.ReleaseLocation(cid, location);
            }

            foreach (var cid in missing)
            {
                registry.ReleaseLocation(cid, location);
            }
        }

        return new TierVerifyReport(checkedObjects, corrupt, missing, unregistered, repair);
    }
}

/// <summary>What <see cref="TierVerification.VerifyAsync"/> found, and whether it repaired it.</summary>
/// <param name="ObjectsChecked">Block objects read and re-hashed.</param>
/// <param name="Corrupt">Objects whose bytes do not hash to their CID.</param>
/// <param name="Missing">Records that list the tier whose object is not there.</param>
/// <param name="Unregistered">Objects no record names: garbage for gc after its grace period, or what a lost registry named.</param>
/// <param name="Repaired">Whether the corrupt objects were deleted and the tier's location released from the records of those and the missing.</param>
public sealed record TierVerifyReport(long ObjectsChecked, IReadOnlyList<Cid> Corrupt, IReadOnlyList<Cid> Missing, long Unregistered, bool Repaired)
{
    /// <summary>Whether nothing is corrupt or missing.</summary>
    public bool IsClean => Corrupt.Count == 0 && Missing.Count == 0;
}
