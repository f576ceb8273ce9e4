using ArrowCid.Arrow.Types;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>One link of a table manifest node: a chunk (level 0) or a node of the level below, with the rows and chunk bytes under it.</summary>
/// <param name="Cid">At level 0 the chunk's raw CID; above, the child node's dag-cbor CID.</param>
/// <param name="Rows">Rows under the link.</param>
/// <param name="Bytes">Bytes of the chunk blocks under the link (manifest nodes not counted).</param>
public sealed record TableTreeEntry(Cid Cid, long Rows, long Bytes);

/// <summary>An encoded manifest node and the CID that names it.</summary>
/// <param name="Cid">CIDv1, dag-cbor, sha2-256 of <paramref name="Bytes"/>.</param>
/// <param name="Bytes">The canonical DAG-CBOR bytes.</param>
/// <param name="Level">The node's level (0: links chunks).</param>
public sealed record TableTreeBlock(Cid Cid, byte[] Bytes, int Level)
{
    /// <summary>The block as one hashed when it was made (it was: <see cref="TableTreeNode.Encode"/> names it by its bytes), to store without hashing it again.</summary>
    /// <returns>The hashed block.</returns>
    public HashedBlock ToHashedBlock() => new(Cid, Bytes);
}

/// <summary>
/// One node of a chunked table's manifest tree (version 2, docs/canonical-form.md, "The manifest
/// tree"): a strict DAG-CBOR map
/// <code>
/// { "type": "arrowcid/dataset" (root) | "arrowcid/dataset-node" (below the root),
///   "version": 2, "level": L,
///   "schema": bytes,                       // the canonical Schema message; root only
///   "entries": [ { "cid": link, "rows": int, "bytes": int }, … ],   // in row order
///   "rows": int, "bytes": int }            // totals over the entries
/// </code>
/// Level 0 links chunks (raw CIDs), level L links nodes of level L − 1. The root (the node the
/// table's CID names) alone carries the schema, so schema and metadata are part of the identity.
/// </summary>
public sealed class TableTreeNode
{
    /// <summary>The "type" of the root node: the same as a version-1 dataset manifest's.</summary>
    public const string RootTypeName = DatasetManifest.TypeName;

    /// <summary>The "type" of a node below the root.</summary>
    public const string InnerTypeName = "arrowcid/dataset-node";

    /// <summary>The manifest format version of chunked tables.</summary>
    public const int FormatVersion = 2;

    /// <summary>The most entries a node holds (75 bytes each at most, so 300 KiB).</summary>
    public const int MaxEntries = 4096;

    /// <summary>The largest canonical Schema message a root may carry: with <see cref="MaxEntries"/> entries the root stays under 1 MiB.</summary>
    public const int MaxSchemaMessageBytes = 512 * 1024;

    /// <summary>The deepest level a reader accepts (nodes hold at least two entries, so 2^40 chunks need fewer).</summary>
    public const int MaxLevel = 40;

    private const string TypeKey = "type";
    private const string VersionKey = "version";
    private const string LevelKey = "level";
    private const string SchemaKey = "schema";
    private const string EntriesKey = "entries";
    private const string RowsKey = "rows";
    private const string BytesKey = "bytes";
    private const string CidKey = "cid";
    private const int EndOfStreamLength = 8;

    private static readonly string[] RootKeys = [TypeKey, VersionKey, LevelKey, SchemaKey, EntriesKey, RowsKey, BytesKey];
    private static readonly string[] InnerKeys = [TypeKey, VersionKey, LevelKey, EntriesKey, RowsKey, BytesKey];
    private static readonly string[] EntryKeys = [CidKey, RowsKey, BytesKey];
    private static readonly byte[] RootTypeUtf8 = System.Text.Encoding.UTF8.GetBytes(RootTypeName);
    private static readonly byte[] InnerTypeUtf8 = System.Text.Encoding.UTF8.GetBytes(InnerTypeName);

    private readonly byte[]? _schemaMessage;

