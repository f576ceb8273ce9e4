using ArrowCid.Arrow.Types;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Datasets;

/// <summary>The manifest's field names and the checks every decoded field must pass.</summary>
internal static class DatasetManifestRules
{
    public const string TypeKey = "type";
    public const string VersionKey = "version";
    public const string SchemaKey = "schema";
    public const string BatchesKey = "batches";
    public const string RowsKey = "rows";
    public const string BytesKey = "bytes";
    public const string CidKey = "cid";

    // A canonical batch block holds the schema message, a record batch message and the 8-byte end marker.
    private const int EndOfStreamLength = 8;

    private static readonly string[] RootKeys = [TypeKey, VersionKey, SchemaKey, BatchesKey, RowsKey, BytesKey];
    private static readonly string[] BatchKeys = [CidKey, RowsKey, BytesKey];

    /// <summary>Why a batch entry cannot be in a manifest, or null when it can.</summary>
    public static string? BatchProblem(DatasetBatch batch, int schemaMessageLength)
    {
        if (batch.Cid.Version != 1 || batch.Cid.Codec != Multicodec.Raw || batch.Cid.Hash.Code != Multicodec.Sha2256)
        {
            return $"batch {batch.Cid} is not a CIDv1 with the raw codec and sha2-256";
        }

        if (batch.Rows is < 0 or > int.MaxValue)
        {
            return $"batch {batch.Cid} has {batch.Rows} rows, outside 0..{int.MaxValue}";
        }

        if (batch.Bytes <= schemaMessageLength + EndOfStreamLength)
        {
            return $"batch {batch.Cid} has {batch.Bytes} bytes, too few to hold the schema message, a record batch and the end marker";
        }

        return null;
    }

    /// <summary>Reads and checks every field of a decoded manifest.</summary>
    /// <exception cref="ContentFormatException">Any field missing, extra, mistyped or inconsistent.</exception>
    public static (byte[] Message, Schema Schema, IReadOnlyList<DatasetBatch> Batches, long Rows, long Bytes) Read(DagNode root)
    {
        ExpectKeys(root, RootKeys, "manifest");
        if (Field(root, TypeKey, DagKind.String, "manifest").AsString() != DatasetManifest.TypeName)
        {
            throw Malformed($"\"type\" is not \"{DatasetManifest.TypeName}\"");
        }

        long version = Integer(Field(root, VersionKey, DagKind.Integer, "manifest"), "\"version\"");
        if (version != DatasetManifest.FormatVersion)
        {
            throw Malformed($"version {version} is not supported (this reader knows version {DatasetManifest.FormatVersion})");
        }

        byte[] message = Field(root, SchemaKey, DagKind.Bytes, "manifest").AsBytes().ToArray();
        var schema = DatasetSchemaMessage.Decode(message);
        var items = Field(root, BatchesKey, DagKind.List, "manifest").Items;
        var batches = new DatasetBatch[items.Count];
        long rows = 0;
        long bytes = 0;
        for (int i = 0; i < items.Count; i++)
        {
            string where = $"batches[{i}]";
            ExpectKeys(items[i], BatchKeys, where);
            var batch = new DatasetBatch(
                Field(items[i], CidKey, DagKind.Link, where).AsLink(),
                Integer(Field(items[i], RowsKey, DagKind.Integer, where), where + ".rows"),
                Integer(Field(items[i], BytesKey, DagKind.Integer, where), where + ".bytes"));
            if (BatchProblem(batch, message.Length) is { } problem)
            {
                throw Malformed($"{where}: {problem}");
            }

            if (bytes > long.MaxValue - batch.Bytes)
            {
                throw Malformed($"{where}: the byte total overflows");
            }

            batches[i] = batch;
            rows += batch.Rows;
            bytes += batch.Bytes;
        }

        long declaredRows = Integer(Field(root, RowsKey, DagKind.Integer, "manifest"), "\"rows\"");
        long declaredBytes = Integer(Field(root, BytesKey, DagKind.Integer, "manifest"), "\"bytes\"");
        if (declaredRows != rows || declaredBytes != bytes)
        {
            throw Malformed($"totals say {declaredRows} rows and {declaredBytes} bytes, the batches add up to {rows} rows and {bytes} bytes");
        }

        return (message, schema, batches, rows, bytes);
    }

    private static void ExpectKeys(DagNode node, string[] keys, string where)
    {
        if (node.Kind != DagKind.Map)
        {
            throw Malformed($"{where} is a {node.Kind}, not a map");
        }

        foreach (var entry in node.Entries)
        {
            if (Array.IndexOf(keys, entry.Key) < 0)
            {
                throw Malformed($"{where} has an unknown field \"{entry.Key}\"");
            }
        }
    }

    private static DagNode Field(DagNode map, string key, DagKind kind, string where)
    {
        if (!map.TryGetValue(key, out var value))
        {
            throw Malformed($"{where} lacks the field \"{key}\"");
        }

        return value.Kind == kind ? value : throw Malformed($"{where}.{key} is a {value.Kind}, not a {kind}");
    }

    private static long Integer(DagNode node, string what)
    {
        var value = node.IntegerValue;
        return value >= 0 && value <= long.MaxValue ? (long)value : throw Malformed($"{what} is {value}, outside 0..{long.MaxValue}");
    }

    private static ContentFormatException Malformed(string problem) => new($"dataset manifest: {problem}");
}
