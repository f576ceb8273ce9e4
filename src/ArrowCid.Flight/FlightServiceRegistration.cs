using ArrowCid.Grpc;

namespace ArrowCid.Flight;

/// <summary>Binds a <see cref="FlightServiceBase"/> to the gRPC router.</summary>
public static class FlightServiceRegistration
{
    /// <summary>Routes every FlightService RPC to <paramref name="service"/>.</summary>
    public static GrpcServiceRegistry AddFlightService(this GrpcServiceRegistry registry, FlightServiceBase service)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(service);
        return registry
            .AddDuplexStreaming(FlightMethods.Handshake, service.Handshake)
            .AddServerStreaming(FlightMethods.ListFlights, service.ListFlights)
            .AddUnary(FlightMethods.GetFlightInfo, service.GetFlightInfo)
            .AddUnary(FlightMethods.PollFlightInfo, service.PollFlightInfo)
            .AddUnary(FlightMethods.GetSchema, service.GetSchema)
            .AddServerStreaming(FlightMethods.DoGet, service.DoGet)
            .AddDuplexStreaming(FlightMethods.DoPut, service.DoPut)
            .AddDuplexStreaming(FlightMethods.DoExchange, service.DoExchange)
            .AddServerStreaming(FlightMethods.DoAction, service.DoAction)
            .AddServerStreaming(FlightMethods.ListActions, service.ListActions);
    }
}
