using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;

namespace ArrowCid.Flight;

/// <summary>The RPCs of <c>arrow.flight.protocol.FlightService</c>, shared by server and client.</summary>
public static class FlightMethods
{
    /// <summary>The fully-qualified service name (from the proto package).</summary>
    public const string ServiceName = "arrow.flight.protocol.FlightService";

    /// <summary>Handshake: duplex.</summary>
    public static GrpcMethod<HandshakeRequest, HandshakeResponse> Handshake { get; } = new(ServiceName, "Handshake", MethodType.DuplexStreaming);

    /// <summary>ListFlights: server streaming.</summary>
    public static GrpcMethod<Criteria, FlightInfo> ListFlights { get; } = new(ServiceName, "ListFlights", MethodType.ServerStreaming);

    /// <summary>GetFlightInfo: unary.</summary>
    public static GrpcMethod<FlightDescriptor, FlightInfo> GetFlightInfo { get; } = new(ServiceName, "GetFlightInfo", MethodType.Unary);

    /// <summary>PollFlightInfo: unary.</summary>
    public static GrpcMethod<FlightDescriptor, PollInfo> PollFlightInfo { get; } = new(ServiceName, "PollFlightInfo", MethodType.Unary);

    /// <summary>GetSchema: unary.</summary>
    public static GrpcMethod<FlightDescriptor, SchemaResult> GetSchema { get; } = new(ServiceName, "GetSchema", MethodType.Unary);

    /// <summary>DoGet: server streaming.</summary>
    public static GrpcMethod<Ticket, FlightData> DoGet { get; } = new(ServiceName, "DoGet", MethodType.ServerStreaming, responseCodec: FlightDataCodec.Instance);

    /// <summary>DoPut: duplex.</summary>
    public static GrpcMethod<FlightData, PutResult> DoPut { get; } = new(ServiceName, "DoPut", MethodType.DuplexStreaming, requestCodec: FlightDataCodec.Instance);

    /// <summary>DoExchange: duplex.</summary>
    public static GrpcMethod<FlightData, FlightData> DoExchange { get; } = new(ServiceName, "DoExchange", MethodType.DuplexStreaming, FlightDataCodec.Instance, FlightDataCodec.Instance);

    /// <summary>DoAction: server streaming.</summary>
    public static GrpcMethod<Protocol.Action, Result> DoAction { get; } = new(ServiceName, "DoAction", MethodType.ServerStreaming);

    /// <summary>ListActions: server streaming.</summary>
    public static GrpcMethod<Empty, ActionType> ListActions { get; } = new(ServiceName, "ListActions", MethodType.ServerStreaming);
}
