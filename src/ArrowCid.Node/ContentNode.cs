using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Flight;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Node;

/// <summary>
/// A node, whatever protocol reaches it: a repository's content (and this host's shared memory),
/// the registry it answers from and publishes to, its peers, tokens, change feed and identity,
/// composed from <see cref="NodeOptions"/>. The Flight service and the HTTP gateway are faces over
/// one <see cref="ContentNode"/>: what serving content needs is here, once, and what goes wrong is a
/// <see cref="NodeException"/> each face maps to its protocol.
/// </summary>
public sealed class ContentNode : IDisposable
{
    /// <summary>
    /// A whole table of at most this many chunk bytes is listed before it is sent (its entries take
    /// about 100 bytes per chunk of about 256 KiB, 6.5 MB here), so a missing chunk is found first.
    /// </summary>
    private const long ListedTableBytes = 16L << 30;

    /// <summary>Composes a node over <paramref name="content"/> (not owned) with <paramref name="options"/>.</summary>
    /// <param name="content">The repository the node serves and stores into.</param>
    /// <param name="options">Its settings; defaults when null.</param>
    public ContentNode(ContentRepository content, NodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new NodeOptions();

        // What the node writes to a shared registry is journaled in its folder, to be written again
        // if that registry is lost, and with a durable tier in the tier's journal too (rows as
        // well): the folder may be gone with the registry, the bucket is not.
        var unjournaled = options.SharedRegistry;
        Options = unjournaled is null
            ? options
            : options with { SharedRegistry = content.Repository.Journaled(unjournaled, options.DurableTier is { } tier ? new TierJournal(tier) : null) };
        Repository = content;
        content.MaxTableChunks = Options.Limits.MaxTableChunks;
        Subscribers = new Subscribers(Options.Limits);
        Content = new NodeContent(content, Options.SharedMemory);
        Registrations = new ServiceRegistry(content, Options.SharedRegistry, Identity, Changes, Options.DurableTier, unjournaled);
        Peers = new PeerFetcher(content, Options.SharedRegistry, Identity, PeerFetcher.ClientOptions(Options), Options.DurableTier);
        Registrations.FetchMissing = FetchNode;
        Registrations.FetchMissingAsync = FetchNodeAsync;
        if (Options.CacheBytes is { } cacheBytes)
        {
            if (Options.DurableTier is null || Options.SharedRegistry is null)
            {
                // Evicting a row the local registry alone holds would lose what it names.
                throw new ArgumentException("a cache size needs blocks in a durable tier (--blocks s3://…) and a shared registry (--registry postgresql://…): the node's disk is then a cache of what they hold", nameof(options));
            }

            Cache = new BlockCache(content, Registrations, cacheBytes, Options.DurableTier.Location.ToString());
            Registrations.Cache = Cache;
            Peers.Cache = Cache;
        }
        Health = new NodeHealth(this);
        Metrics = new NodeMetrics(this);
        if (Options.DurableTier is not null)
        {
            // The disk is a cache of the tier: a copy found damaged (a crash after a write the
            // cache never synced, a failing disk) is read from the tier again, on every face: the
            // repository's reader, and the node's when shared memory gives it one of its own.
            content.Reader.DamagedCopy = RestoreFromTier;
            if (Reader != content.Reader)
            {
                Reader.DamagedCopy = RestoreFromTier;
            }
        }
    }

    // A block whose copy here does not hash to its CID: set aside (by this read, or by another that
    // found it first and is restoring it too), and stored again from the tier; false (the caller's
    // DATA_LOSS) when the tier lacks it. A damaged copy elsewhere (shared memory) is not the disk's:
    // the retried open finds it damaged again and throws.
    private bool RestoreFromTier(Cid cid)
    {
        bool setAside = Repository.Repository.SetAsideDamaged(cid);
        if (setAside)
        {
            NodeLogging.RestoringFromTier(Logging.CreateLogger(NodeLogging.NodeCategory), cid.ToString(), Options.DurableTier!.Describe());
        }

        EnsureFromTierAsync(cid, CancellationToken.None).GetAwaiter().GetResult();
        if (!Reader.Has(cid))
        {
            return false;
        }

        if (setAside)
        {
            Metrics.Restored();
        }

        return true;
    }

