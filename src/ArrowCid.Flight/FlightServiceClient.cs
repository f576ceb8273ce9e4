using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;

namespace ArrowCid.Flight;

/// <summary>A thin client of <c>arrow.flight.protocol.FlightService</c>: one method per RPC, protocol messages in and out.</summary>
public sealed class FlightServiceClient
{
    private readonly GrpcChannel _channel;

    /// <summary>Creates a client that calls through <paramref name="channel"/> (not owned).</summary>
    public FlightServiceClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _channel = channel;
    }

    /// <summary>Starts a handshake; write requests and read responses.</summary>
    public GrpcCall<HandshakeRequest, HandshakeResponse> Handshake(CallOptions options = default) =>
        _channel.StartCall(FlightMethods.Handshake, options);

    /// <summary>Lists flights; read the response stream.</summary>
    public GrpcCall<Criteria, FlightInfo> ListFlights(Criteria criteria, CallOptions options = default) =>
        _channel.ServerStreaming(FlightMethods.ListFlights, criteria, options);

    /// <summary>Gets the information of a flight.</summary>
    public Task<FlightInfo> GetFlightInfoAsync(FlightDescriptor descriptor, CallOptions options = default) =>
        _channel.UnaryAsync(FlightMethods.GetFlightInfo, descriptor, options);

    /// <summary>Polls a long-running query.</summary>
    public Task<PollInfo> PollFlightInfoAsync(FlightDescriptor descriptor, CallOptions options = default) =>
        _channel.UnaryAsync(FlightMethods.PollFlightInfo, descriptor, options);

    /// <summary>Gets the schema of a flight.</summary>
    public Task<SchemaResult> GetSchemaAsync(FlightDescriptor descriptor, CallOptions options = default) =>
        _channel.UnaryAsync(FlightMethods.GetSchema, descriptor, options);

    /// <summary>Fetches the stream of a ticket; read the response stream.</summary>
    public GrpcCall<Ticket, FlightData> DoGet(Ticket ticket, CallOptions options = default) =>
        _channel.ServerStreaming(FlightMethods.DoGet, ticket, options);

    /// <summary>Starts an upload; write FlightData (descriptor first), complete, read PutResults.</summary>
    public GrpcCall<FlightData, PutResult> DoPut(CallOptions options = default) =>
        _channel.StartCall(FlightMethods.DoPut, options);

    /// <summary>
    /// Starts an upload whose whole stream is <paramref name="messages"/> (descriptor first; at most
    /// <see cref="GrpcChannel.WholeRequestLimit"/> bytes): read PutResults. A small put goes in one
    /// socket write, its request headers included.
    /// </summary>
    public GrpcCall<FlightData, PutResult> DoPut(IReadOnlyList<FlightData> messages, CallOptions options = default) =>
        _channel.StartCall(FlightMethods.DoPut, messages, options);

    /// <summary>Starts a bidirectional exchange.</summary>
    public GrpcCall<FlightData, FlightData> DoExchange(CallOptions options = default) =>
        _channel.StartCall(FlightMethods.DoExchange, options);

    /// <summary>Runs an action; read the results.</summary>
    public GrpcCall<Protocol.Action, Result> DoAction(Protocol.Action action, CallOptions options = default) =>
        _channel.ServerStreaming(FlightMethods.DoAction, action, options);

    /// <summary>Lists the actions; read the response stream.</summary>
    public GrpcCall<Empty, ActionType> ListActions(CallOptions options = default) =>
        _channel.ServerStreaming(FlightMethods.ListActions, new Empty(), options);
}