    private TableTreeNode(int level, IReadOnlyList<TableTreeEntry> entries, long rows, long bytes, byte[]? schemaMessage, Schema? schema)
    {
        Level = level;
        Entries = entries;
        Rows = rows;
        Bytes = bytes;
        _schemaMessage = schemaMessage;
        Schema = schema;
    }

    /// <summary>0 for a node linking chunks; L for one linking nodes of level L − 1.</summary>
    public int Level { get; }

    /// <summary>The links, in row order.</summary>
    public IReadOnlyList<TableTreeEntry> Entries { get; }

    /// <summary>Rows under the node.</summary>
    public long Rows { get; }

    /// <summary>Bytes of the chunk blocks under the node.</summary>
    public long Bytes { get; }

    /// <summary>Whether this is a table's root (it carries the schema).</summary>
    public bool IsRoot => _schemaMessage is not null;

    /// <summary>The table's schema (root only).</summary>
    public Schema? Schema { get; }

    /// <summary>The canonical Schema message (root only; empty below the root).</summary>
    public ReadOnlySpan<byte> SchemaMessage => _schemaMessage;

    /// <summary>A node below the root.</summary>
    /// <param name="level">Its level.</param>
    /// <param name="entries">Its links in row order (1 to <see cref="MaxEntries"/>).</param>
    /// <returns>The node; totals are summed.</returns>
    public static TableTreeNode Inner(int level, IReadOnlyList<TableTreeEntry> entries) => Create(level, entries, null, null);

    /// <summary>A table's root.</summary>
    /// <param name="level">Its level.</param>
    /// <param name="entries">Its links in row order (2 to <see cref="MaxEntries"/>).</param>
    /// <param name="schemaMessage">The table's canonical Schema message.</param>
    /// <returns>The node; totals are summed.</returns>
    public static TableTreeNode Root(int level, IReadOnlyList<TableTreeEntry> entries, byte[] schemaMessage)
    {
        ArgumentNullException.ThrowIfNull(schemaMessage);
        return Create(level, entries, schemaMessage, DatasetSchemaMessage.Decode(schemaMessage));
    }

    private static TableTreeNode Create(int level, IReadOnlyList<TableTreeEntry> entries, byte[]? schemaMessage, Schema? schema)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        if (entries.Count is 0 or > MaxEntries)
        {
            throw new ArgumentException($"a node holds 1 to {MaxEntries} entries, not {entries.Count}", nameof(entries));
        }

        long rows = 0, bytes = 0;
        foreach (var entry in entries)
        {
            rows = checked(rows + entry.Rows);
            bytes = checked(bytes + entry.Bytes);
        }

