using System.Collections.Concurrent;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;
using ArrowCid.Registry;
using ArrowCid.Repository;

using ArrowCid.Flight;
using ArrowCid.Flight.Client;

namespace ArrowCid.Node;

/// <summary>
/// Gets content this node lacks from the durable tier when the node has one (blocks on object
/// storage, every object re-hashed), else (or when the tier does not hold it) from other nodes of a
/// shared registry, by CID over Flight: a table's missing blocks (tree nodes and chunks) through
/// the "block" action, each re-hashed on arrival, then stored and registered here
/// (<see cref="TableCopy"/>), and this node's location added to the shared records. Concurrent requests for one CID share one fetch, which stops when the last of
/// them goes away. Holders are tried in turn, each bounded by a connect and an idle timeout; a call
/// this node serves for a peer never reaches here (<see cref="PeerForwarding"/>).
/// </summary>
public sealed class PeerFetcher(ContentRepository content, IRegistry? shared, NodeIdentity self, FlightClientOptions clientOptions, ObjectStorage.S3BlockTier? tier = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, FlightClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Cid, SharedFetch> _inFlight = [];

    /// <summary>The node's cache of the tier, told of each block copied here; null without one.</summary>
    internal BlockCache? Cache { get; set; }

    /// <summary>The options of calls to peers: the node's, marked forwarded, with its peer timeouts.</summary>
    public static FlightClientOptions ClientOptions(NodeOptions options) =>
        options.PeerClient.ForPeer(options.PeerConnectTimeout, options.PeerIdleTimeout);

    /// <summary>
    /// Fetches and keeps a CID from the first listed peer that has it. Callers asking for the same
    /// CID share one fetch; it is cancelled when every one of them has gone away.
    /// </summary>
    /// <exception cref="BlockNotFoundException">No node is recorded as holding it, or those recorded do not have it.</exception>
    /// <exception cref="PeersUnavailableException">Holders are recorded but none could be reached.</exception>
    public async Task FetchAsync(BlockRecord record, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        RefuseForwarded(record.Cid);
        SharedFetch fetch;
        lock (_inFlight)
        {
            if (!_inFlight.TryGetValue(record.Cid, out fetch!))
            {
                var stop = new CancellationTokenSource();
                var started = fetch = new SharedFetch(stop, Task.Run(() => FetchFromAnyAsync(record, locations, stop.Token), CancellationToken.None));
                _inFlight[record.Cid] = fetch;

                // The source goes with the fetch (on a pool thread, never inside a Cancel), under the lock Cancel is called under, so the two never race.
                _ = started.Task.ContinueWith(
                    _ =>
                    {
                        lock (_inFlight)
                        {
                            started.Ended = true;
                            stop.Dispose();
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
            }

            fetch.Waiters++;
        }

        try
        {
            await fetch.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_inFlight)
            {
                if (--fetch.Waiters == 0)
                {
                    // The last caller left (or the fetch ended): a later request starts afresh.
                    _inFlight.Remove(record.Cid);
                    if (!fetch.Ended)
                    {
                        fetch.Stop.Cancel();
                    }
                }
            }
        }
    }

    /// <summary>
    /// Copies what <paramref name="record"/> names from the durable tier alone, never from another
    /// node (each block re-hashed, stored unpinned): for answers that may use the node's own storage only.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node has no durable tier.</exception>
    /// <exception cref="BlockNotFoundException">The tier lacks a block.</exception>
    /// <exception cref="ObjectStorage.ObjectStoreException">The tier cannot be reached.</exception>
    public Task CopyFromTierAsync(BlockRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var store = tier ?? throw new InvalidOperationException("the node has no durable tier");
        return CopyAsync(record, $"read from {store.Location}", ReadsFromTier(store, shared, record), cancellationToken);
    }

    /// <summary>
    /// Blocks read from <paramref name="tier"/> where <paramref name="registry"/>'s records say they
    /// are: a small block lies in a pack its record names, a large one is an object of its own.
    /// </summary>
    /// <param name="tier">The durable tier.</param>
    /// <param name="registry">The registry listing where packed blocks lie, or null.</param>
    /// <param name="known">A record already read (the root's), used rather than read again.</param>
    internal static Func<Cid, CancellationToken, Task<HashedBlock>> ReadsFromTier(ObjectStorage.S3BlockTier tier, IRegistry? registry, BlockRecord? known = null) =>
        (cid, token) => tier.GetAsync(cid, cid == known?.Cid ? known.Locations : registry?.Find(cid)?.Locations ?? [], token);

    /// <summary>The schema message of a CID from the first peer that answers.</summary>
    public async Task<byte[]> GetSchemaAsync(Cid cid, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        RefuseForwarded(cid);
        var failures = new List<(string Location, Exception Error)>();
        foreach (string location in Peers(locations))
        {
            try
            {
                return await ClientFor(location).GetSchemaMessageAsync(cid, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or FormatException)
            {
                failures.Add((location, e));
            }
        }

        throw Failed(cid, "its schema", failures);
    }

    /// <summary>Closes the connections to peers.</summary>
    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    /// <summary>A call served for a peer never asks a peer in turn.</summary>
    private static void RefuseForwarded(Cid cid)
    {
        if (PeerForwarding.IsForwarded)
        {
            throw new BlockNotFoundException($"not found: {cid} (not held by this node, which was asked by a peer and does not forward)");
        }
    }

    /// <summary>
    /// The error when no holder supplied a CID: NOT_FOUND when none is recorded or those that
    /// answered do not have it; UNAVAILABLE when a recorded holder could not be reached.
    /// </summary>
    private static Exception Failed(Cid cid, string what, List<(string Location, Exception Error)> failures)
    {
        if (failures.Count == 0)
        {
            return new BlockNotFoundException($"not found: {cid} (no other node holds it)");
        }

        string detail = string.Join("; ", failures.Select(f => $"{f.Location}: {f.Error.Message}"));
        bool unreachable = failures.Any(f => f.Error is PeersUnavailableException or RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.Unknown });
        return unreachable
            ? new PeersUnavailableException($"{cid}: no node recorded as holding it could supply {what} ({detail})")
            : new BlockNotFoundException($"not found: {cid} (the nodes recorded as holding it do not: {detail})");
    }

    private async Task FetchFromAnyAsync(BlockRecord record, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        var failures = new List<(string Location, Exception Error)>();
        if (tier is not null)
        {
            try
            {
                await CopyFromTierAsync(record, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is BlockNotFoundException or BlockCorruptedException or ContentFormatException or ObjectStorage.ObjectStoreException)
            {
                // Peers may hold what the tier lacks (a block put before the node had a tier) or cannot give now.
                failures.Add((tier.Describe(), e is ObjectStorage.ObjectStoreException { Fault: ObjectStorage.ObjectStoreFault.Unavailable } ? new PeersUnavailableException(e.Message, e) : e));
            }
        }

        var holders = Peers(locations).ToList();

        // A node that could not be reached is not asked again for the other blocks of this fetch.
        var unreachable = new ConcurrentDictionary<string, bool>(StringComparer.OrdinalIgnoreCase);
        if (holders.Count == 0 && record.Kind is not (BlockKind.Foreign or BlockKind.VersionNode) && TableCopy.IsHeld(content, record.Cid))
        {
            // The root is here but not all of the table: garbage collection hands blocks over one by
            // one, so each missing block comes from whichever node holds it.
            await FetchFromAsync(preferred: null, record, unreachable, cancellationToken).ConfigureAwait(false);
            return;
        }

        foreach (string location in holders)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await FetchFromAsync(location, record, unreachable, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is RpcException or FormatException or BlockCorruptedException or ContentFormatException or BlockNotFoundException or PeersUnavailableException)
            {
                // Another node may have it; bytes that do not hash to their CID are exactly why we try the next.
                failures.Add((location, e));
            }
        }

        throw Failed(record.Cid, "it", failures);
    }

    private Task FetchFromAsync(string? preferred, BlockRecord record, ConcurrentDictionary<string, bool> unreachable, CancellationToken cancellationToken) =>
        CopyAsync(record, $"fetched by CID from {preferred ?? "the nodes holding its blocks"}", TableCopy.Verifying((cid, token) => FetchBlockAsync(cid, preferred, unreachable, token)), cancellationToken);

    /// <summary>
    /// Copies what <paramref name="record"/> names from a source of verified blocks: a foreign
    /// block's exact bytes, or a table's blocks this node lacks (tree nodes, chunks), each stored
    /// and registered as what it is; the root is pinned unless the durable tier keeps it.
    /// </summary>
    private async Task CopyAsync(BlockRecord record, string provenance, Func<Cid, CancellationToken, Task<HashedBlock>> fetch, CancellationToken cancellationToken)
    {
        // One block, byte for byte: a foreign block (pinned here), a name's version node (its
        // version keeps it), or a table's inner node (its table keeps it; asked for alone when a
        // damaged copy is read again from the tier).
        if (record.Kind is BlockKind.Foreign or BlockKind.VersionNode or BlockKind.TableNode)
        {
            var block = await fetch(record.Cid, cancellationToken).ConfigureAwait(false);
            StoreBlock(block, record.Kind, record.Schema, record.Rows, record, provenance, pinned: record.Kind == BlockKind.Foreign);
            return;
        }

        // Pinned here, so gc keeps it, unless a durable tier keeps it already: a copy is then a cache entry.
        var options = new PutOptions { Tags = record.Tags, Producer = record.Producer, Provenance = provenance, Pin = tier is null };
        var copied = new List<Cid>();
        await TableCopy.CopyAsync(content, record.Cid, fetch, options, block => copied.Add(block.Cid), cancellationToken: cancellationToken).ConfigureAwait(false);
        copied.Add(record.Cid);
        if (shared is not null && self.Location is { } location)
        {
            // Listed as a holder once every block is here, in one transaction a thousand blocks.
            foreach (var some in copied.Chunk(1000))
            {
                shared.AddLocations(some, location);
            }
        }

        Cache?.Fetched(copied);
    }

    /// <summary>
    /// One block's bytes (TableCopy and the caller re-hash them): from <paramref name="preferred"/>
    /// first, then from the other nodes the shared registry lists as holding that block.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>> FetchBlockAsync(Cid cid, string? preferred, ConcurrentDictionary<string, bool> unreachable, CancellationToken cancellationToken)
    {
        var failures = new List<(string Location, Exception Error)>();
        IEnumerable<string> Holders()
        {
            if (preferred is not null)
            {
                yield return preferred;
            }

            foreach (string location in Peers(shared?.Find(cid)?.Locations ?? []))
            {
                if (!string.Equals(location, preferred, StringComparison.OrdinalIgnoreCase))
                {
                    yield return location;
                }
            }
        }

        foreach (string location in Holders())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (unreachable.ContainsKey(location))
            {
                continue;
            }

            try
            {
                return await ClientFor(location).GetBlockAsync(cid, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or FormatException)
            {
                failures.Add((location, e));
                if (e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded })
                {
                    unreachable.TryAdd(location, true);
                }
            }
        }

        throw Failed(cid, "it", failures);
    }

    private void StoreBlock(HashedBlock block, BlockKind kind, string? schema, long rows, BlockRecord origin, string provenance, bool pinned)
    {
        var cid = block.Cid;
        content.Repository.PutBlock(block, new BlockRecord
        {
            Cid = cid,
            Kind = kind,
            Schema = schema,
            Rows = rows,
            Tags = origin.Tags,
            Producer = origin.Producer,
            Provenance = provenance,
            Pinned = pinned,
        });
        AddSelf(cid);
    }

    private void AddSelf(Cid cid)
    {
        if (shared is not null && self.Location is { } location)
        {
            shared.AddLocation(cid, location);
        }
    }

    private IEnumerable<string> Peers(IReadOnlyList<string> locations) =>
        locations.Where(l => FlightLocations.IsFlightLocation(l) && !string.Equals(l, self.Location, StringComparison.OrdinalIgnoreCase));

    private FlightClient ClientFor(string location) => _clients.GetOrAdd(location, l => new FlightClient(l, clientOptions));

    /// <summary>One fetch shared by every caller asking for its CID, and how many still wait for it.</summary>
    private sealed class SharedFetch(CancellationTokenSource stop, Task task)
    {
        public CancellationTokenSource Stop { get; } = stop;

        public Task Task { get; } = task;

        public int Waiters { get; set; }

        /// <summary>Whether the fetch has ended and its source is disposed (read and set under the fetcher's lock).</summary>
        public bool Ended { get; set; }
    }
}
