using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>Reads the hop mark of a Flight call (<see cref="FlightClientOptions.ForwardedHeader"/>) into the node's <see cref="PeerForwarding"/>.</summary>
internal static class FlightForwarding
{
    /// <summary>Notes whether another node made the call being served.</summary>
    public static void Enter(ServerCallContext context) =>
        PeerForwarding.Enter(context.RequestHeaders.GetValue(FlightClientOptions.ForwardedHeader) is not null);
}
