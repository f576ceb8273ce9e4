using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Google.Protobuf;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Arrow Flight over a content repository: flights are registered batches and tables, tickets
/// are CIDs as UTF-8 text (with a chunk range for one endpoint of a large table), DoGet streams the
/// stored canonical messages unchanged, chunk by chunk (so clients can re-hash them), DoPut canonicalises and stores what it receives, DoAction pins, tags, deletes,
/// verifies and reports, and DoExchange "subscribe" follows new content. Every handler maps what
/// goes wrong to a gRPC status (docs/flight.md lists them); nothing a client sends can stop the server.
/// </summary>
public sealed class FlightNodeService : FlightServiceBase, IDisposable
{
    private readonly FlightContent _content;
    private readonly ServiceRegistry _serviceRegistry;
    private readonly NodeIdentity _self = new();
    private readonly FlightAuthenticator _auth;
    private readonly FlightInfoFactory _infos;
    private readonly PeerFetcher _peers;
    private readonly FlightActions _actions;
    private readonly FlightServiceOptions _options;

    /// <summary>
    /// A whole table of at most this many chunk bytes is listed before DoGet sends it (its entries
    /// take about 100 bytes per chunk of about 256 KiB, 6.5 MB here), so a missing chunk is found first.
    /// </summary>
    private const long ListedTableBytes = 16L << 30;

    /// <summary>The node's settings (limits, access, peers).</summary>
    internal FlightServiceOptions Options => _options;

    /// <summary>Serves <paramref name="content"/> (not owned) with <paramref name="options"/>.</summary>
    public FlightNodeService(ContentRepository content, FlightServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        _options = options ?? new FlightServiceOptions();
        Subscribers = new Subscribers(_options.Limits);
        _content = new FlightContent(content, _options.SharedMemory);
        _serviceRegistry = new ServiceRegistry(content, _options.SharedRegistry, _self, Changes);
        _auth = new FlightAuthenticator(_options.Access);
        _peers = new PeerFetcher(content, _options.SharedRegistry, _self, PeerFetcher.ClientOptions(_options));
        _infos = new FlightInfoFactory(_content, _self, _peers, _options.EndpointBytes);
        _actions = new FlightActions(_content, _serviceRegistry, _self, _auth, EnsureLocalAsync, _options.Limits);
    }

    /// <summary>Wakes subscribers; call <see cref="ChangeNotifier.Notify"/> when the registry changed elsewhere (a PostgreSQL NOTIFY).</summary>
    public ChangeNotifier Changes { get; } = new();

    /// <summary>Who follows the change feed, within the node's limits, and the gate its pages pass.</summary>
    internal Subscribers Subscribers { get; }

    /// <summary>This node's advertised location (grpc+tcp://host:port), set once the server has bound its port.</summary>
    public string? Location
    {
        get => _self.Location;
        set => _self.Location = value;
    }

    /// <summary>
    /// The base address of this node's HTTP gateway (<c>http://host:port</c>), set when one serves
    /// it: FlightInfo endpoints then list, after the Flight location, the URL that serves the
    /// endpoint's rows as an Arrow stream over HTTP (<c>/ipfs/{cid}?format=arrow[&amp;chunks=FIRST-END]</c>).
    /// </summary>
    public string? HttpLocation
    {
        get => _self.HttpLocation;
        set => _self.HttpLocation = value;
    }

    /// <summary>The node's content: the repository and this host's shared-memory store, read through one <see cref="BlockReader"/>.</summary>
    internal FlightContent Content => _content;

    /// <summary>The registry answers come from, and the step that publishes what is stored here.</summary>
    internal ServiceRegistry Registrations => _serviceRegistry;

    /// <summary>Who may call (the same tokens serve every face of the node).</summary>
    internal FlightAccessPolicy Access => _options.Access;

    /// <summary>How often followers of the change feed (DoExchange subscribe, the gateway's events) look when nothing woke them.</summary>
    internal TimeSpan ChangePollInterval => _options.ChangePollInterval;

    /// <summary>Fetches a CID this node lacks from a peer the registry lists (when allowed), then keeps it.</summary>
    internal PeerFetcher Peers => _peers;

