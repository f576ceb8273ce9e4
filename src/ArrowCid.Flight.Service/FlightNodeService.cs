using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Google.Protobuf;

using ArrowCid.Node;

using Microsoft.Extensions.Logging;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Arrow Flight over a content repository: flights are registered batches and tables, tickets
/// are CIDs as UTF-8 text (with a chunk range for one endpoint of a large table), DoGet streams the
/// stored canonical messages unchanged, chunk by chunk (so clients can re-hash them), DoPut canonicalises and stores what it receives, DoAction pins, tags, deletes,
/// verifies and reports, and DoExchange "subscribe" follows new content. Every handler maps what
/// goes wrong to a gRPC status (docs/flight.md lists them); nothing a client sends can stop the server.
/// </summary>
public sealed class FlightNodeService : FlightServiceBase
{
    private readonly ContentNode _node;
    private readonly FlightAuthenticator _auth;
    private readonly FlightInfoFactory _infos;
    private readonly FlightActions _actions;
    private readonly FlightErrors _errors;
    private readonly FlightSql.FlightSqlService _sql;

    /// <summary>Serves <paramref name="node"/> (not owned) over Flight.</summary>
    public FlightNodeService(ContentNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        _node = node;
        _auth = new FlightAuthenticator(node.Access);
        _infos = new FlightInfoFactory(node);
        _actions = new FlightActions(node, _auth);
        _errors = new FlightErrors(node.Logging.CreateLogger("ArrowCid.Flight"));
        _sql = new FlightSql.FlightSqlService(node, Sql.NodeSql.Of(node), _infos);
    }

    /// <summary>The node this service is the Flight face of.</summary>
    public ContentNode Node => _node;

