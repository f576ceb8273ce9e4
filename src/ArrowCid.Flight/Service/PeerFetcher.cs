using System.Collections.Concurrent;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Gets content this node lacks from other nodes of a shared registry, by CID over Flight: every
/// batch is re-hashed on arrival (the client checks it), then stored and registered here, and this
/// node's location added to the shared record. Concurrent requests for one CID share one fetch.
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
            catch (Exception e) when (e is RpcException or FormatException)
            {
                // Another node may have it; a DATA_LOSS answer is exactly why we try the next.
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
        if (record.Kind is BlockKind.ArrowStream or BlockKind.Foreign)
        {
            // Kept byte for byte as imported elsewhere: its exact bytes, checked against the CID.
            byte[] bytes = await peer.GetBlockAsync(record.Cid, cancellationToken).ConfigureAwait(false);
            StoreBlock(record.Cid, bytes, record.Kind, record.Schema, record.Rows, record, provenance, pinned: true);
            return;
        }

        FlightFetchResult fetched = await peer.GetAsync(record.Cid, cancellationToken).ConfigureAwait(false);
        if (record.Kind == BlockKind.Dataset)
        {
            byte[] manifestBytes = await peer.GetBlockAsync(record.Cid, cancellationToken).ConfigureAwait(false);
            var manifest = DatasetManifest.Decode(manifestBytes, record.Cid);
            for (int i = 0; i < fetched.Batches.Count; i++)
            {
                StoreBatch(fetched.Batches[i], manifest.Schema.ToString(), manifest.Batches[i].Rows, record, provenance, pinned: false);
            }

            content.Repository.PutBlock(record.Cid, manifestBytes, new BlockRecord
            {
                Cid = record.Cid,
                Kind = BlockKind.Dataset,
                Schema = record.Schema,
                Rows = manifest.Rows,
                Tags = record.Tags,
                Producer = record.Producer,
                Provenance = provenance,
                Pinned = true,
            });
            AddSelf(record.Cid);
            return;
        }

        StoreBatch(fetched.Batches[0], record.Schema, record.Rows, record, provenance, pinned: true);
    }

    private void StoreBatch(FetchedBatch batch, string? schema, long rows, BlockRecord origin, string provenance, bool pinned) =>
        StoreBlock(batch.Cid, batch.CanonicalBytes.Span, BlockKind.Batch, schema, rows, origin, provenance, pinned);

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
