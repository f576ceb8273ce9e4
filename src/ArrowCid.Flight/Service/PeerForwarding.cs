using ArrowCid.Grpc;

namespace ArrowCid.Flight.Service;

/// <summary>
/// The hop limit between nodes: a call one node makes of another on a client's behalf carries
/// <c>arrowcid-forwarded: 1</c> (<see cref="Client.FlightClientOptions.Forwarded"/>), and a node
/// serving such a call answers from what it holds and never asks a peer in turn. So however the
/// shared registry lists holders, a request is forwarded at most once: two nodes that each list
/// the other cannot pass it back and forth, and a forwarded call never waits for a fetch.
/// </summary>
internal static class PeerForwarding
{
    /// <summary>The metadata key.</summary>
    public const string Header = "arrowcid-forwarded";

    // Set at the start of each call that may reach a peer; flows into everything the call awaits.
    private static readonly AsyncLocal<bool> Forwarded = new();

    /// <summary>Whether the call being served came from another node.</summary>
    public static bool IsForwarded => Forwarded.Value;

    /// <summary>Notes, for the call being served, whether another node made it.</summary>
    public static void Enter(ServerCallContext context) => Forwarded.Value = context.RequestHeaders.GetValue(Header) is not null;
}
