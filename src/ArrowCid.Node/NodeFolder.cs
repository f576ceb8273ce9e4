using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.ObjectStorage;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Node;

/// <summary>
/// A repository folder as its node sees it: its content, and the registry it shares with other
/// nodes when the folder remembers one (<see cref="NodeSettings"/>, written by <c>serve --registry</c>).
/// Names, listings, pins and gc then go to that registry, as they do through the running node:
/// a gc that consulted only the folder's own registry would know none of the shared names.
/// </summary>
public sealed class NodeFolder : IDisposable
{
    private readonly IRegistry? _unjournaled;
    private S3BlockTier? _tier;
    private NameChain? _sharedNames;
    private ServiceRegistry? _registrations;

    private NodeFolder(ContentRepository content, IRegistry? shared, IRegistry? unjournaled, string? location, string? blocks)
    {
        Content = content;
        Shared = shared;
        _unjournaled = unjournaled;
        Location = location;
        Blocks = blocks;
    }

    /// <summary>
    /// The durable tier the node keeps blocks in too (<c>s3://BUCKET/PREFIX</c>): the one asked for,
    /// else the one the folder remembers (<see cref="NodeSettings.Blocks"/>), else null.
    /// </summary>
    public string? Blocks { get; }

    /// <summary>The folder's content.</summary>
    public ContentRepository Content { get; }

    /// <summary>The registry shared with other nodes, or null.</summary>
    public IRegistry? Shared { get; }

    /// <summary>The node's location in <see cref="Shared"/>, when known.</summary>
    public string? Location { get; }

    /// <summary>The registry names and listings come from: the shared one, else the folder's own.</summary>
    public IRegistry Registry => Shared ?? Content.Repository.Registry;

    /// <summary>
    /// The signed chains of the names in <see cref="Registry"/> (docs/names.md): each node stored
    /// here is published as the folder's node publishes it (<see cref="ForPut"/>): to the bucket
    /// first when there is one, then to the shared registry with this folder's location.
    /// </summary>
    public NameChain Names => Shared is null && Blocks is null
        ? Content.Names
        : LazyInitializer.EnsureInitialized(ref _sharedNames, () => new NameChain(Content, Registry, node => Registrations.PublishNode(node), FetchFromBucket));

    /// <summary>
    /// The publisher of one put on the folder (<see cref="ContentRepository.PutStream(ArrowCid.Arrow.Types.Schema, IEnumerable{ArrowCid.Arrow.Arrays.RecordBatch}, PutOptions?, IPutPublisher?)"/>),
    /// publishing as the folder's node publishes its own puts (<see cref="ServiceRegistry.ForPut"/>):
    /// with a bucket every block is uploaded before any registry beyond the folder's own names it;
    /// with a shared registry the records (with this node's location), the pin and the name's
    /// version go there. Null when the node shares no registry and keeps no bucket: the folder's
    /// own registry is then the only one. Dispose it when the put ends, acknowledged or not.
    /// </summary>
    /// <exception cref="ObjectStoreException">The bucket cannot be reached, or refuses the credentials.</exception>
    /// <exception cref="FormatException"><see cref="Blocks"/> is not an <c>s3://</c> location.</exception>
    public ServiceRegistry.PutPublication? ForPut() => Shared is null && Blocks is null ? null : Registrations.ForPut();

    // What the folder stores is made known as its node makes it known: the bucket opened on first use.
    private ServiceRegistry Registrations => LazyInitializer.EnsureInitialized(ref _registrations, () =>
        new ServiceRegistry(Content, Shared, new NodeIdentity { Location = Location }, new ChangeNotifier(), OpenTierAsync().GetAwaiter().GetResult(), _unjournaled));

    /// <summary>
    /// A block read from the node's bucket, re-hashed, and not stored: what a command that reads
    /// only a table's manifests (<c>diff</c>) asks for what the folder lacks. Null without a bucket.
    /// </summary>
    /// <param name="cid">The block.</param>
    /// <returns>Its bytes, or null.</returns>
    /// <exception cref="BlockNotFoundException">The bucket lacks it.</exception>
    /// <exception cref="ObjectStorage.ObjectStoreException">The bucket cannot be reached.</exception>
    public byte[]? ReadFromBucket(Cid cid) => OpenTierAsync().GetAwaiter().GetResult() is { } tier
        ? PeerFetcher.ReadsFromTier(tier, Shared)(cid, CancellationToken.None).GetAwaiter().GetResult().Bytes.ToArray()
        : null;

