using System.Collections.Concurrent;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Protocol;
using ArrowCid.Registry;
using ArrowCid.Wire;
using Google.Protobuf;

using ArrowCid.Node;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Builds FlightInfo for registered content: the schema in IPC form, rows, bytes and its endpoints,
/// located at every node known to hold it (this node when its store has the block, plus the Flight
/// locations the registry lists). A table held here whose chunks add up to more than
/// <see cref="NodeOptions.EndpointBytes"/> gets one endpoint per contiguous run of chunks of about that
/// many bytes, ticket <c>CID?chunks=FIRST-END</c> (<see cref="FlightTicket"/>), so a client can
/// fetch them in parallel; anything else one endpoint whose ticket is the CID as UTF-8 text.
/// Content never changes under a CID, so shapes are cached.
/// </summary>
internal sealed class FlightInfoFactory(ContentNode node)
{
    // The cache is emptied once its schemas pass this many bytes: a listing of millions of tables
    // walks past it and the node's memory stays flat.
    private const long MaxCachedBytes = 8L << 20;

    private readonly ConcurrentDictionary<Cid, FlightShape> _shapes = new();
    private long _cachedBytes;

    /// <summary>How many shapes the cache holds (for tests).</summary>
    internal int CachedShapes => _shapes.Count;

    /// <summary>
    /// The FlightInfo of a record. Its descriptor is PATH [CID], or PATH [NAME] when
    /// <paramref name="named"/> is given (the version of a name the record is), whose name and
    /// version then join the app_metadata. A <paramref name="listing"/> reads the shapes it has not
    /// cached without caching them: it meets each record once, and what it cached would only push out
    /// the shapes clients ask for again and survive into the collector's older generations.
    /// </summary>
    public async Task<FlightInfo> CreateAsync(BlockRecord record, NamedVersion? named, CancellationToken cancellationToken, bool listing = false)
    {
        var locations = node.LocationsOf(record);
        var shape = await ShapeOfAsync(record, locations, cache: !listing, cancellationToken).ConfigureAwait(false);
        var info = new FlightInfo
        {
            Schema = ByteString.CopyFrom(shape.SchemaMessage),
            FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { named?.Name ?? record.Cid.ToString() } },
            TotalRecords = shape.Rows,
            TotalBytes = shape.Bytes,
            Ordered = true,
            AppMetadata = AppMetadataOf(record, named, shape, listing ? null : SignedRecordOf(named)),
        };
        // One endpoint for the whole CID unless the table is served as several chunk ranges.
        var ranges = new List<ChunkRange?>();
        if (shape.Endpoints is { } several)
        {
            ranges.AddRange(several);
        }
        else
        {
            ranges.Add(null);
        }

        // This node's HTTP gateway serves the same rows as an Arrow stream (Flight.proto allows any URI as a location).
        string? http = node.Identity.HttpLocation is { } gateway && node.Reader.Has(record.Cid) ? gateway : null;
        foreach (var range in ranges)
        {
            var endpoint = new FlightEndpoint { Ticket = new FlightTicket(record.Cid, range).ToTicket() };
            endpoint.Location.AddRange(locations.Select(l => new Location { Uri = l }));
            if (http is not null)
            {
                endpoint.Location.Add(new Location { Uri = HttpLocationOf(http, record.Cid, range) });
            }

            info.Endpoint.Add(endpoint);
        }

