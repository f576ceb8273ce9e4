using ArrowCid.Flight.Client;

namespace ArrowCid.Node;

/// <summary>
/// The hop limit between nodes: a call one node makes of another on a client's behalf is marked
/// forwarded (over Flight, <c>arrowcid-forwarded: 1</c>, <see cref="Flight.Client.FlightClientOptions.Forwarded"/>),
/// and a node serving such a call answers from what it holds and never asks a peer in turn. So
/// however the shared registry lists holders, a request is forwarded at most once: two nodes that
/// each list the other cannot pass it back and forth, and a forwarded call never waits for a fetch.
/// </summary>
public static class PeerForwarding
{
    // Set at the start of each call that may reach a peer; flows into everything the call awaits.
    private static readonly AsyncLocal<bool> Forwarded = new();

    /// <summary>Whether the call being served came from another node.</summary>
    public static bool IsForwarded => Forwarded.Value;

    /// <summary>Notes, for the call being served (and everything it awaits), whether another node made it; a face calls this as a request starts.</summary>
    /// <param name="forwarded">Whether the request says it was forwarded.</param>
    public static void Enter(bool forwarded) => Forwarded.Value = forwarded;
}
