using System.Collections.Concurrent;

using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;

namespace ArrowCid.Flight.Client;

/// <summary>
/// Asks other nodes whether they serve a block now: each answer is the block itself, fetched as a
/// forwarded call (the node answers from what it holds, never from a peer) and re-hashed to its
/// CID. What garbage collection asks before it hands its own copy over to them. A node that
/// cannot be reached is not asked again by this instance, so one node down costs one connect
/// timeout, not one per block.
/// </summary>
/// <param name="options">The client settings; made peer calls (<see cref="FlightClientOptions.ForPeer"/>) here.</param>
public sealed class PeerBlockCheck(FlightClientOptions? options = null) : IDisposable
{
    private readonly FlightClientOptions _options = (options ?? new FlightClientOptions()).ForPeer();
    private readonly ConcurrentDictionary<string, FlightClient?> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _unreachable = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The nodes found unreachable so far, with what happened.</summary>
    public IReadOnlyDictionary<string, string> Unreachable => _unreachable;

    /// <summary>
    /// Whether the node at <paramref name="location"/> serves <paramref name="cid"/>: its bytes
    /// arrived and hash to the CID. False when it lacks the block, sends other bytes, cannot be
    /// reached or is not a Flight location; never throws for what the node does.
    /// </summary>
    /// <param name="cid">The block.</param>
    /// <param name="location">The node's Flight location, as recorded in the registry.</param>
    /// <returns>True only for a verified copy.</returns>
    public bool Serves(Cid cid, string location)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(location);
        if (_unreachable.ContainsKey(location) || ClientFor(location) is not { } client)
        {
            return false;
        }

        try
        {
            // GetBlockAsync re-hashes what arrived: DATA_LOSS when it is not the block.
            client.GetBlockAsync(cid).GetAwaiter().GetResult();
            return true;
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
        {
            _unreachable.TryAdd(location, e.Message);
            return false;
        }
        catch (Exception e) when (e is RpcException or FormatException or IOException)
        {
            return false;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client?.Dispose();
        }
    }

    private FlightClient? ClientFor(string location) => _clients.GetOrAdd(location, l =>
    {
        try
        {
            return new FlightClient(l, _options);
        }
        catch (FormatException e)
        {
            // Not a location this client speaks (an HTTP gateway's, say): never a verified copy.
            _unreachable.TryAdd(l, e.Message);
            return null;
        }
    });
}