    // A table or node the folder lacks, copied from the node's bucket (when it keeps blocks in one), or null.
    private byte[]? FetchFromBucket(Cid cid)
    {
        try
        {
            if (Shared?.Find(cid) is { Kind: BlockKind.VersionNode } node)
            {
                // One block, not a table: read as it lies in the bucket and kept as what it is.
                if (OpenTierAsync().GetAwaiter().GetResult() is { } tier)
                {
                    var block = PeerFetcher.ReadsFromTier(tier, Shared, node)(cid, CancellationToken.None).GetAwaiter().GetResult();
                    Content.Repository.PutBlock(block, new BlockRecord { Cid = cid, Kind = BlockKind.VersionNode });
                }
            }
            else
            {
                FetchMissingAsync(Content, Blocks, [cid]).GetAwaiter().GetResult();
            }

            return Content.Repository.Blocks.Has(cid) ? Content.GetBytes(cid).ToArray() : null;
        }
        catch (Exception e) when (e is BlockNotFoundException or ObjectStorage.ObjectStoreException or NodeFolderException or ContentFormatException)
        {
            return null;
        }
    }

    /// <summary>Opens the folder and, when it remembers one, its shared registry; failures name what failed.</summary>
    /// <param name="content">The folder's content (owned from here on).</param>
    /// <param name="blocks">The durable tier asked for (<c>--blocks</c>), or null for the one the folder remembers.</param>
    public static NodeFolder Open(ContentRepository content, string? blocks = null)
    {
        try
        {
            var settings = About(Path.Combine(content.Repository.Root, NodeSettings.FileName), () => NodeSettings.Read(content.Repository.Root));

            // What a command changes in the shared registry goes to the bucket's journal too, as a
            // node's changes do (the bucket opened when the first change is journaled).
            NodeFolder? folder = null;
            string? tierLocation = blocks ?? settings?.Blocks;
            var copy = tierLocation is null ? null : new TierJournal(() => folder!.OpenTierAsync().GetAwaiter().GetResult()!);
            IRegistry? unjournaled = settings?.Registry is { } url
                ? About($"the registry this repository's node shares ({NodeSettings.Redacted(url)})", () => RegistryFactory.Open(url))
                : null;
            IRegistry? shared = unjournaled is null ? null : content.Repository.Journaled(unjournaled, copy);
            folder = new NodeFolder(content, shared, unjournaled, settings?.Location, tierLocation);
            return folder;
        }
        catch
        {
            content.Dispose();
            throw;
        }
    }