        return info;
    }

    /// <summary>The URL at which a node's HTTP gateway serves a ticket's rows as an Arrow stream.</summary>
    public static string HttpLocationOf(string gateway, Cid cid, ChunkRange? range) => range is { } chunks
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{gateway}/ipfs/{cid}?format=arrow&chunks={chunks.First}-{chunks.End}")
        : $"{gateway}/ipfs/{cid}?format=arrow";

    /// <summary>The schema message of content, from the local copy or, failing that, a peer's GetSchema.</summary>
    public async Task<byte[]> SchemaOfAsync(BlockRecord record, CancellationToken cancellationToken) =>
        (await ShapeOfAsync(record, node.LocationsOf(record), cache: true, cancellationToken).ConfigureAwait(false)).SchemaMessage;


    private async Task<FlightShape> ShapeOfAsync(BlockRecord record, List<string> locations, bool cache, CancellationToken cancellationToken)
    {
        if (_shapes.TryGetValue(record.Cid, out var cached))
        {
            return cached;
        }

        FlightErrors.RequireArrow(record.Cid, record.Kind);

        FlightShape? shape = LocalShape(record);
        if (shape is null && node.Options.DurableTier is not null)
        {
            // The durable tier holds what the registry names: bring it here (the DoGet that follows reads it here).
            await node.EnsureLocalAsync(record.Cid, cancellationToken).ConfigureAwait(false);
            shape = LocalShape(record);
        }

        if (shape is null)
        {
            // Registered by another node of a shared registry: ask one that holds it.
            byte[] schema = await node.Peers.GetSchemaAsync(record.Cid, locations, cancellationToken).ConfigureAwait(false);
            shape = new FlightShape(schema, record.Rows, record.Kind == BlockKind.Dataset ? 0 : record.Bytes);
        }

        if (!cache)
        {
            return shape;
        }

        if (Interlocked.Add(ref _cachedBytes, shape.SchemaMessage.Length + 128) > MaxCachedBytes)
        {
            _shapes.Clear();
            Interlocked.Exchange(ref _cachedBytes, 0);
        }

        _shapes[record.Cid] = shape;
        return shape;
    }

    private FlightShape? LocalShape(BlockRecord record) =>
        record.Kind == BlockKind.Dataset ? LocalTableShape(record.Cid) : LocalBatchShape(record);

    private FlightShape? LocalBatchShape(BlockRecord record) =>
        node.Content.TryReadSchemaMessage(record.Cid, record.Kind) is { } schema ? new FlightShape(schema, record.Rows, record.Bytes) : null;

    private FlightShape? LocalTableShape(Cid cid)
    {
        if (!node.Repository.Repository.Blocks.Has(cid))
        {
            return null;
        }

        // The walk reads the manifest nodes only (each checked against its CID), not the chunks.
        var table = node.Repository.OpenTable(cid);
        var ranges = new List<ChunkRange>();
        long chunks = 0;
        long first = 0;
        long bytes = 0;
        foreach (var chunk in table.Chunks())
        {
            if (bytes > 0 && bytes + chunk.Bytes > node.Options.EndpointBytes)
            {
                ranges.Add(new ChunkRange(first, chunks));
                first = chunks;
                bytes = 0;
            }

            bytes += chunk.Bytes;
            chunks++;
        }

        ranges.Add(new ChunkRange(first, chunks));
        return new FlightShape(DatasetSchemaMessage.Encode(table.Schema), table.Rows, table.Bytes, chunks, ranges.Count > 1 ? ranges : null);
    }

    // The signer and latest record of a name asked for by name (a listing leaves them out: a record each would cost a read per name).
    private (string Ipns, string? Record)? SignedRecordOf(NamedVersion? named)
    {
        // A node that cannot be had here (a node sharing the registry stored it): the flight is served without it.
        var names = node.Registrations.Names;
        return named is not null && names.SignerOf(named) is { } signer
            ? (signer.ToString(), names.Record(signer) is { } record ? Convert.ToBase64String(record) : null)
            : null;
    }

    private static ByteString AppMetadataOf(BlockRecord record, NamedVersion? named, FlightShape shape, (string Ipns, string? Record)? signed) => FlightBodies.Json(
        new FlightInfoMetadata(
            record.Cid.ToString(),
            named?.Name,
            named?.Version,
            BlockKindNames.NameOf(record.Kind),
            record.Rows,
            record.Bytes,
            // A batch only in the shared-memory store has no registration time.
            record.Created != default ? record.Created : null,
            record.Pinned,
            record.Producer,
            WireJson.SortedTags(record.Tags),
            record.Kind == BlockKind.Dataset ? shape.Chunks : null,
            // A version-1 dataset's registry record lists its batches; a tree's chunks are in its nodes.
            record.Links.Count > 0 ? [.. record.Links.Select(l => l.ToString())] : null,
            named?.Node?.ToString(),
            signed?.Ipns,
            signed?.Record),
        WireJsonContext.Default.FlightInfoMetadata);
}
