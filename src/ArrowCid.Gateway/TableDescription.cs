using System.Collections.Immutable;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Microsoft.AspNetCore.Http;

using ArrowCid.Node;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>GET /api/v1/tables/{cid}</c>'s answer: a table held here, read from its root (schema, rows,
/// bytes), its manifest nodes (chunks, blocks) and the registry (tags, versions); for each version
/// of a name that points at it, what it shares with the version before (<see cref="TableDifference"/>).
/// </summary>
internal sealed class TableDescription(GatewayContext context)
{
    /// <summary>Chunks listed when the request does not say.</summary>
    public const int DefaultChunkLimit = 1000;

    /// <summary>The most chunks one answer lists.</summary>
    public const int MaxChunkLimit = 10_000;

    private IRegistry Registry => context.Registrations.Registry;

    /// <summary>Describes <paramref name="cid"/>, listing <paramref name="chunkLimit"/> chunks from <paramref name="chunkOffset"/>.</summary>
    /// <exception cref="GatewayException">404 when the table is not held here or the CID is not a table.</exception>
    public TableDetail Describe(Cid cid, long chunkOffset, int chunkLimit, CancellationToken cancellationToken)
    {
        var record = context.Registrations.Find(cid);
        if (!context.Reader.Has(cid))
        {
            throw NotHeld(cid);
        }

        var kind = record?.Kind ?? (cid.Codec == Multicodec.Raw ? BlockKind.Batch : BlockKind.Dataset);
        if (kind is not (BlockKind.Batch or BlockKind.Dataset or BlockKind.ArrowStream))
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"{cid} is a {BlockKindNames.NameOf(kind)} block, not a table");
        }

        try
        {
            Schema schema;
            long rows;
            long bytes;
            ChunkPage chunks;
            IReadOnlyList<string> firstChunkPath = [];
            TableBlocks? blocks;
            if (kind == BlockKind.ArrowStream)
            {
                // Not canonical: one block holding a whole IPC stream, its own one chunk.
                using var block = context.Reader.Open(cid);
                using var reader = new ArrowStreamReader(block.Memory);
                schema = reader.Schema;
                rows = record?.Rows ?? 0;
                bytes = block.Memory.Length;
                chunks = new ChunkPage(1, 0, chunkOffset == 0 ? [new ChunkDescription(cid.ToString(), 0, rows, bytes)] : [], null);
                blocks = UncachedBlocksOf(cid);
            }
            else
            {
                var table = context.Tables.Get(cid, cancellationToken);
                schema = table.Schema;
                rows = table.Rows;
                bytes = table.Bytes;
                chunks = ChunksOf(table, chunkOffset, chunkLimit);
                firstChunkPath = table.FirstChunkPath;
                blocks = table.Blocks;
            }

            return new TableDetail(
                cid.ToString(),
                BlockKindNames.NameOf(kind),
                rows,
                bytes,
                blocks is null ? null : new BlockTotals(blocks.Blocks.Count, blocks.Bytes),
                SchemaOf(schema),
                chunks,
                firstChunkPath,
                record?.Tags ?? new Dictionary<string, string>(),
                record?.Created,
                record?.Pinned ?? false,
                record?.Producer,
                RemoteView.Provenance(record?.Provenance),
                VersionsOf(cid, blocks, cancellationToken));
        }
        catch (BlockNotFoundException e)
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"a block of {cid} is not held by this node: {e.Message}", e);
        }
        catch (Exception e) when (e is ContentFormatException or BlockCorruptedException or Arrow.ArrowFormatException)
        {
            // The CID is held but what it names is not a readable table: the client asked for something that is not one.
            throw new GatewayException(StatusCodes.Status404NotFound, $"{cid} is not a readable table: {e.Message}", e);
        }
    }

    /// <summary>An Arrow schema as JSON: fields with readable types, nullability, metadata and children.</summary>
    public static SchemaDescription SchemaOf(Schema schema) => new([.. schema.Fields.Select(FieldOf)], MetadataOf(schema.Metadata));

    private static FieldDescription FieldOf(Field field)
    {
        // The nested fields a type carries: a dictionary's are its values', an extension's its storage's.
        var type = field.Type;
        while (type.Id is ArrowTypeId.Dictionary or ArrowTypeId.Extension)
        {
            type = type.Id == ArrowTypeId.Dictionary ? type.ValueType! : type.StorageType!;
        }

        return new FieldDescription(
            field.Name, field.Type.ToString(), field.Nullable, MetadataOf(field.Metadata), type.Children.IsEmpty ? null : [.. type.Children.Select(FieldOf)]);
    }

    /// <summary>Key-value metadata as an object (a repeated key keeps its last value).</summary>
    private static Dictionary<string, string> MetadataOf(ImmutableArray<KeyValuePair<string, string>> metadata)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            map[key] = value;
        }

        return map;
    }

    private static ChunkPage ChunksOf(TableTreeSummary table, long offset, int limit)
    {
        int count = table.Chunks.Count;
        var items = new List<ChunkDescription>((int)Math.Clamp(count - offset, 0, limit));
        for (long index = offset; index < count && items.Count < limit; index++)
        {
            var chunk = table.Chunks[(int)index];
            items.Add(new ChunkDescription(chunk.Cid.ToString(), table.FirstRows[index], chunk.Rows, chunk.Bytes));
        }

        long end = offset + items.Count;
        return new ChunkPage(count, offset, items, end < count ? end : null);
    }

    /// <summary>Every block of a table held here, from the summaries when it is a canonical table (null when it is not held, or a manifest node is missing or damaged).</summary>
    private TableBlocks? BlocksOf(Cid cid, CancellationToken cancellationToken)
    {
        if (!context.Reader.Has(cid))
        {
            return null;
        }

        try
        {
            return context.Tables.Get(cid, cancellationToken).Blocks;
        }
        catch (Exception e) when (e is BlockNotFoundException or BlockCorruptedException or ContentFormatException or Arrow.ArrowFormatException)
        {
            // Not a canonical table (an Arrow stream block, say): its blocks are still its root's.
            return UncachedBlocksOf(cid);
        }
    }

    /// <summary>Every block of a table read afresh (null when a manifest node is missing or damaged).</summary>
    private TableBlocks? UncachedBlocksOf(Cid cid)
    {
        try
        {
            return TableBlocks.Read(context.Content, cid);
        }
        catch (Exception e) when (e is BlockNotFoundException or BlockCorruptedException or ContentFormatException)
        {
            return null;
        }
    }

    /// <summary>Each version naming the table, compared with the version of the same name before it.</summary>
    private List<VersionDetail> VersionsOf(Cid cid, TableBlocks? blocks, CancellationToken cancellationToken)
    {
        var details = new List<VersionDetail>();
        foreach (var version in Registry.ListVersionsOf(cid))
        {
            bool latest = Registry.FindVersion(version.Name)?.Version == version.Version;
            var previous = version.Version > 1 ? Registry.FindVersion(version.Name, version.Version - 1) : null;
            // Version 1 shares nothing: every block is new. A later one compares with the blocks of the one before, when held.
            TableDifference? difference = blocks is null ? null
                : previous is null ? TableDifference.Between(null, blocks)
                : BlocksOf(previous.Cid, cancellationToken) is { } before ? TableDifference.Between(before, blocks)
                : null;
            details.Add(new VersionDetail(
                version.Name,
                version.Version,
                version.Created,
                latest,
                previous is null ? null : new PreviousVersion(previous.Version, previous.Cid.ToString()),
                difference is null ? null : new BlockTotals(difference.SharedBlocks.Count, difference.SharedBytes),
                difference is null ? null : new BlockTotals(difference.NewBlocks.Count, difference.NewBytes),
                difference is null ? null : new BlockTotals(difference.RemovedBlocks.Count, difference.RemovedBytes),
                version.Node?.ToString(),
                context.Registrations.Names.SignerOf(version)?.ToString()));
        }

        return details;
    }

    private static GatewayException NotHeld(Cid cid) => new(StatusCodes.Status404NotFound, $"{cid} is not held by this node");
}
