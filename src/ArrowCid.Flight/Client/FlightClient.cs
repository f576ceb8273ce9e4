using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Wire;
using Google.Protobuf;

namespace ArrowCid.Flight.Client;

/// <summary>
/// A Flight client of an ArrowCid node (or any Flight server for the generic calls): list, describe,
/// fetch by CID with every batch re-hashed against its CID, put, run actions and follow new content.
/// Thread-safe; one per server.
/// </summary>
public sealed class FlightClient : IDisposable
{

    private readonly GrpcChannel _channel;
    private readonly FlightServiceClient _service;
    private readonly TimeSpan? _callTimeout;
    private readonly TimeSpan? _idleTimeout;
    private readonly bool _forwarded;
    private readonly long _maxTableChunks;

    /// <summary>Connects (lazily) to <paramref name="location"/>: grpc+tcp://host:port, grpc+tls://…, http:// or https://.</summary>
    /// <exception cref="FormatException">Not a Flight location.</exception>
    public FlightClient(string location, FlightClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        options ??= new FlightClientOptions();
        Location = location;
        Token = options.Token;
        _callTimeout = Limit(options.CallTimeout);
        _idleTimeout = Limit(options.IdleTimeout);
        _forwarded = options.Forwarded;
        _maxTableChunks = options.MaxTableChunks;
        _channel = new GrpcChannel(FlightLocations.ToHttpAddress(location), new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
            ServerCertificateValidation = options.ServerCertificateValidation,
            UseSocketsHttpHandler = options.UseSocketsHttpHandler,
            ConnectTimeout = options.ConnectTimeout,
        });
        _service = new FlightServiceClient(_channel);
    }

    private static TimeSpan? Limit(TimeSpan? timeout) => timeout is { } t && t > TimeSpan.Zero && t != Timeout.InfiniteTimeSpan ? t : null;

    /// <summary>The server's location as given.</summary>
    public string Location { get; }

    /// <summary>The bearer token sent with every call; set by <see cref="AuthenticateBasicAsync"/>.</summary>
    public string? Token { get; set; }

    /// <summary>The protocol-level client, for calls this class does not wrap.</summary>
    public FlightServiceClient Service => _service;

    /// <summary>Exchanges Basic credentials for a bearer token through Handshake and keeps it for later calls.</summary>
    public async Task<string> AuthenticateBasicAsync(string user, string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        var headers = new Metadata { { "authorization", "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")) } };
        using var call = _service.Handshake(Options(cancellationToken) with { Headers = headers });
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        Metadata responseHeaders = await call.ResponseHeadersAsync.ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
        }

        string? bearer = responseHeaders.GetValue("authorization");
        Token = bearer is not null && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? bearer["Bearer ".Length..].Trim()
            : throw new RpcException(StatusCode.Unauthenticated, "the server answered the handshake without a bearer token");
        return Token;
    }

    /// <summary>Lists flights; <paramref name="filterJson"/> is the criteria (null lists everything).</summary>
    public async IAsyncEnumerable<FlightInfo> ListAsync(string? filterJson = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var criteria = new Criteria { Expression = ByteString.CopyFromUtf8(filterJson ?? string.Empty) };
        using var call = _service.ListFlights(criteria, Options(cancellationToken));
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current;
        }
    }

    /// <summary>The FlightInfo of a CID: schema, rows, bytes and the nodes holding it.</summary>
    public Task<FlightInfo> GetInfoAsync(Cid cid, CancellationToken cancellationToken = default) =>
        _service.GetFlightInfoAsync(PathOf(cid), Options(cancellationToken));

    /// <summary>The FlightInfo of any descriptor: PATH [CID], PATH [NAME] or [NAME@N] (resolved by the node), or a CMD.</summary>
    public Task<FlightInfo> GetInfoAsync(FlightDescriptor descriptor, CancellationToken cancellationToken = default) =>
        _service.GetFlightInfoAsync(descriptor, Options(cancellationToken));

    /// <summary>
    /// Fetches what a dataset name names on the node: <c>NAME</c> (its latest version) or
    /// <c>NAME@N</c> is resolved by GetFlightInfo (PATH [reference]) to its endpoint's CID ticket,
    /// which is then fetched and verified as <see cref="GetAsync(Cid, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND for an unknown name or version, or the server's status.</exception>
    public Task<FlightFetchResult> GetByNameAsync(string reference, CancellationToken cancellationToken = default) =>
        GetByNameAsync(reference, null, cancellationToken);

    /// <summary>As <see cref="GetByNameAsync(string, CancellationToken)"/>, telling <paramref name="chunkVerified"/> (chunks verified, chunks in all) after each chunk.</summary>
    public async Task<FlightFetchResult> GetByNameAsync(string reference, Action<int, int>? chunkVerified, CancellationToken cancellationToken = default)
    {
        var resolved = await ResolveNameAsync(reference, cancellationToken).ConfigureAwait(false);
        return await GetEndpointAsync(new FlightTicket(resolved.Cid), chunkVerified, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// What a dataset name names on the node: <c>NAME</c> (its latest version) or <c>NAME@N</c>,
    /// resolved by GetFlightInfo (PATH [reference]) to its endpoint's CID ticket and the version
    /// its app_metadata states.
    /// </summary>
    /// <exception cref="RpcException">NOT_FOUND for an unknown name or version, or the server's status.</exception>
    public async Task<FlightNamedVersion> ResolveNameAsync(string reference, CancellationToken cancellationToken = default)
    {
        var info = await GetInfoAsync(NameDescriptor(reference), cancellationToken).ConfigureAwait(false);
        // Every endpoint's ticket names the version's CID (a large table's with a chunk range).
        string ticket = info.Endpoint.Count > 0
            ? info.Endpoint[0].Ticket.Ticket_.ToStringUtf8()
            : throw new RpcException(StatusCode.Internal, $"the server answered '{reference}' with no endpoint");
        if (!FlightTicket.TryParse(ticket, out var parsed, out _))
        {
            throw new RpcException(StatusCode.Internal, $"the server answered '{reference}' with a ticket that is not a CID");
        }

        var cid = parsed!.Cid;

        // The version the name resolved to, which the app_metadata states (a server that writes none: unknown).
        long? version = null;
        if (!info.AppMetadata.IsEmpty)
        {
            try
            {
                version = WireJson.Read(info.AppMetadata.Span, WireJsonContext.Default.FlightInfoMetadata, "FlightInfo app_metadata").Version;
            }
            catch (WireFormatException)
            {
                version = null;
            }
        }

        return new FlightNamedVersion(cid, version);
    }

    /// <summary>PATH [<paramref name="reference"/>]: a dataset name, or <c>NAME@N</c>, as GetFlightInfo and GetSchema take it.</summary>
    public static FlightDescriptor NameDescriptor(string reference)
    {
        ArgumentException.ThrowIfNullOrEmpty(reference);
        return new() { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { reference } };
    }

    /// <summary>
    /// The DoPut descriptor for tags and an optional dataset name: PATH [NAME] for a name alone (as
    /// pyarrow's <c>FlightDescriptor.for_path(NAME)</c>), else CMD {"tags":{…},"name":…}.
    /// <paramref name="forceVersion"/> adds a version even when the name's latest already names the
    /// table (a CMD with <c>"force_version":true</c>).
    /// </summary>
    public static FlightDescriptor PutDescriptor(IReadOnlyDictionary<string, string>? tags = null, string? name = null, bool forceVersion = false)
    {
        if (name is not null && (tags is null || tags.Count == 0) && !forceVersion && !FlightDescriptors.IsTagPath([name]))
        {
            return NameDescriptor(name);
        }

        var command = FlightBodies.Json(new PutCommand(tags ?? new Dictionary<string, string>(), name, ForceVersion: forceVersion ? true : null), WireJsonContext.Default.PutCommand);
        return new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = command };
    }

    /// <summary>The schema message (IPC encapsulated form) of a CID.</summary>
    public async Task<byte[]> GetSchemaMessageAsync(Cid cid, CancellationToken cancellationToken = default) =>
        (await _service.GetSchemaAsync(PathOf(cid), Options(cancellationToken)).ConfigureAwait(false)).Schema.ToByteArray();

    /// <summary>
    /// Fetches a batch or table by CID and re-hashes every chunk against its CID (for a table
    /// manifest, against the chunk CIDs its tree lists in row order, the manifest blocks fetched with
    /// the "block" action and checked first). One DoGet of the whole table: its chunks arrive one
    /// message each (at most 1 MiB), so no receive limit above the default is needed.
    /// </summary>
    /// <exception cref="RpcException">DATA_LOSS when bytes do not hash to their CID, or the server's status.</exception>
    public Task<FlightFetchResult> GetAsync(Cid cid, CancellationToken cancellationToken = default) => GetAsync(cid, null, cancellationToken);

    /// <summary>As <see cref="GetAsync(Cid, CancellationToken)"/>, telling <paramref name="chunkVerified"/> (chunks verified, chunks in all) after each chunk.</summary>
    public Task<FlightFetchResult> GetAsync(Cid cid, Action<int, int>? chunkVerified, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return GetEndpointAsync(new FlightTicket(cid), chunkVerified, cancellationToken);
    }

    /// <summary>
    /// Fetches what a ticket names — a whole table, or one endpoint's chunk range
    /// (<c>CID?chunks=FIRST-END</c>, as GetFlightInfo hands out for a large table) — and re-hashes
    /// every chunk against the CID the table's manifest lists at its position.
    /// </summary>
    /// <exception cref="RpcException">DATA_LOSS when bytes do not hash to their CID, or the server's status.</exception>
    public Task<FlightFetchResult> GetEndpointAsync(FlightTicket ticket, CancellationToken cancellationToken = default) =>
        GetEndpointAsync(ticket, null, cancellationToken);

    /// <summary>As <see cref="GetEndpointAsync(FlightTicket, CancellationToken)"/>, telling <paramref name="chunkVerified"/> (chunks verified, chunks in all) after each chunk.</summary>
    public async Task<FlightFetchResult> GetEndpointAsync(FlightTicket ticket, Action<int, int>? chunkVerified, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var batches = new List<FetchedBatch>();
        await foreach (var batch in FetchAsync(ticket, chunkVerified, cancellationToken).ConfigureAwait(false))
        {
            batches.Add(batch);
        }

        return new FlightFetchResult(ticket.Cid, batches);
    }

    /// <summary>
    /// What a ticket names (as <see cref="GetEndpointAsync(FlightTicket, CancellationToken)"/>),
    /// chunk by chunk in row order, each handed out once it hashes to its CID: a caller that
    /// writes each chunk and lets it go holds a few chunks at a time, whatever the table's size.
    /// <paramref name="chunkVerified"/> is told (chunks verified, chunks in all) before each is handed out.
    /// </summary>
    /// <exception cref="RpcException">DATA_LOSS when bytes do not hash to their CID (the chunks before it were handed out), or the server's status.</exception>
    /// <exception cref="Content.Chunking.TableWalkLimitException">The table's tree links more than <see cref="FlightClientOptions.MaxTableChunks"/> chunks (found from its distinct nodes, before any chunk is fetched).</exception>
    public async IAsyncEnumerable<FetchedBatch> FetchAsync(FlightTicket ticket, Action<int, int>? chunkVerified = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var cid = ticket.Cid;
        List<Cid> expected = cid.Codec == Multicodec.DagCbor
            ? (await RemoteTable.OpenAsync(cid, GetBlockAsync, cancellationToken).ConfigureAwait(false)).LimitChunks(_maxTableChunks).Chunks().Select(c => c.Cid).ToList()
            : [cid];
        if (ticket.Chunks is { } range)
        {
            expected = range.End <= expected.Count
                ? expected.Skip((int)range.First).Take((int)range.Count).ToList()
                : throw new ArgumentOutOfRangeException(nameof(ticket), $"{cid} has {expected.Count} chunks; the ticket asks for {range.First}-{range.End}");
        }

        var assembler = new FlightStreamAssembler();
        var verifying = new Queue<Task<FetchedBatch>>();
        int handedOut = 0;
        try
        {
            using var call = _service.DoGet(ticket.ToTicket(), Options(cancellationToken));
            int received = 0;
            while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                byte[]? block = assembler.Add(call.ResponseStream.Current);

                // The assembler copied what it keeps: a large message's memory can serve the next one.
                call.ResponseStream.ReleaseCurrent();
                if (block is not null)
                {
                    if (received >= expected.Count)
                    {
                        throw new RpcException(StatusCode.DataLoss, $"the server sent more than the {expected.Count} chunks {ticket} names");
                    }

                    // Hashed on the pool while the next chunk is received: receiving and SHA-256 each
                    // take about half a core-second a GB, so done in turn they halve the rate.
                    Cid chunk = expected[received++];
                    verifying.Enqueue(Task.Run(() => FlightStreamAssembler.Verify(chunk, block), CancellationToken.None));

                    // In row order, so a chunk that does not hash to its CID fails the fetch there.
                    while (verifying.Count > MaxChunksVerifying || (verifying.Count > 0 && verifying.Peek().IsCompleted))
                    {
                        var verified = await verifying.Dequeue().ConfigureAwait(false);
                        handedOut++; // not inside ?.Invoke(...): its arguments are not evaluated without a callback
                        chunkVerified?.Invoke(handedOut, expected.Count);
                        yield return verified;
                    }
                }
            }

            assembler.Finish();
            while (verifying.Count > 0)
            {
                var verified = await verifying.Dequeue().ConfigureAwait(false);
                handedOut++;
                chunkVerified?.Invoke(handedOut, expected.Count);
                yield return verified;
            }
        }
        finally
        {
            // Left behind by a failure: their outcome no longer matters, but is observed.
            foreach (var left in verifying)
            {
                _ = left.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        if (handedOut != expected.Count)
        {
            throw new RpcException(StatusCode.DataLoss, $"the server sent {handedOut} of the {expected.Count} chunks {ticket} names");
        }
    }

    /// <summary>Chunks whose hashing may run behind the one being received (one per core keeps both busy without holding many).</summary>
    private static readonly int MaxChunksVerifying = Math.Max(1, Environment.ProcessorCount);

    /// <summary>
    /// The DoGet stream written back as one Arrow IPC stream, message by message as sent
    /// (0xFFFFFFFF, int32 header length, header, body), then the end-of-stream marker; unverified.
    /// For a batch, or an arrow-stream block whose writer framed its messages this way (current
    /// Arrow libraries do), these are exactly the stored bytes, which the caller hashes against the CID.
    /// </summary>
    public async Task<byte[]> GetStreamBytesAsync(Cid cid, CancellationToken cancellationToken = default)
    {
        using var stream = new MemoryStream();
        byte[] prefix = new byte[8];
        await foreach (var data in GetRawAsync(cid, cancellationToken).ConfigureAwait(false))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, 0xFFFFFFFF);
            BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(4), data.DataHeader.Length);
            stream.Write(prefix);
            data.DataHeader.WriteTo(stream);
            data.DataBody.WriteTo(stream);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(prefix, 0xFFFFFFFF);
        BinaryPrimitives.WriteInt32LittleEndian(prefix.AsSpan(4), 0);
        stream.Write(prefix);
        return stream.ToArray();
    }

    /// <summary>
    /// The raw DoGet stream, unverified (for benchmarks and tools that check bytes themselves). Each
    /// message is valid until the next is asked for: its memory then goes back to the pool the
    /// next large message is read into (a fresh array per message is fresh pages, faulted in one by
    /// one, and garbage for the collector). Copy what must outlive that (<c>ToByteArray</c>).
    /// </summary>
    public async IAsyncEnumerable<FlightData> GetRawAsync(Cid cid, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var call = _service.DoGet(TicketOf(cid), Options(cancellationToken));
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current;
            call.ResponseStream.ReleaseCurrent();
        }
    }

    /// <summary>
    /// DoGet as any Flight server answers it: the stream a ticket names, decoded into batches (with
    /// their dictionaries) as it arrives. Nothing is verified, since a ticket that is not a CID names
    /// no hash: from an ArrowCid node use <see cref="GetAsync(Cid, CancellationToken)"/> or
    /// <see cref="GetEndpointAsync(FlightTicket, CancellationToken)"/>, which check every chunk.
    /// Each batch owns its message's memory; dispose it when done.
    /// </summary>
    /// <exception cref="RpcException">The server's status, or DATA_LOSS for a stream that is not Arrow IPC.</exception>
    public async IAsyncEnumerable<RecordBatch> DoGetAsync(ReadOnlyMemory<byte> ticket, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var decoder = new IpcMessageDecoder(IpcReadOptions.Default);
        using var call = _service.DoGet(new Ticket { Ticket_ = ByteString.CopyFrom(ticket.Span) }, Options(cancellationToken));
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            FlightData data = call.ResponseStream.Current;
            if (data.DataHeader.IsEmpty)
            {
                // Metadata-only messages carry no IPC message.
                continue;
            }

            RecordBatch? batch;
            try
            {
                batch = decoder.Decode(data.DataHeader.Span, data.DataBody.Memory);
            }
            catch (ArrowFormatException e)
            {
                throw new RpcException(StatusCode.DataLoss, $"the server sent a stream that is not Arrow IPC: {e.Message}");
            }

            if (batch is not null)
            {
                yield return batch;
            }
        }
    }

    /// <summary>
    /// DoPut as any Flight server takes it: <paramref name="batches"/> under <paramref name="descriptor"/>;
    /// returns each PutResult's app_metadata as the server sent it. To an ArrowCid node,
    /// <see cref="PutAsync(FlightDescriptor, Schema, IEnumerable{RecordBatch}, CancellationToken)"/>
    /// reads them into what was stored.
    /// </summary>
    public async Task<IReadOnlyList<byte[]>> DoPutAsync(FlightDescriptor descriptor, Schema schema, IEnumerable<RecordBatch> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        var results = await PutMessagesAsync(FlightBatchMessages.Encode(schema, batches), descriptor, cancellationToken).ConfigureAwait(false);
        return [.. results.Select(r => r.ToByteArray())];
    }

    /// <summary>The raw bytes of any stored block (action "block"), checked against the CID.</summary>
    public async Task<byte[]> GetBlockAsync(Cid cid, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cid);
        using var call = _service.DoAction(new Protocol.Action { Type = "block", Body = ByteString.CopyFromUtf8(cid.ToString()) }, Options(cancellationToken));
        using var block = new MemoryStream();
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            call.ResponseStream.Current.Body.WriteTo(block);
        }

        byte[] bytes = block.ToArray();
        return cid.Verify(bytes) ? bytes : throw new RpcException(StatusCode.DataLoss, $"the block received for {cid} does not hash to it");
    }

    /// <summary>Puts batches as one dataset; tags label every block stored.</summary>
    public Task<FlightPutSummary> PutAsync(
        Schema schema, IEnumerable<RecordBatch> batches, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        PutAsync(PutDescriptor(tags), schema, batches, cancellationToken);

    /// <summary>
    /// Puts batches as one dataset under any descriptor (the first message carries it): PATH [NAME]
    /// records a new version of NAME, PATH of key=value elements tags, a CMD as docs/flight.md says.
    /// </summary>
    public Task<FlightPutSummary> PutAsync(FlightDescriptor descriptor, Schema schema, IEnumerable<RecordBatch> batches, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        return PutAndSummarizeAsync(FlightBatchMessages.Encode(schema, batches), descriptor, cancellationToken);
    }

    /// <summary>Puts an Arrow IPC stream held in memory, its messages sent as they are (no re-encoding, no copy).</summary>
    public Task<FlightPutSummary> PutStreamAsync(ReadOnlyMemory<byte> ipcStream, IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        PutAndSummarizeAsync(
            IpcMessageDecoder.Split(ipcStream).Select(m => (new FlightData { DataHeader = UnsafeByteOperations.UnsafeWrap(m.Metadata), DataBody = UnsafeByteOperations.UnsafeWrap(m.Body) }, (IDisposable?)null)),
            PutDescriptor(tags),
            cancellationToken);

    /// <summary>Runs an action; returns each result body as UTF-8 text.</summary>
    public async Task<IReadOnlyList<string>> ActionAsync(string type, string body = "", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(type);
        using var call = _service.DoAction(new Protocol.Action { Type = type, Body = ByteString.CopyFromUtf8(body ?? string.Empty) }, Options(cancellationToken));
        var results = new List<string>();
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            results.Add(call.ResponseStream.Current.Body.ToStringUtf8());
        }

        return results;
    }

    /// <summary>The server's actions and their descriptions.</summary>
    public async Task<IReadOnlyList<ActionType>> ListActionsAsync(CancellationToken cancellationToken = default)
    {
        using var call = _service.ListActions(Options(cancellationToken));
        var actions = new List<ActionType>();
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            actions.Add(call.ResponseStream.Current);
        }

        return actions;
    }

    /// <summary>
    /// Follows new content: the server announces every change (with a tag filter, only content
    /// carrying those tags) from the moment the returned subscription is live.
    /// </summary>
    public async Task<FlightSubscription> SubscribeAsync(IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var command = FlightBodies.Json(new SubscribeCommand(new SubscribeFilter(tags ?? new Dictionary<string, string>())), WireJsonContext.Default.SubscribeCommand);
        var call = _service.DoExchange(Options(cancellationToken, openEnded: true));
        try
        {
            await call.RequestStream.WriteAsync(
                new FlightData { FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = command } },
                cancellationToken).ConfigureAwait(false);
            if (!await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                throw new RpcException(StatusCode.Internal, "the server ended the subscription before confirming it");
            }

            var started = ReadBody(call.ResponseStream.Current.AppMetadata, WireJsonContext.Default.SubscriptionStarted, "the subscription's first message");
            return new FlightSubscription(call, started.Sequence);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _channel.Dispose();

    /// <summary>A put whose messages total at most this is sent whole, with its request headers (one DATA frame at the smallest frame size).</summary>
    private const int WholePutLimit = 16 * 1024 - 256;

    internal static FlightDescriptor PathOf(Cid cid) =>
        new() { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { cid.ToString() } };

    internal static Ticket TicketOf(Cid cid) => new FlightTicket(cid).ToTicket();

    private async Task<FlightPutSummary> PutAndSummarizeAsync(
        IEnumerable<(FlightData Data, IDisposable? Release)> messages, FlightDescriptor descriptor, CancellationToken cancellationToken) =>
        ParsePutResults(await PutMessagesAsync(messages, descriptor, cancellationToken).ConfigureAwait(false));

    private async Task<List<ByteString>> PutMessagesAsync(
        IEnumerable<(FlightData Data, IDisposable? Release)> messages, FlightDescriptor descriptor, CancellationToken cancellationToken)
    {
        // A small put's messages (none lending memory) are gathered first: the call then starts with
        // its whole stream, and headers, messages and END_STREAM go in one socket write.
        using IEnumerator<(FlightData Data, IDisposable? Release)> next = messages.GetEnumerator();
        var gathered = new List<FlightData>();
        long gatheredBytes = 0;
        bool more = next.MoveNext();
        if (more)
        {
            // The stream's first message names what is put.
            next.Current.Data.FlightDescriptor = descriptor;
        }

        while (more && next.Current.Release is null && gatheredBytes <= WholePutLimit)
        {
            FlightData message = next.Current.Data;
            gathered.Add(message);
            gatheredBytes += message.CalculateSize();
            more = next.MoveNext();
        }

        bool whole = !more && gathered.Count > 0 && gatheredBytes <= WholePutLimit;
        using var call = whole ? _service.DoPut(gathered, Options(cancellationToken)) : _service.DoPut(Options(cancellationToken));

        // Results are read while requests are written, so neither side's flow control waits on the other.
        Task<List<ByteString>> results = ReadResultsAsync(call, cancellationToken);
        Exception? writeError = null;
        try
        {
            if (!whole)
            {
                foreach (FlightData message in gathered)
                {
                    await call.RequestStream.WriteBufferedAsync(message, cancellationToken).ConfigureAwait(false);
                }

                for (; more; more = next.MoveNext())
                {
                    var (message, release) = next.Current;

                    // The next message (or the end of the stream) follows as soon as it is encoded, and
                    // nothing here waits for an answer before sending it: small messages share a DATA
                    // frame and socket write.
                    await (release is null
                        ? call.RequestStream.WriteBufferedAsync(message, cancellationToken)
                        : call.RequestStream.WriteAsync(message, release, cancellationToken)).ConfigureAwait(false);
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or RpcException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The server ended the call while we were sending: its status comes from the result stream.
            writeError = e;
        }

        List<ByteString> received = await results.ConfigureAwait(false);
        if (writeError is not null)
        {
            throw new RpcException(StatusCode.Internal, $"the server ended the put without an error status while it was being sent: {writeError.Message}");
        }

        return received;
    }

    private static async Task<List<ByteString>> ReadResultsAsync(GrpcCall<FlightData, PutResult> call, CancellationToken cancellationToken)
    {
        var results = new List<ByteString>();
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            results.Add(call.ResponseStream.Current.AppMetadata);
        }

        return results;
    }

    private static FlightPutSummary ParsePutResults(List<ByteString> results)
    {
        var batches = new List<FlightPutBatch>();
        Cid? dataset = null;
        string? name = null;
        long? version = null;
        bool? versionAdded = null;
        TableTotals? totals = null;
        foreach (ByteString json in results)
        {
            // Parsed from the UTF-8 bytes as received (no string in between). Each batch's
            // acknowledgement names the chunks it completed; the final one the last chunk too.
            var result = ReadBody(json, WireJsonContext.Default.PutResultBody, "a put result");
            foreach (var chunk in result.Chunks ?? [])
            {
                batches.Add(new FlightPutBatch(ParseCid(chunk.Cid, "a put result's chunk"), chunk.Rows, chunk.Bytes));
            }

            if ((result.Table?.Cid ?? result.Dataset) is { } table)
            {
                dataset = ParseCid(table, "a put result's table");
                totals = result.Table;
                if (result is { Name: { } named, Version: { } number })
                {
                    name = named;
                    version = number;
                    versionAdded = result.VersionAdded;
                }
            }
        }

        return new FlightPutSummary(batches, dataset ?? throw new RpcException(StatusCode.Internal, "the server's put results name no table"), name, version, versionAdded, totals);
    }

    /// <summary>A JSON body the server sent; one that does not fit is INTERNAL (the server broke the protocol).</summary>
    internal static T ReadBody<T>(ByteString body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, string what)
        where T : class
    {
        try
        {
            return WireJson.Read(body.Span, type, what);
        }
        catch (WireFormatException e)
        {
            throw new RpcException(StatusCode.Internal, $"the server sent {e.Message}");
        }
    }

    /// <summary>A CID the server sent; one that does not parse is INTERNAL.</summary>
    internal static Cid ParseCid(string? text, string what) =>
        Cid.TryParse(text, out var cid) ? cid : throw new RpcException(StatusCode.Internal, $"the server sent {what} that is not a CID");

    /// <summary>
    /// A call's options: the bearer token, and the client's call timeout (as the deadline) and idle
    /// timeout; an open-ended call (a subscription) has neither, since it may rightly stay quiet.
    /// </summary>
    private CallOptions Options(CancellationToken cancellationToken, bool openEnded = false)
    {
        Metadata? headers = Token is { } token ? new Metadata { { "authorization", $"Bearer {token}" } } : null;
        if (_forwarded)
        {
            headers ??= new Metadata();
            headers.Add(FlightClientOptions.ForwardedHeader, "1");
        }

        return openEnded
            ? new CallOptions(headers, CancellationToken: cancellationToken)
            : new CallOptions(headers, Deadline: _callTimeout is { } timeout ? DateTime.UtcNow + timeout : null, CancellationToken: cancellationToken, IdleTimeout: _idleTimeout);
    }
}
