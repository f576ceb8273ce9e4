using System.Collections.Concurrent;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Gets content this node lacks from other nodes of a shared registry, by CID over Flight: a table's
/// missing blocks (tree nodes and chunks) through the "block" action, each re-hashed on arrival,
/// then stored and registered here (<see cref="TableCopy"/>), and this node's location added to the
/// shared records. Concurrent requests for one CID share one fetch.
/// </summary>
internal sealed class PeerFetcher(ContentRepository content, IRegistry? shared, NodeIdentity self, FlightClientOptions clientOptions) : IDisposable
{
    private readonly ConcurrentDictionary<string, FlightClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Cid, Lazy<Task>> _inFlight = new();

    /// <summary>Fetches and keeps a CID from the first listed peer that has it (the fetch runs to its end even if this caller goes away).</summary>
    /// <exception cref="BlockNotFoundException">No peer could supply it.</exception>
    public Task FetchAsync(BlockRecord record, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        var fetch = _inFlight.GetOrAdd(record.Cid, _ => new Lazy<Task>(() => FetchFromAnyAsync(record, locations, CancellationToken.None)));
        return AwaitAndForget(record.Cid, fetch.Value);
    }

    /// <summary>The schema message of a CID from the first peer that answers.</summary>
    public async Task<byte[]> GetSchemaAsync(Cid cid, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        Exception? last = null;
        foreach (string location in Peers(locations))
        {
            try
            {
                return await ClientFor(location).GetSchemaMessageAsync(cid, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or FormatException)
            {
                last = e;
            }
        }

        throw new BlockNotFoundException($"no node holding {cid} answered for its schema{(last is null ? string.Empty : $" ({last.Message})")}", last!);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private async Task AwaitAndForget(Cid cid, Task fetch)
    {
        try
        {
            await fetch.ConfigureAwait(false);
        }
        finally
        {
            _inFlight.TryRemove(cid, out _);
        }
    }

    private async Task FetchFromAnyAsync(BlockRecord record, IReadOnlyList<string> locations, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (string location in Peers(locations))
        {
            try
            {
                await FetchFromAsync(ClientFor(location), record, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is RpcException or FormatException or BlockCorruptedException or ContentFormatException)
            {
                // Another node may have it; bytes that do not hash to their CID are exactly why we try the next.
                failures.Add($"{location}: {e.Message}");
            }
        }

        throw new BlockNotFoundException(failures.Count == 0
            ? $"not found: {record.Cid} (no other node holds it)"
            : $"not found: {record.Cid} (peers failed: {string.Join("; ", failures)})");
    }

    private async Task FetchFromAsync(FlightClient peer, BlockRecord record, CancellationToken cancellationToken)
    {
        string provenance = $"fetched by CID from {peer.Location}";
        if (record.Kind == BlockKind.Foreign)
        {
            // No table: its exact bytes, checked against the CID.
            byte[] bytes = await peer.GetBlockAsync(record.Cid, cancellationToken).ConfigureAwait(false);
            StoreBlock(record.Cid, bytes, record.Kind, record.Schema, record.Rows, record, provenance, pinned: true);
            return;
        }

        // A table, whatever its form: the blocks this node lacks (tree nodes, chunks), each checked
        // against its CID before it is stored and registered as what it is; the root is pinned.
        var options = new PutOptions { Tags = record.Tags, Producer = record.Producer, Provenance = provenance, Pin = true };
        await TableCopy.CopyAsync(
            content,
            record.Cid,
            async (cid, token) => await peer.GetBlockAsync(cid, token).ConfigureAwait(false),
            options,
            block => AddSelf(block.Cid),
            cancellationToken).ConfigureAwait(false);
        AddSelf(record.Cid);
    }

    private void StoreBlock(Cid cid, ReadOnlySpan<byte> bytes, BlockKind kind, string? schema, long rows, BlockRecord origin, string provenance, bool pinned)
    {
        content.Repository.PutBlock(cid, bytes, new BlockRecord
        {
            Cid = cid,
            Kind = kind,
            Schema = schema,
            Rows = rows,
            Tags = origin.Tags,
            Producer = origin.Producer,
            Provenance = provenance,
            Pinned = pinned,
        });
        AddSelf(cid);
    }

    private void AddSelf(Cid cid)
    {
        if (shared is not null && self.Location is { } location)
        {
            shared.AddLocation(cid, location);
        }
    }

    private IEnumerable<string> Peers(IReadOnlyList<string> locations) =>
        locations.Where(l => FlightLocations.IsFlightLocation(l) && !string.Equals(l, self.Location, StringComparison.OrdinalIgnoreCase));

    private FlightClient ClientFor(string location) => _clients.GetOrAdd(location, l => new FlightClient(l, clientOptions));
}