    /// <summary>Where the node and its faces log (<see cref="NodeOptions.Logging"/>).</summary>
    public ILoggerFactory Logging => Options.Logging;

    /// <summary>What the node records for its metrics (calls, bytes, durations, what it holds).</summary>
    public NodeMetrics Metrics { get; }

    /// <summary>Whether the node is ready for calls, or draining: what every face's health check reports.</summary>
    public NodeHealth Health { get; }

    /// <summary>The node's settings (limits, access, peers).</summary>
    public NodeOptions Options { get; }

    /// <summary>The repository (blocks and registry) the node serves.</summary>
    public ContentRepository Repository { get; }

    /// <summary>The node's content: the repository and this host's shared-memory store, read through one <see cref="BlockReader"/>.</summary>
    public NodeContent Content { get; }

    /// <summary>Every read of a block: the repository's, or this host's shared memory; mapped, verified, leased.</summary>
    public BlockReader Reader => Content.Reader;

    /// <summary>The registry answers come from, and the step that publishes what is stored here.</summary>
    public ServiceRegistry Registrations { get; }

    /// <summary>Who may call (the same tokens serve every face of the node).</summary>
    public AccessPolicy Access => Options.Access;

    /// <summary>Wakes subscribers; call <see cref="ChangeNotifier.Notify"/> when the registry changed elsewhere (a PostgreSQL NOTIFY).</summary>
    public ChangeNotifier Changes { get; } = new();

    /// <summary>Who follows the change feed, within the node's limits, and the gate its pages pass.</summary>
    public Subscribers Subscribers { get; }

    /// <summary>Fetches a CID this node lacks from a peer the registry lists (when allowed), then keeps it.</summary>
    public PeerFetcher Peers { get; }

    /// <summary>The node's disk as a bounded cache of its durable tier (<see cref="NodeOptions.CacheBytes"/>), or null: the disk keeps what it stores.</summary>
    public BlockCache? Cache { get; }

    /// <summary>Where the node's faces are reached, set as each binds its port.</summary>
    public NodeIdentity Identity { get; } = new();

    /// <summary>
    /// Whether a registered block is content a reader asks for by itself (a table or a batch); a
    /// foreign block has no Arrow data and an inner node of a manifest tree is part of a table.
    /// </summary>
    /// <param name="kind">The block's kind.</param>
    /// <returns>Whether listings show it.</returns>
    public static bool IsListed(BlockKind kind) => kind is not (BlockKind.Foreign or BlockKind.TableNode or BlockKind.VersionNode);

    /// <summary>The record of a CID: the registry's, or for a batch only in shared memory, one described from its bytes.</summary>
    /// <exception cref="NodeException"><see cref="NodeErrorKind.NotFound"/> when neither has it.</exception>
    public BlockRecord RecordOf(Cid cid) =>
        Registrations.Find(cid) ?? Content.DescribeSharedMemoryBatch(cid) ?? throw NodeException.NotFound(cid.ToString());

    /// <summary>The record a name's version (its latest, or the one asked for) points at, and that version.</summary>
    /// <exception cref="NodeException"><see cref="NodeErrorKind.NotFound"/> when the CID it names is not registered.</exception>
    /// <exception cref="DatasetNotFoundException">No such name or version.</exception>
    public (BlockRecord Record, NamedVersion Version) Resolve(DatasetReference name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var version = name.Resolve(Registrations.Registry);
        return (RecordOf(version.Cid), version);
    }

    /// <summary>Whether this node holds the block and, for a table manifest, every node and chunk of its tree.</summary>
    public bool HoldsAll(Cid cid)
    {
        if (!Reader.Has(cid))
        {
            return false;
        }

        if (!Repository.IsManifest(cid) || Content.KindOf(cid) == BlockKind.TableNode)
        {
            // One block: a batch, a stream, or an inner tree node (whose bytes a block read serves).
            return true;
        }

        try
        {
            // Walking the tree reads every node (a missing one throws); chunks are only looked up.
            return Repository.OpenTable(cid).Chunks().All(c => Reader.Has(c.Cid));
        }
        catch (BlockNotFoundException)
        {
            return false;
        }
    }