    /// <inheritdoc />
    public override Task Handshake(IAsyncStreamReader<HandshakeRequest> requestStream, IServerStreamWriter<HandshakeResponse> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(() => _auth.HandshakeAsync(requestStream, responseStream, context));

    /// <inheritdoc />
    public override Task ListFlights(Criteria request, IServerStreamWriter<FlightInfo> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(async () =>
        {
            _auth.Require(context, FlightRole.Read);
            var listing = FlightRequests.ListingOfCriteria(request);
            if (listing.Names)
            {
                // Each name once, as its latest version, under a PATH [NAME] descriptor.
                foreach (var version in _serviceRegistry.Registry.ListNames())
                {
                    if (_serviceRegistry.Find(version.Cid) is { } record && await TryCreateInfoAsync(record, version, context.CancellationToken).ConfigureAwait(false) is { } info)
                    {
                        await responseStream.WriteAsync(info, context.CancellationToken).ConfigureAwait(false);
                    }
                }
            }

            foreach (var record in listing.Query is { } query ? _serviceRegistry.Registry.List(query) : [])
            {
                if (await TryCreateInfoAsync(record, null, context.CancellationToken).ConfigureAwait(false) is { } info)
                {
                    await responseStream.WriteAsync(info, context.CancellationToken).ConfigureAwait(false);
                }
            }
        });

    /// <inheritdoc />
    public override Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context) =>
        FlightErrors.Guard(async () =>
        {
            _auth.Require(context, FlightRole.Read);
            PeerForwarding.Enter(context);
            var target = FlightRequests.TargetOf(request);
            if (target.Query is { } query)
            {
                return await QueryInfoAsync(request, query, context.CancellationToken).ConfigureAwait(false);
            }

            var (record, version) = Resolve(target);
            var info = await _infos.CreateAsync(record, version, context.CancellationToken).ConfigureAwait(false);
            info.FlightDescriptor = request;
            return info;
        });

    /// <inheritdoc />
    public override Task<SchemaResult> GetSchema(FlightDescriptor request, ServerCallContext context) =>
        FlightErrors.Guard(async () =>
        {
            _auth.Require(context, FlightRole.Read);
            PeerForwarding.Enter(context);
            var target = FlightRequests.TargetOf(request);
            var record = target.Query is { } query ? FirstMatch(query) : Resolve(target).Record;
            byte[] schema = await _infos.SchemaOfAsync(record, context.CancellationToken).ConfigureAwait(false);
            return new SchemaResult { Schema = ByteString.CopyFrom(schema) };
        });

    /// <inheritdoc />
    public override Task DoGet(Ticket request, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(async () =>
        {
            _auth.Require(context, FlightRole.Read);
            PeerForwarding.Enter(context);
            var ticket = FlightRequests.TicketOf(request);
            var cid = ticket.Cid;

            // Before the completeness check, which would read an inner tree node as a table root.
            FlightErrors.RequireArrow(cid, _content.KindOf(cid));
            Task Write(FlightData data) => responseStream.WriteAsync(data, context.CancellationToken);
            if (_content.Content.IsDataset(cid))
            {
                // Chunk by chunk: the chunks' blocks are read one at a time as they are sent.
                var (table, chunks) = await ListHeldChunksAsync(cid, ticket.Chunks, context.CancellationToken).ConfigureAwait(false);
                FlightErrors.RequireArrow(cid, _content.KindOf(cid));
                Task WriteMaybeBuffered(FlightData data, bool buffered) => buffered
                    ? responseStream.WriteBufferedAsync(data, context.CancellationToken)
                    : responseStream.WriteAsync(data, context.CancellationToken);
                await CanonicalFlightData.WriteTableAsync(table.Schema, chunks, OpenBatchAsync, WriteMaybeBuffered, context.CancellationToken).ConfigureAwait(false);
                return;
            }

            await EnsureLocalAsync(cid, context.CancellationToken).ConfigureAwait(false);
            var kind = _content.KindOf(cid);
            FlightErrors.RequireArrow(cid, kind);

            if (ticket.Chunks is { First: not 0 } or { End: not 1 })
            {
                // A raw block is one chunk (a batch) or an Arrow stream kept whole.
                throw FlightErrors.Invalid($"ticket: {cid} is a single block; the only chunk range it has is 0-1, not {ticket.Chunks.First}-{ticket.Chunks.End}");
            }

            using var block = _content.Reader.Open(cid, access: BlockAccess.Read);
            await CanonicalFlightData.WriteBlockAsync(block, kind, Write).ConfigureAwait(false);
        });

    /// <inheritdoc />
    public override Task DoPut(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<PutResult> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(() =>
        {
            _auth.Require(context, FlightRole.Write);
            return FlightPutSession.RunAsync(requestStream, responseStream, context, _content.Content, _serviceRegistry, _options);
        });

    /// <inheritdoc />
    public override Task DoExchange(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(() =>
        {
            _auth.Require(context, FlightRole.Read);
            return FlightSubscriptionStream.RunAsync(requestStream, responseStream, context, _serviceRegistry.Registry, Changes, _options.ChangePollInterval, Subscribers);
        });

    /// <inheritdoc />
    public override Task DoAction(Protocol.Action request, IServerStreamWriter<Result> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(() =>
        {
            PeerForwarding.Enter(context);
            return _actions.RunAsync(request, responseStream, context);
        });

    /// <inheritdoc />
    public override Task ListActions(Empty request, IServerStreamWriter<ActionType> responseStream, ServerCallContext context) =>
        FlightErrors.Guard(async () =>
        {
            _auth.Require(context, FlightRole.Read);
            foreach (var type in FlightActions.Types)
            {
                await responseStream.WriteAsync(type, context.CancellationToken).ConfigureAwait(false);
            }
        });

    /// <summary>Closes the connections to peer nodes.</summary>
    public void Dispose()
    {
        _peers.Dispose();
        Subscribers.Dispose();
    }

    private BlockRecord FirstMatch(RegistryQuery query)
    {
        var matches = _serviceRegistry.Registry.List(query with { Limit = 1 });
        return matches.Count > 0 ? matches[0] : throw FlightErrors.NotFound("no flight matches the query");
    }

    // A batch published into this host's shared-memory store without a registry is described from its bytes.
    private BlockRecord RecordOf(Cid cid) =>
        _serviceRegistry.Find(cid) ?? _content.DescribeSharedMemoryBatch(cid) ?? throw FlightErrors.NotFound(cid.ToString());

    /// <summary>The record a CID or a name (its latest version, or the one asked for) names in the service registry.</summary>
    private (BlockRecord Record, NamedVersion? Version) Resolve(DescriptorTarget target)
    {
        if (target.Cid is { } cid)
        {
            return (RecordOf(cid), null);
        }

        var version = target.Name!.Resolve(_serviceRegistry.Registry);
        return (RecordOf(version.Cid), version);
    }

    /// <summary>
    /// Whether a record is a flight: a foreign block has no Arrow data and an inner node of a
    /// manifest tree is part of a table, not one; the block action serves both's bytes.
    /// </summary>
    private static bool IsFlight(BlockKind kind) => kind is not (BlockKind.Foreign or BlockKind.TableNode);

    /// <summary>The FlightInfo of a record, or null when it is registered but held by no reachable node (a listing names what can be fetched).</summary>
    private async Task<FlightInfo?> TryCreateInfoAsync(BlockRecord record, NamedVersion? version, CancellationToken cancellationToken)
    {
        if (!IsFlight(record.Kind))
        {
            return null;
        }

        try
        {
            return await _infos.CreateAsync(record, version, cancellationToken).ConfigureAwait(false);
        }
        catch (BlockNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// A table DoGet sends and its chunks (those of <paramref name="range"/>, or all), from one walk
    /// of its manifest tree that also checks each chunk is here; what is missing is fetched from a
    /// peer first (the whole table, <see cref="EnsureLocalAsync"/>), or the call fails NOT_FOUND
    /// before anything is sent. A table of more than <see cref="ListedTableBytes"/> chunk bytes asked
    /// for whole is not listed: its tree is walked as it streams, and a chunk found missing then
    /// (fetched, or NOT_FOUND) is found after the chunks before it have gone out.
    /// </summary>
    private async Task<(TableManifest Table, IEnumerable<TableTreeEntry> Chunks)> ListHeldChunksAsync(Cid cid, ChunkRange? range, CancellationToken cancellationToken)
    {
        string missing;
        try
        {
            var table = _content.Content.OpenTable(cid);
            if (range is null && table.Bytes > ListedTableBytes)
            {
                return (table, table.Chunks());
            }

            var chunks = range is { } some ? ChunksIn(table, some) : table.Chunks().ToList();
            var absent = chunks.Find(c => !_content.Reader.Has(c.Cid));
            if (absent is null)
            {
                return (table, chunks);
            }

            missing = $"{cid}: its chunk {absent.Cid} is not held here";
        }
        catch (BlockNotFoundException e)
        {
            missing = e.Cid == cid ? cid.ToString() : $"{cid}: its manifest node {e.Cid} is not held here";
        }

        await FetchFromPeerAsync(cid, missing, cancellationToken).ConfigureAwait(false);
        var fetched = _content.Content.OpenTable(cid);
        return (fetched, range is { } asked ? ChunksIn(fetched, asked) : (IEnumerable<TableTreeEntry>)fetched.Chunks());
    }

    /// <summary>
    /// The chunks of <paramref name="range"/>, listed (entries only, a few hundred for an endpoint)
    /// before anything is sent, so a range beyond the table is INVALID_ARGUMENT, not a cut stream.
    /// </summary>
    private static List<TableTreeEntry> ChunksIn(TableManifest table, ChunkRange range)
    {
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
            : throw FlightErrors.Invalid($"ticket: chunks {range.First}-{range.End} of {table.Cid} asked for, but it has {index} chunks");
    }

    /// <summary>Whether this node holds the block and, for a table manifest, every node and chunk of its tree.</summary>
    private bool HoldsAll(Cid cid)
    {
        if (!_content.Reader.Has(cid))
        {
            return false;
        }

        if (!_content.Content.IsDataset(cid) || _content.KindOf(cid) == BlockKind.TableNode)
        {
            // One block: a batch, a stream, or an inner tree node (whose bytes the block action serves).
            return true;
        }

        try
        {
            // Walking the tree reads every node (a missing one throws); chunks are only looked up.
            return _content.Content.OpenTable(cid).Chunks().All(c => _content.Reader.Has(c.Cid));
        }
        catch (BlockNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Makes sure the block (and a table's nodes and chunks) is here, fetching what is missing from a peer when the shared registry lists one.</summary>
    private async Task EnsureLocalAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (!HoldsAll(cid))
        {
            await FetchFromPeerAsync(cid, cid.ToString(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Fetches a block (and a table's nodes and chunks) from a peer the shared registry lists, or fails NOT_FOUND saying what is <paramref name="missing"/>.</summary>
    private async Task FetchFromPeerAsync(Cid cid, string missing, CancellationToken cancellationToken)
    {
        var record = _serviceRegistry.Find(cid);
        if (record is null || !_options.FetchFromPeers || !_serviceRegistry.IsShared)
        {
            throw FlightErrors.NotFound(missing);
        }


        await _peers.FetchAsync(record, _infos.LocationsOf(record), cancellationToken).ConfigureAwait(false);
        _serviceRegistry.Registered(cid);
    }

    // A chunk is held only while it is sent, but a table is fetched again and again: its chunk
    // files stay mapped by the reader (BlockAccess.Keep), so a repeat costs no open, read or unmap.
    private async Task<LeasedBlock> OpenBatchAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (_content.Reader.TryOpen(cid, access: BlockAccess.Keep) is { } block)
        {
            return block;
        }

        await EnsureLocalAsync(cid, cancellationToken).ConfigureAwait(false);
        return _content.Reader.Open(cid, access: BlockAccess.Keep);
    }

    private async Task<FlightInfo> QueryInfoAsync(FlightDescriptor descriptor, RegistryQuery query, CancellationToken cancellationToken)
    {
        // A query's flight is every matching record, one endpoint each; the schema is the first's.
        var info = new FlightInfo { FlightDescriptor = descriptor, Ordered = true };
        foreach (var record in _serviceRegistry.Registry.List(query).Where(r => IsFlight(r.Kind)))
        {
            var one = await _infos.CreateAsync(record, null, cancellationToken).ConfigureAwait(false);
            if (info.Schema.IsEmpty)
            {
                info.Schema = one.Schema;
            }

            info.Endpoint.AddRange(one.Endpoint);
            info.TotalRecords += one.TotalRecords;
            info.TotalBytes += one.TotalBytes;
        }

        return info.Endpoint.Count > 0 ? info : throw FlightErrors.NotFound("no flight matches the query");
    }
}