        return new TableTreeNode(level, entries, rows, bytes, schemaMessage, schema);
    }

    /// <summary>The node as an IPLD data-model tree.</summary>
    /// <returns>The map.</returns>
    public DagNode ToNode()
    {
        var fields = new List<(string, DagNode)>
        {
            (TypeKey, DagNode.Of(IsRoot ? RootTypeName : InnerTypeName)),
            (VersionKey, DagNode.Of((long)FormatVersion)),
            (LevelKey, DagNode.Of((long)Level)),
            (EntriesKey, DagNode.ListOf(Entries.Select(e => DagNode.MapOf(
                (CidKey, DagNode.Of(e.Cid)),
                (RowsKey, DagNode.Of(e.Rows)),
                (BytesKey, DagNode.Of(e.Bytes)))))),
            (RowsKey, DagNode.Of(Rows)),
            (BytesKey, DagNode.Of(Bytes)),
        };
        if (_schemaMessage is not null)
        {
            fields.Add((SchemaKey, DagNode.OfBytes(_schemaMessage)));
        }

        return DagNode.MapOf(fields);
    }

    /// <summary>Encodes the node and names it.</summary>
    /// <returns>The canonical DAG-CBOR bytes and their CID.</returns>
    public TableTreeBlock Encode()
    {
        byte[] bytes = DagCborEncoder.EncodeBlock(ToNode(), out var cid);
        return new TableTreeBlock(cid, bytes, Level);
    }

    /// <summary>
    /// Decodes a version-2 node from outside, checked against its CID and the format: the keys
    /// of a root or of an inner node as <paramref name="root"/> says, level in range, 1 to
    /// <see cref="MaxEntries"/> entries (a root at least 2), links of the right codec for the
    /// level, counts in range and totals equal to their sums.
    /// </summary>
    /// <param name="block">The block bytes.</param>
    /// <param name="expected">The CID it was fetched under.</param>
    /// <param name="root">Whether the node is read as a table's root.</param>
    /// <returns>The node.</returns>
    /// <exception cref="ContentFormatException">The block is not such a node.</exception>
    public static TableTreeNode Decode(ReadOnlySpan<byte> block, Cid expected, bool root)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (block.Length > ChunkingRule.MaxBlockBytes)
        {
            throw Malformed(expected, $"the block is {block.Length} bytes, more than the {ChunkingRule.MaxBlockBytes} a node may have");
        }

        if (expected.Version != 1 || expected.Hash.Code != Multicodec.Sha2256)
        {
            throw Malformed(expected, "not a CIDv1 with sha2-256");
        }

        // Straight off the bytes when well formed, else through the general decoder, which names the problem.
        DagCborDecoder.CheckBlock(expected, block);
        return TryReadWellFormed(block, root) ?? Read(DagCborDecoder.Decode(block), expected, root);
    }

    /// <summary>A table's root read straight off its bytes (checked against its CID already), or null when it is not a well-formed version-2 root.</summary>
    internal static TableTreeNode? ReadWellFormedRoot(ReadOnlySpan<byte> block) => TryReadWellFormed(block, root: true);

    /// <summary>
    /// A node read straight off its bytes with the token reader, without a <see cref="DagNode"/>
    /// tree: a valid node has one shape (its keys exactly these, in canonical order: rows, type,
    /// bytes, level, schema (root only), entries, version; an entry's cid, rows, bytes), so the
    /// walk checks every rule <see cref="Read"/> checks and returns null at the first thing that
    /// differs, for <see cref="Read"/> to name. A root is read at every attach and every table
    /// walk: this is about three times faster and allocates a third.
    /// </summary>
    private static TableTreeNode? TryReadWellFormed(ReadOnlySpan<byte> block, bool root)
    {
        try
        {
            var reader = new DagCborReader(block);
            if (!Next(ref reader, DagCborTokenType.StartMap) || reader.ContainerLength != (root ? RootKeys.Length : InnerKeys.Length)
                || !Key(ref reader, "rows"u8) || !Count(ref reader, out long rows)
                || !Key(ref reader, "type"u8) || !Next(ref reader, DagCborTokenType.String) || !reader.ValueSpan.SequenceEqual(root ? RootTypeUtf8 : InnerTypeUtf8)
                || !Key(ref reader, "bytes"u8) || !Count(ref reader, out long bytes)
                || !Key(ref reader, "level"u8) || !Count(ref reader, out long level) || level > MaxLevel)
            {
                return null;
            }

            byte[]? schemaMessage = null;
            if (root)
            {
                if (!Key(ref reader, "schema"u8) || !Next(ref reader, DagCborTokenType.Bytes) || reader.ValueSpan.Length > MaxSchemaMessageBytes)
                {
                    return null;
                }

                schemaMessage = reader.ValueSpan.ToArray();
            }

            if (!Key(ref reader, "entries"u8) || !Next(ref reader, DagCborTokenType.StartList)
                || reader.ContainerLength < (root ? 2 : 1) || reader.ContainerLength > MaxEntries)
            {
                return null;
            }

            var entries = new TableTreeEntry[reader.ContainerLength];
            long sumRows = 0, sumBytes = 0;
            for (int i = 0; i < entries.Length; i++)
            {
                if (!Next(ref reader, DagCborTokenType.StartMap) || reader.ContainerLength != EntryKeys.Length
                    || !Key(ref reader, "cid"u8) || !Next(ref reader, DagCborTokenType.Link))
                {
                    return null;
                }

                var link = reader.GetLink();
                if (!Key(ref reader, "rows"u8) || !Count(ref reader, out long entryRows)
                    || !Key(ref reader, "bytes"u8) || !Count(ref reader, out long entryBytes))
                {
                    return null;
                }

                var entry = new TableTreeEntry(link, entryRows, entryBytes);
                if (EntryProblem(entry, (int)level) is not null || sumRows > long.MaxValue - entryRows || sumBytes > long.MaxValue - entryBytes)
                {
                    return null;
                }

                entries[i] = entry;
                sumRows += entryRows;
                sumBytes += entryBytes;
            }

            if (!Key(ref reader, "version"u8) || !Count(ref reader, out long version) || version != FormatVersion
                || reader.BytesRemaining != 0 || rows != sumRows || bytes != sumBytes)
            {
                return null;
            }

            var schema = schemaMessage is null ? null : DatasetSchemaMessage.Decode(schemaMessage);
            return new TableTreeNode((int)level, entries, rows, bytes, schemaMessage, schema);
        }
        catch (ContentFormatException)
        {
            // A token that breaks DAG-CBOR, or a schema that does not decode: Read says which.
            return null;
        }

        static bool Next(ref DagCborReader reader, DagCborTokenType type) => reader.Read() && reader.TokenType == type;

        static bool Key(ref DagCborReader reader, ReadOnlySpan<byte> key) => Next(ref reader, DagCborTokenType.String) && reader.ValueSpan.SequenceEqual(key);

        static bool Count(ref DagCborReader reader, out long value)
        {
            bool ok = Next(ref reader, DagCborTokenType.Integer) && reader.IntegerValue >= 0 && reader.IntegerValue <= long.MaxValue;
            value = ok ? (long)reader.IntegerValue : 0;
            return ok;
        }
    }

    /// <summary>Reads and checks a decoded node (the block's hash already checked).</summary>
    internal static TableTreeNode Read(DagNode node, Cid cid, bool root)
    {
        ExpectKeys(node, root ? RootKeys : InnerKeys, cid, "node");
        string type = Field(node, TypeKey, DagKind.String, cid, "node").AsString();
        string expectedType = root ? RootTypeName : InnerTypeName;
        if (type != expectedType)
        {
            throw Malformed(cid, $"\"type\" is \"{type}\", expected \"{expectedType}\"");
        }

        long version = Integer(Field(node, VersionKey, DagKind.Integer, cid, "node"), cid, "\"version\"");
        if (version != FormatVersion)
        {
            throw Malformed(cid, $"version {version} where a table node has version {FormatVersion}");
        }

        long level = Integer(Field(node, LevelKey, DagKind.Integer, cid, "node"), cid, "\"level\"");
        if (level > MaxLevel)
        {
            throw Malformed(cid, $"level {level} is deeper than {MaxLevel}");
        }

        byte[]? schemaMessage = null;
        Schema? schema = null;
        if (root)
        {
            schemaMessage = Field(node, SchemaKey, DagKind.Bytes, cid, "node").AsBytes().ToArray();
            if (schemaMessage.Length > MaxSchemaMessageBytes)
            {
                throw Malformed(cid, $"the Schema message is {schemaMessage.Length} bytes, more than {MaxSchemaMessageBytes}");
            }

            schema = DatasetSchemaMessage.Decode(schemaMessage);
        }

        var items = Field(node, EntriesKey, DagKind.List, cid, "node").Items;
        int least = root ? 2 : 1;
        if (items.Count < least || items.Count > MaxEntries)
        {
            throw Malformed(cid, $"{items.Count} entries where a {(root ? "root" : "node")} holds {least} to {MaxEntries}");
        }

        var entries = new TableTreeEntry[items.Count];
        long rows = 0, bytes = 0;
        for (int i = 0; i < items.Count; i++)
        {
            string where = $"entries[{i}]";
            ExpectKeys(items[i], EntryKeys, cid, where);
            var entry = new TableTreeEntry(
                Field(items[i], CidKey, DagKind.Link, cid, where).AsLink(),
                Integer(Field(items[i], RowsKey, DagKind.Integer, cid, where), cid, where + ".rows"),
                Integer(Field(items[i], BytesKey, DagKind.Integer, cid, where), cid, where + ".bytes"));
            if (EntryProblem(entry, (int)level) is { } problem)
            {
                throw Malformed(cid, $"{where}: {problem}");
            }

            if (rows > long.MaxValue - entry.Rows || bytes > long.MaxValue - entry.Bytes)
            {
                throw Malformed(cid, $"{where}: the totals overflow");
            }

            entries[i] = entry;
            rows += entry.Rows;
            bytes += entry.Bytes;
        }

        long declaredRows = Integer(Field(node, RowsKey, DagKind.Integer, cid, "node"), cid, "\"rows\"");
        long declaredBytes = Integer(Field(node, BytesKey, DagKind.Integer, cid, "node"), cid, "\"bytes\"");
        if (declaredRows != rows || declaredBytes != bytes)
        {
            throw Malformed(cid, $"totals say {declaredRows} rows and {declaredBytes} bytes, the entries add up to {rows} rows and {bytes} bytes");
        }

        return new TableTreeNode((int)level, entries, rows, bytes, schemaMessage, schema);
    }

    /// <summary>Why an entry cannot be in a node of <paramref name="level"/>, or null when it can.</summary>
    internal static string? EntryProblem(TableTreeEntry entry, int level)
    {
        ulong codec = level == 0 ? Multicodec.Raw : Multicodec.DagCbor;
        if (entry.Cid.Version != 1 || entry.Cid.Codec != codec || entry.Cid.Hash.Code != Multicodec.Sha2256)
        {
            return $"{entry.Cid} is not a CIDv1 with the {Multicodec.NameOf(codec)} codec and sha2-256 (a level-{level} link)";
        }

        if (entry.Rows < 1 || (level == 0 && entry.Rows > int.MaxValue))
        {
            return $"{entry.Rows} rows, outside 1..{(level == 0 ? int.MaxValue : long.MaxValue)}";
        }

        // A chunk block holds the Schema message, a record batch and the end marker; more than one row fits in 1 MiB.
        if (entry.Bytes <= EndOfStreamLength || (level == 0 && entry.Rows > 1 && entry.Bytes > ChunkingRule.MaxBlockBytes))
        {
            return $"{entry.Bytes} bytes for {entry.Rows} rows (a chunk of more than one row has at most {ChunkingRule.MaxBlockBytes})";
        }

        return null;
    }

    private static void ExpectKeys(DagNode node, string[] keys, Cid cid, string where)
    {
        if (node.Kind != DagKind.Map)
        {
            throw Malformed(cid, $"{where} is a {node.Kind}, not a map");
        }

        foreach (var entry in node.Entries)
        {
            if (Array.IndexOf(keys, entry.Key) < 0)
            {
                throw Malformed(cid, $"{where} has an unknown field \"{entry.Key}\"");
            }
        }
    }

    private static DagNode Field(DagNode map, string key, DagKind kind, Cid cid, string where)
    {
        if (!map.TryGetValue(key, out var value))
        {
            throw Malformed(cid, $"{where} lacks the field \"{key}\"");
        }

        return value.Kind == kind ? value : throw Malformed(cid, $"{where}.{key} is a {value.Kind}, not a {kind}");
    }

    private static long Integer(DagNode node, Cid cid, string what)
    {
        var value = node.IntegerValue;
        return value >= 0 && value <= long.MaxValue ? (long)value : throw Malformed(cid, $"{what} is {value}, outside 0..{long.MaxValue}");
    }

    internal static ContentFormatException Malformed(Cid cid, string problem) => new($"table manifest {cid}: {problem}");
}