    // A name's version node another node stored (or the bucket holds): fetched here, for the chain a put continues.
    private byte[]? FetchNode(Cid cid)
    {
        try
        {
            FetchNodeAsync(cid, CancellationToken.None).GetAwaiter().GetResult();
            return Repository.GetBytes(cid).ToArray();
        }
        catch (Exception e) when (e is NodeException { Kind: NodeErrorKind.NotFound or NodeErrorKind.Unavailable } or BlockNotFoundException or ObjectStorage.ObjectStoreException)
        {
            return null;
        }
    }

    // The same, holding no thread while the block comes: from the bucket first, then a peer.
    private async Task FetchNodeAsync(Cid cid, CancellationToken cancellationToken)
    {
        await EnsureFromTierAsync(cid, cancellationToken).ConfigureAwait(false);
        await EnsureLocalAsync(cid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes sure the block (and a table's nodes and chunks) is here, fetching what is missing from a peer when the shared registry lists one.</summary>
    /// <exception cref="NodeException"><see cref="NodeErrorKind.NotFound"/>, or <see cref="NodeErrorKind.Unavailable"/> when its holders cannot be reached.</exception>
    public async Task EnsureLocalAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (!HoldsAll(cid))
        {
            await FetchFromPeerAsync(cid, cid.ToString(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// With a durable tier: makes sure the block (a table's nodes and chunks) is here, reading what
    /// is missing from the tier only, never from other nodes. The tier is this node's own storage
    /// and its disk a cache of it, so what the tier holds counts as held (the HTTP gateway's
    /// trustless answers). Returns without fetching when the node has no tier, holds it all, or no
    /// registry knows the CID, or the tier lacks it: the caller then answers as for a block not held.
    /// </summary>
    /// <exception cref="ObjectStorage.ObjectStoreException">The tier cannot be reached (each face answers UNAVAILABLE / 503).</exception>
    public async Task EnsureFromTierAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (Options.DurableTier is null || HoldsAll(cid) || Registrations.Find(cid) is not { } record)
        {
            return;
        }

        try
        {
            await Peers.CopyFromTierAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (BlockNotFoundException)
        {
            // Not in the tier (and no other node is asked): not held here.
            return;
        }

        Registrations.Registered(cid);
    }

    /// <summary>
    /// A table and the chunks a reader asked for (those of <paramref name="range"/>, or all), from
    /// one walk of its manifest tree that also checks each chunk is here; what is missing is fetched
    /// from a peer first (the whole table, <see cref="EnsureLocalAsync"/>), or the call fails
    /// NotFound before anything is sent. A table of more than <see cref="ListedTableBytes"/> chunk
    /// bytes asked for whole is not listed: its tree is walked as it streams, and a chunk found
    /// missing then (fetched by <see cref="OpenChunkAsync"/>, or NotFound) is found after the
    /// chunks before it have gone out.
    /// </summary>
    /// <exception cref="NodeException">NotFound; InvalidArgument for a range beyond the table.</exception>
    public async Task<(TableManifest Table, IEnumerable<TableTreeEntry> Chunks)> ListHeldChunksAsync(Cid cid, ChunkRange? range, CancellationToken cancellationToken)
    {
        string missing;
        try
        {
            var table = Repository.OpenTable(cid);
            if (range is null && table.Bytes > ListedTableBytes)
            {
                return (table, table.Chunks());
            }

            var chunks = range is { } some ? ChunksIn(table, some) : table.Chunks().ToList();
            var absent = chunks.Find(c => !Reader.Has(c.Cid));
            if (absent is null)
            {
                // Read from disk: hits, and the hottest blocks now, so the cache keeps them while they are sent.
                foreach (var chunk in chunks)
                {
                    Cache?.Hit(chunk.Cid);
                }

                return (table, chunks);
            }

            missing = $"{cid}: its chunk {absent.Cid} is not held here";
        }
        catch (BlockNotFoundException e)
        {
            missing = e.Cid == cid ? cid.ToString() : $"{cid}: its manifest node {e.Cid} is not held here";
        }

        await FetchFromPeerAsync(cid, missing, cancellationToken).ConfigureAwait(false);
        var fetched = Repository.OpenTable(cid);
        return (fetched, range is { } asked ? ChunksIn(fetched, asked) : (IEnumerable<TableTreeEntry>)fetched.Chunks());
    }

    /// <summary>
    /// The chunks of <paramref name="range"/>, listed (entries only, a few hundred for an endpoint)
    /// before anything is sent, so a range beyond the table is refused, not a cut stream.
    /// </summary>
    /// <exception cref="NodeException">InvalidArgument: the table has fewer chunks than the range ends at.</exception>
    public static List<TableTreeEntry> ChunksIn(TableManifest table, ChunkRange range)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(range);
        var selected = new List<TableTreeEntry>();
        long index = 0;
        foreach (var chunk in table.Chunks())
        {
            if (index >= range.End)
            {
                return selected;
            }

            if (index >= range.First)
            {
                selected.Add(chunk);
            }

            index++;
        }

        return index >= range.End
            ? selected
            : throw NodeException.Invalid($"chunks {range.First}-{range.End} of {table.Cid} asked for, but it has {index} chunks");
    }

    /// <summary>
    /// Opens a chunk for sending, fetching it first when it is missing. A chunk is held only while it
    /// is sent, but a table is fetched again and again: its chunk files stay mapped by the reader
    /// (<see cref="BlockAccess.Keep"/>), so a repeat costs no open, read or unmap.
    /// </summary>
    public async Task<LeasedBlock> OpenChunkAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (Reader.TryOpen(cid, access: BlockAccess.Keep) is { } block)
        {
            return block;
        }

        await EnsureLocalAsync(cid, cancellationToken).ConfigureAwait(false);
        return Reader.Open(cid, access: BlockAccess.Keep);
    }

    /// <summary>This node first when it holds the block, then every other Flight location registered.</summary>
    public List<string> LocationsOf(BlockRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string? selfLocation = Identity.Location;
        var locations = new List<string>();
        if (selfLocation is not null && Reader.Has(record.Cid))
        {
            locations.Add(selfLocation);
        }

        foreach (string location in record.Locations)
        {
            if (FlightLocations.IsFlightLocation(location) && !locations.Contains(location, StringComparer.OrdinalIgnoreCase)
                && !string.Equals(location, selfLocation, StringComparison.OrdinalIgnoreCase))
            {
                locations.Add(location);
            }
        }

        return locations;
    }

    /// <summary>Closes the connections to peer nodes and lets subscribers go.</summary>
    public void Dispose()
    {
        // Packed blocks' guards go in the background: let go of in the registry before it closes,
        // or they would keep the packs from every collection until they lapse (a bound, not a
        // deadline: a registry away leaves them to lapse).
        Registrations.GuardsReleasedAsync().Wait(GuardsReleasedWait);
        Peers.Dispose();
        Cache?.Dispose();
        Subscribers.Dispose();
        Metrics.Dispose();
    }

    // How long a node closing waits for its puts' pack guards to be let go of.
    private static readonly TimeSpan GuardsReleasedWait = TimeSpan.FromSeconds(30);

    /// <summary>Fetches a block (and a table's nodes and chunks) from a peer the shared registry lists, or fails NotFound saying what is <paramref name="missing"/>.</summary>
    private async Task FetchFromPeerAsync(Cid cid, string missing, CancellationToken cancellationToken)
    {
        var record = Registrations.Find(cid);
        if (record is null || !((Options.FetchFromPeers && Registrations.IsShared) || Options.DurableTier is not null))
        {
            throw NodeException.NotFound(missing);
        }

        await Peers.FetchAsync(record, LocationsOf(record), cancellationToken).ConfigureAwait(false);
        Registrations.Registered(cid);
    }
}
