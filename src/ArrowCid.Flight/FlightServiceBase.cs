using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;

namespace ArrowCid.Flight;

/// <summary>
/// A Flight service implementation overrides the RPCs it supports; the others answer UNIMPLEMENTED.
/// Serve it with <see cref="FlightServiceRegistration.AddFlightService"/> and <see cref="GrpcServer"/>.
/// Throw <see cref="RpcException"/> to end a call with a specific status.
/// </summary>
public abstract class FlightServiceBase
{
    /// <summary>Authentication round trips.</summary>
    public virtual Task Handshake(
        IAsyncStreamReader<HandshakeRequest> requestStream, IServerStreamWriter<HandshakeResponse> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(Handshake));

    /// <summary>Lists the flights matching a criteria.</summary>
    public virtual Task ListFlights(Criteria request, IServerStreamWriter<FlightInfo> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(ListFlights));

    /// <summary>Describes the flight a descriptor names.</summary>
    public virtual Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context) =>
        throw Unimplemented(nameof(GetFlightInfo));

    /// <summary>Reports the progress of a long-running query.</summary>
    public virtual Task<PollInfo> PollFlightInfo(FlightDescriptor request, ServerCallContext context) =>
        throw Unimplemented(nameof(PollFlightInfo));

    /// <summary>Returns the schema of the flight a descriptor names.</summary>
    public virtual Task<SchemaResult> GetSchema(FlightDescriptor request, ServerCallContext context) =>
        throw Unimplemented(nameof(GetSchema));

    /// <summary>Streams the data a ticket stands for.</summary>
    public virtual Task DoGet(Ticket request, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(DoGet));

    /// <summary>Accepts an uploaded stream.</summary>
    public virtual Task DoPut(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<PutResult> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(DoPut));

    /// <summary>Exchanges data both ways.</summary>
    public virtual Task DoExchange(IAsyncStreamReader<FlightData> requestStream, IServerStreamWriter<FlightData> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(DoExchange));

    /// <summary>Runs an action.</summary>
    public virtual Task DoAction(Protocol.Action request, IServerStreamWriter<Result> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(DoAction));

    /// <summary>Lists the supported actions.</summary>
    public virtual Task ListActions(Empty request, IServerStreamWriter<ActionType> responseStream, ServerCallContext context) =>
        throw Unimplemented(nameof(ListActions));

    private static RpcException Unimplemented(string method) =>
        new(StatusCode.Unimplemented, $"{FlightMethods.ServiceName}/{method} is not implemented by this service");
}