    /// <summary>
    /// Refuses a call without a valid token before its request is read (every method needs one but
    /// Handshake, which gives one; the health service is not this service's to guard). The handlers
    /// still check the role each needs.
    /// </summary>
    public void AdmitCall(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Method.StartsWith(FlightServicePrefix, StringComparison.Ordinal) && context.Method != FlightMethods.Handshake.FullName)
        {
            _auth.Require(context, AccessRole.Read);
        }
    }

    private static readonly string FlightServicePrefix = $"/{FlightMethods.ServiceName}/";

    /// <summary>What builds the FlightInfos (for tests: its cache).</summary>
    internal FlightInfoFactory Infos => _infos;

    /// <inheritdoc />
    public override Task Handshake(IAsyncStreamReader<HandshakeRequest> requestStream, IServerStreamWriter<HandshakeResponse> responseStream, ServerCallContext context) =>
        _errors.Guard(() => _auth.HandshakeAsync(requestStream, responseStream, context));

    /// <inheritdoc />
    public override Task ListFlights(Criteria request, IServerStreamWriter<FlightInfo> responseStream, ServerCallContext context) =>
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Read);
            var listing = FlightRequests.ListingOfCriteria(request);
            if (listing.Names)
            {
                // Each name once, as its latest version, under a PATH [NAME] descriptor.
                foreach (var version in _node.Registrations.Registry.WalkNames())
                {
                    if (_node.Registrations.Find(version.Cid) is { } record && await TryCreateInfoAsync(record, version, context.CancellationToken).ConfigureAwait(false) is { } info)
                    {
                        await responseStream.WriteAsync(info, context.CancellationToken).ConfigureAwait(false);
                    }
                }
            }

            // Walked a window at a time: the first flight goes out before the rest is read, and memory stays flat at any size.
            foreach (var record in listing.Query is { } query ? _node.Registrations.Registry.Walk(query) : [])
            {
                if (await TryCreateInfoAsync(record, null, context.CancellationToken).ConfigureAwait(false) is { } info)
                {
                    await responseStream.WriteAsync(info, context.CancellationToken).ConfigureAwait(false);
                }
            }
        });

    /// <inheritdoc />
    public override Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context) =>
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Read);
            FlightForwarding.Enter(context);
            if (SqlCommandOf(request) is { } command)
            {
                return await _sql.GetFlightInfoAsync(command, request, context).ConfigureAwait(false);
            }

            var target = FlightRequests.TargetOf(request);
            context.Subject = SubjectOf(target);
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
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Read);
            FlightForwarding.Enter(context);
            if (SqlCommandOf(request) is { } command)
            {
                return await _sql.GetSchemaAsync(command, request, context).ConfigureAwait(false);
            }

            var target = FlightRequests.TargetOf(request);
            context.Subject = SubjectOf(target);
            var record = target.Query is { } query ? FirstMatch(query) : Resolve(target).Record;
            byte[] schema = await _infos.SchemaOfAsync(record, context.CancellationToken).ConfigureAwait(false);
            return new SchemaResult { Schema = ByteString.CopyFrom(schema) };
        });

    /// <inheritdoc />
    public override Task DoGet(Ticket request, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Read);
            FlightForwarding.Enter(context);
            FlightTicket ticket;
            if (FlightSql.FlightSqlService.TryUnpack(request.Ticket_, out var sqlTicket))
            {
                // A statement's result is a table like any other; a metadata answer is written there.
                if (await _sql.DoGetAsync(sqlTicket, responseStream, context).ConfigureAwait(false) is not { } result)
                {
                    return;
                }

                ticket = result;
            }
            else
            {
                ticket = FlightRequests.TicketOf(request);
            }

            var cid = ticket.Cid;
            context.Subject = cid.ToString();

            // Before the completeness check, which would read an inner tree node as a table root.
            FlightErrors.RequireArrow(cid, _node.Content.KindOf(cid));
            Task Write(FlightData data) => responseStream.WriteAsync(data, context.CancellationToken);
            if (_node.Repository.IsManifest(cid))
            {
                // Chunk by chunk: the chunks' blocks are read one at a time as they are sent.
                var (table, chunks) = await _node.ListHeldChunksAsync(cid, ticket.Chunks, context.CancellationToken).ConfigureAwait(false);
                FlightErrors.RequireArrow(cid, _node.Content.KindOf(cid));
                Task WriteMaybeBuffered(FlightData data, bool buffered) => buffered
                    ? responseStream.WriteBufferedAsync(data, context.CancellationToken)
                    : responseStream.WriteAsync(data, context.CancellationToken);
                await TableStreamWriter.WriteAsync(table.Schema, ChunkBlocks.ReadAsync(chunks, _node.OpenChunkAsync, context.CancellationToken), new FlightDataSink(WriteMaybeBuffered), context.CancellationToken).ConfigureAwait(false);
                return;
            }

            await _node.EnsureLocalAsync(cid, context.CancellationToken).ConfigureAwait(false);
            var kind = _node.Content.KindOf(cid);
            FlightErrors.RequireArrow(cid, kind);

            if (ticket.Chunks is { First: not 0 } or { End: not 1 })
            {
                // A raw block is one chunk (a batch) or an Arrow stream kept whole.
                throw NodeException.Invalid($"ticket: {cid} is a single block; the only chunk range it has is 0-1, not {ticket.Chunks.First}-{ticket.Chunks.End}");
            }

            using var block = _node.Reader.Open(cid, access: BlockAccess.Read);
            await CanonicalFlightData.WriteBlockAsync(block, kind, Write).ConfigureAwait(false);
        });

    /// <inheritdoc />
    public override Task DoPut(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<PutResult> responseStream, ServerCallContext context) =>
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Write);
            if (!await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                throw FlightErrors.Invalid("the DoPut stream carried no message");
            }

            // The first message says what is put: a Flight SQL command, or tags or a name.
            var first = requestStream.Current;
            var requests = new FirstMessageAgain<FlightData>(first, requestStream);
            if (first.FlightDescriptor is { Type: FlightDescriptor.Types.DescriptorType.Cmd } descriptor
                && FlightSql.FlightSqlService.TryUnpack(descriptor.Cmd, out var command))
            {
                await _sql.DoPutAsync(command, requests, responseStream, context).ConfigureAwait(false);
                return;
            }

            await FlightPutSession.RunAsync(requests, responseStream, context, _node.Repository, _node.Registrations, _node.Options).ConfigureAwait(false);
        });

    /// <inheritdoc />
    public override Task DoExchange(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        _errors.Guard(() =>
        {
            _auth.Require(context, AccessRole.Read);
            return FlightSubscriptionStream.RunAsync(requestStream, responseStream, context, _node.Registrations.Registry, _node.Changes, _node.Options.ChangePollInterval, _node.Subscribers);
        });

    /// <inheritdoc />
    public override Task DoAction(Protocol.Action request, IServerStreamWriter<Result> responseStream, ServerCallContext context) =>
        _errors.Guard(() =>
        {
            FlightForwarding.Enter(context);
            if (request.Type is FlightSql.FlightSqlService.CreatePreparedStatement or FlightSql.FlightSqlService.ClosePreparedStatement)
            {
                _auth.Require(context, AccessRole.Read);
                return _sql.RunActionAsync(request, responseStream, context);
            }

            return _actions.RunAsync(request, responseStream, context);
        });

    // The Flight SQL command a CMD descriptor carries, or null for a plain Flight descriptor.
    private static Google.Protobuf.WellKnownTypes.Any? SqlCommandOf(FlightDescriptor? descriptor) =>
        descriptor is { Type: FlightDescriptor.Types.DescriptorType.Cmd } && FlightSql.FlightSqlService.TryUnpack(descriptor.Cmd, out var command) ? command : null;

    // What a descriptor names, for the call's log line: a CID, a name, or a query.
    private static string SubjectOf(DescriptorTarget target) =>
        target.Cid?.ToString() ?? target.Name?.ToString() ?? (target.Ipns is { } ipns ? $"/ipns/{ipns}" : null) ?? (target.Query is null ? "-" : "query");

    /// <inheritdoc />
    public override Task ListActions(Empty request, IServerStreamWriter<ActionType> responseStream, ServerCallContext context) =>
        _errors.Guard(async () =>
        {
            _auth.Require(context, AccessRole.Read);
            foreach (var type in FlightActions.Types.Concat(FlightSql.FlightSqlService.ActionTypes))
            {
                await responseStream.WriteAsync(type, context.CancellationToken).ConfigureAwait(false);
            }
        });

    private BlockRecord FirstMatch(RegistryQuery query)
    {
        var matches = _node.Registrations.Registry.List(query with { Limit = 1 });
        return matches.Count > 0 ? matches[0] : throw NodeException.NotFound("no flight matches the query");
    }

    /// <summary>The record a CID or a name (its latest version, or the one asked for) names in the service registry.</summary>
    private (BlockRecord Record, NamedVersion? Version) Resolve(DescriptorTarget target) =>
        target.Cid is { } cid ? (_node.RecordOf(cid), null)
        : target.Ipns is { } ipns ? _node.Resolve(HeadOf(ipns))
        : _node.Resolve(target.Name!);

    // The version an IPNS name's record names, its head checked here (the client verifies the chain).
    private DatasetReference HeadOf(Names.IpnsName ipns)
    {
        try
        {
            var head = _node.Registrations.Names.Resolve(ipns, depth: 1).Head;
            return new DatasetReference(head.Name, head.Version);
        }
        catch (Names.NameChainException e) when (e.Fault == Names.NameChainFault.Missing && _node.Registrations.Registry.FindIpnsRecord(ipns.ToString()) is null)
        {
            throw NodeException.NotFound($"a record of /ipns/{ipns}");
        }
        catch (Names.NameChainException e)
        {
            throw new NodeException(NodeErrorKind.DataLoss, $"the record kept for /ipns/{ipns} does not verify ({e.Code}): {e.Message}", e);
        }
    }

    /// <summary>The FlightInfo of a record, or null when it is registered but held by no reachable node, or is a table of more chunks than max_table_chunks (a listing names what can be fetched).</summary>
    private async Task<FlightInfo?> TryCreateInfoAsync(BlockRecord record, NamedVersion? version, CancellationToken cancellationToken)
    {
        if (!ContentNode.IsListed(record.Kind))
        {
            return null;
        }

        try
        {
            return await _infos.CreateAsync(record, version, cancellationToken, listing: true).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BlockNotFoundException or Content.Chunking.TableWalkLimitException)
        {
            // Not held, or more chunks than one request may walk: it cannot be fetched from here.
            return null;
        }
    }

    private async Task<FlightInfo> QueryInfoAsync(FlightDescriptor descriptor, RegistryQuery query, CancellationToken cancellationToken)
    {
        // A query's flight is every matching record, one endpoint each; the schema is the first's.
        var info = new FlightInfo { FlightDescriptor = descriptor, Ordered = true };
        foreach (var record in _node.Registrations.Registry.List(query).Where(r => ContentNode.IsListed(r.Kind)))
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

        return info.Endpoint.Count > 0 ? info : throw NodeException.NotFound("no flight matches the query");
    }
}

/// <summary>A stream whose first message was read to see what it is, read again from that message.</summary>
/// <typeparam name="T">The message type.</typeparam>
internal sealed class FirstMessageAgain<T>(T first, IAsyncStreamReader<T> rest) : IAsyncStreamReader<T>
{
    private bool _firstGiven;

    public T Current => _firstGiven ? rest.Current : first;

    public bool IsReceivedWhole => rest.IsReceivedWhole;

    public Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (!_firstGiven)
        {
            _firstGiven = true;
            return Task.FromResult(true);
        }

        return rest.MoveNext(cancellationToken);
    }

    // The first message is the stream's current one until the next is read: releasing it is the stream's to do.
    public void ReleaseCurrent() => rest.ReleaseCurrent();
}