    // A failure to read the settings or reach the registry names what failed (the settings file,
    // the registry's redacted address) in front of its own message.
    private static T About<T>(string subject, Func<T> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or RegistryUnavailableException or System.Text.Json.JsonException)
        {
            throw new NodeFolderException($"{subject}: {e.Message}", e);
        }
    }

    /// <summary>The record of a CID: the shared registry's, else the folder's own.</summary>
    public BlockRecord? Find(Cid cid) => Shared?.Find(cid) ?? Content.Repository.GetRecord(cid);

    /// <summary>Pins or unpins a CID here and in the shared registry; false when neither knows it.</summary>
    public bool SetPin(Cid cid, bool pin)
    {
        bool found = pin ? Content.Repository.Pin(cid) : Content.Repository.Unpin(cid);
        if (Shared is not null)
        {
            found |= pin ? Shared.Pin(cid) : Shared.Unpin(cid);
        }

        return found;
    }

    /// <summary>
    /// Collects garbage, keeping what the shared registry retains and releasing only this node's
    /// locations there; with <paramref name="replication"/>, handing retained blocks over to other
    /// nodes verified to serve them (never below its number of copies).
    /// </summary>
    /// <param name="replication">How many copies the nodes keep; null: every retained block is kept here.</param>
    /// <param name="removed">Called with each block removed, as it goes.</param>
    /// <param name="walked">Called with how many registry rows were walked since the last call.</param>
    /// <returns>What was removed, counted.</returns>
    public GcReport Gc(GcReplication? replication = null, Action<GcRemoval>? removed = null, Action<long>? walked = null) => Content.Repository.Gc(Shared, Location, replication, removed, walked);

    /// <summary>
    /// Compares what this node holds with where the shared registry says it is: a record listing
    /// this node for a block it does not hold is a stale location; a block this node holds and has
    /// registered whose shared record does not list it is an unrecorded one. With
    /// <paramref name="repair"/>, stale locations are released and unrecorded ones published.
    /// Null without a shared registry or a known location.
    /// </summary>
    public LocationReport? VerifyLocations(bool repair)
    {
        if (Shared is null || Location is null)
        {
            return null;
        }

        var local = Content.Repository;
        var stale = new List<Cid>();
        foreach (var record in Shared.List())
        {
            if (record.Locations.Contains(Location, StringComparer.OrdinalIgnoreCase) && !local.Blocks.Has(record.Cid))
            {
                stale.Add(record.Cid);
            }
        }

        var unrecorded = new List<Cid>();
        foreach (var cid in local.Registry.ListCids())
        {
            if (!local.Blocks.Has(cid))
            {
                continue;
            }

            var record = Shared.Find(cid);
            if (record is null || !record.Locations.Contains(Location, StringComparer.OrdinalIgnoreCase))
            {
                unrecorded.Add(cid);
            }
        }

        if (repair)
        {
            foreach (var cid in stale)
            {
                Shared.ReleaseLocation(cid, Location);
            }

            foreach (var cid in unrecorded)
            {
                if (local.GetRecord(cid) is { } record)
                {
                    // As the node publishes: with its location, and not pinned by what it holds.
                    Shared.Upsert(record.PublishedFrom(Location));
                }
            }
        }

        return new LocationReport(stale, unrecorded, repair);
    }

    /// <summary>
    /// Whether the folder holds every block of each of <paramref name="cids"/> (a table's nodes and
    /// chunks, or the one block); for those it does not, when its node keeps blocks in a bucket,
    /// copies the missing blocks from there (the bucket opened once, each block re-hashed as it is
    /// read), unpinned (the bucket keeps them; a gc here may drop them). So a command reading tables
    /// from a node's folder finds what its cache evicted.
    /// </summary>
    /// <param name="content">The folder's content (may be opened apart from a <see cref="NodeFolder"/>).</param>
    /// <param name="blocks">The bucket asked for, or null for the one the folder remembers.</param>
    /// <param name="cids">The tables or blocks.</param>
    /// <param name="cancellationToken">Stops the copy between blocks.</param>
    /// <exception cref="ObjectStoreException">The bucket cannot be reached.</exception>
    /// <exception cref="Content.BlockNotFoundException">The bucket lacks a block.</exception>
    public static async Task FetchMissingAsync(ContentRepository content, string? blocks, IReadOnlyList<Cid> cids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(cids);
        var missing = cids.Where(cid => !HoldsAll(content, cid)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var settings = NodeSettings.Read(content.Repository.Root);
        if ((blocks ?? settings?.Blocks) is not { } location)
        {
            return;
        }

        using var tier = await S3BlockTier.OpenAsync(S3Location.Parse(location), cancellationToken: cancellationToken).ConfigureAwait(false);

        // A small block lies in a pack, which the shared registry's record names.
        using var shared = settings?.Registry is { } url
            ? About($"the registry this repository's node shares ({NodeSettings.Redacted(url)})", () => RegistryFactory.Open(url))
            : null;
        var options = new PutOptions { Pin = false, Provenance = $"read from {tier.Location}" };
        var reads = PeerFetcher.ReadsFromTier(tier, shared);
        foreach (var cid in missing)
        {
            await TableCopy.CopyAsync(content, cid, reads, options, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    // Every block of a table (its nodes walked, its chunks looked up), or the one block.
    private static bool HoldsAll(ContentRepository content, Cid cid)
    {
        if (!content.Repository.Blocks.Has(cid))
        {
            return false;
        }

        try
        {
            return !content.IsManifest(cid) || content.OpenTable(cid).Chunks().All(chunk => content.Repository.Blocks.Has(chunk.Cid));
        }
        catch (Content.BlockNotFoundException)
        {
            return false;
        }
    }

    /// <summary>The durable tier (<see cref="Blocks"/>), opened and probed on first use; null without one.</summary>
    /// <exception cref="ObjectStoreException">The store cannot be reached, or refuses the bucket or the credentials.</exception>
    /// <exception cref="FormatException"><see cref="Blocks"/> is not an <c>s3://</c> location.</exception>
    public async Task<S3BlockTier?> OpenTierAsync(CancellationToken cancellationToken = default)
    {
        if (_tier is null && Blocks is { } blocks)
        {
            _tier = await S3BlockTier.OpenAsync(S3Location.Parse(blocks), cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return _tier;
    }

    /// <summary>
    /// Writes into the shared registry again everything the durable tier's journal holds (every node's
    /// rows, names' versions, pins, tags and deletions, <see cref="TierJournal"/>): the way back when
    /// that registry is lost, with the nodes' folders or without them.
    /// </summary>
    /// <returns>What was written.</returns>
    /// <exception cref="InvalidOperationException">The folder has no tier or no shared registry.</exception>
    /// <exception cref="ObjectStoreException">The store cannot be reached.</exception>
    public async Task<RegistryRebuild> RebuildSharedFromTierAsync(CancellationToken cancellationToken = default)
    {
        var shared = Shared ?? throw new InvalidOperationException("the folder's node shares no registry");
        var tier = await OpenTierAsync(cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("the folder's node keeps no blocks in a bucket");
        return (await TierJournal.RebuildAsync(tier, shared, cancellationToken).ConfigureAwait(false)).Rebuilt;
    }

    /// <summary>
    /// Collects the durable tier's garbage across hosts (<see cref="TierGc"/>): what no name, pin
    /// or in-flight put in <see cref="Registry"/> keeps, written more than <paramref name="grace"/> ago.
    /// </summary>
    /// <returns>What was found and deleted; null without a tier.</returns>
    public async Task<TierGcReport?> CollectTierAsync(TimeSpan grace, Action<Cid>? removed = null, CancellationToken cancellationToken = default)
    {
        if (await OpenTierAsync(cancellationToken).ConfigureAwait(false) is not { } tier)
        {
            return null;
        }

        using var retained = Content.Repository.NewKeySet();
        var report = await TierGc.CollectAsync(tier, Registry, retained, grace, removed, cancellationToken).ConfigureAwait(false);
        if (Shared is not null)
        {
            // The registry's journal in the bucket (kept only beside a shared registry), compacted to what the registry holds now.
            (report.JournalObjectsReplaced, report.JournalObjectsWritten) = await TierJournal.CompactAsync(tier, Shared, cancellationToken).ConfigureAwait(false);
        }

        return report;
    }

    /// <summary>Checks the durable tier against <see cref="Registry"/> (<see cref="TierVerification"/>); null without a tier.</summary>
    public async Task<TierVerifyReport?> VerifyTierAsync(bool repair, Action<long>? hashed = null, CancellationToken cancellationToken = default)
    {
        if (await OpenTierAsync(cancellationToken).ConfigureAwait(false) is not { } tier)
        {
            return null;
        }

        using var listed = Content.Repository.NewKeySet();
        return await TierVerification.VerifyAsync(tier, Registry, listed, repair, hashed, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        // Packed blocks' guards go in the background: let go of in the registry before it closes.
        _registrations?.GuardsReleasedAsync().GetAwaiter().GetResult();
        _tier?.Dispose();
        _sharedNames?.Dispose();
        Shared?.Dispose();
        Content.Dispose();
    }
}

/// <summary>What <see cref="NodeFolder.VerifyLocations"/> found, and whether it repaired it.</summary>
/// <param name="Stale">Blocks the shared registry says this node holds and it does not.</param>
/// <param name="Unrecorded">Blocks this node holds whose shared record does not list it.</param>
/// <param name="Repaired">Whether both were set right.</param>
public sealed record LocationReport(IReadOnlyList<Cid> Stale, IReadOnlyList<Cid> Unrecorded, bool Repaired)
{
    /// <summary>Whether the registry and the node agree.</summary>
    public bool IsClean => Stale.Count == 0 && Unrecorded.Count == 0;
}

/// <summary>A repository folder's node settings could not be read, or the registry they name could not be opened; the message names which.</summary>
public sealed class NodeFolderException : IOException
{
    /// <summary>A failure with its message and cause.</summary>
    public NodeFolderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A failure with no detail.</summary>
    public NodeFolderException()
    {
    }

    /// <summary>A failure with its message.</summary>
    public NodeFolderException(string message)
        : base(message)
    {
    }
}
