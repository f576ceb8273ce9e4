using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// A table opened by its CID, whatever its form: one chunk (a raw canonical block), a version-1
/// dataset manifest (one DAG-CBOR block listing its batches) or a version-2 manifest tree. The
/// schema and totals come from the root; <see cref="Chunks"/> walks the tree lazily, fetching one
/// node per level at a time and checking each against its CID, its parent's entry and the format.
/// </summary>
public sealed class TableManifest
{
    private readonly Func<Cid, ReadOnlyMemory<byte>> _fetch;
    private readonly TableTreeNode? _root;
    private readonly IReadOnlyList<TableTreeEntry>? _flat;
    private long _maxChunks = long.MaxValue;

    private TableManifest(Cid cid, int version, Schema schema, long rows, long bytes, Func<Cid, ReadOnlyMemory<byte>> fetch, TableTreeNode? root, IReadOnlyList<TableTreeEntry>? flat)
    {
        Cid = cid;
        Version = version;
        Schema = schema;
        Rows = rows;
        Bytes = bytes;
        _fetch = fetch;
        _root = root;
        _flat = flat;
    }

    /// <summary>The table's CID.</summary>
    public Cid Cid { get; }

    /// <summary>0 for a one-chunk table (a raw block), 1 for a version-1 manifest, 2 for a manifest tree.</summary>
    public int Version { get; }

    /// <summary>The table's schema.</summary>
    public Schema Schema { get; }

    /// <summary>Rows of the table.</summary>
    public long Rows { get; }

    /// <summary>Bytes of its chunk (batch) blocks.</summary>
    public long Bytes { get; }

    /// <summary>Levels of manifest nodes: 0 without a tree (one chunk or a version-1 manifest), else the root's level + 1.</summary>
    public int Height => _root is null ? 0 : _root.Level + 1;

    /// <summary>The root node of a manifest tree (version 2); null for a one-chunk table or a version-1 manifest.</summary>
    public TableTreeNode? RootNode => _root;

    /// <summary>Opens a table by its CID.</summary>
    /// <param name="cid">The table's CID: raw (one chunk) or dag-cbor (a manifest), sha2-256.</param>
    /// <param name="fetch">Returns a block's bytes (throwing when it is missing); every block it returns is checked against its CID here.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ContentFormatException">The root is not a table: wrong codec or hash, not canonical Arrow, not a manifest of either version.</exception>
    public static TableManifest Open(Cid cid, Func<Cid, ReadOnlyMemory<byte>> fetch)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(fetch);
        var block = fetch(cid);
        if (cid.Codec == Multicodec.Raw)
        {
            return OpenChunk(cid, block, fetch);
        }

        if (cid.Codec != Multicodec.DagCbor || cid.Version != 1 || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ContentFormatException($"table {cid}: neither a raw chunk nor a dag-cbor manifest with sha2-256");
        }

        DagCborDecoder.CheckBlock(cid, block.Span);

        // A version-2 root (every chunked table's) read straight off its bytes; anything else decoded in general.
        if (block.Length <= ChunkingRule.MaxBlockBytes && TableTreeNode.ReadWellFormedRoot(block.Span) is { } fast)
        {
            return new TableManifest(cid, TableTreeNode.FormatVersion, fast.Schema!, fast.Rows, fast.Bytes, fetch, fast, null);
        }

        var node = DagCborDecoder.Decode(block.Span);
        if (node.Kind == DagKind.Map && node.TryGetValue("version", out var version) && version.Kind == DagKind.Integer && version.IntegerValue == DatasetManifest.FormatVersion)
        {
            var manifest = DatasetManifest.Decode(block.Span, cid);
            var batches = manifest.Batches.Select(b => new TableTreeEntry(b.Cid, b.Rows, b.Bytes)).ToArray();
            return new TableManifest(cid, 1, manifest.Schema, manifest.Rows, manifest.Bytes, fetch, null, batches);
        }

        // Version-1 manifests had no size limit; every node of a tree is at most 1 MiB.
        if (block.Length > ChunkingRule.MaxBlockBytes)
        {
            throw TableTreeNode.Malformed(cid, $"the block is {block.Length} bytes, more than the {ChunkingRule.MaxBlockBytes} a node may have");
        }

        var root = TableTreeNode.Read(node, cid, root: true);
        return new TableManifest(cid, TableTreeNode.FormatVersion, root.Schema!, root.Rows, root.Bytes, fetch, root, null);
    }

    /// <summary>
    /// The table's chunks in row order, walking the tree depth first. Each node fetched is
    /// checked: its CID, format, level (one less than its parent's), and totals equal to the
    /// parent's entry for it. Chunk blocks themselves are not fetched.
    /// </summary>
    /// <returns>The chunk entries (raw CIDs, rows, block bytes).</returns>
    /// <exception cref="ContentFormatException">A node is malformed or disagrees with its parent.</exception>
    public IEnumerable<TableTreeEntry> Chunks()
    {
        // Under a limit, counted first from the distinct nodes: a tree past it is refused before
        // its walk makes an entry for each of its chunks.
        CheckChunks(_maxChunks);
        var walk = new TableTreeWalker(this);
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            if (step == TableWalkStep.NeedBlock)
            {
                walk.Supply(_fetch(walk.Pending!).Span);
            }
            else if (step == TableWalkStep.Chunk)
            {
                yield return walk.Chunk!;
            }
        }
    }

    /// <summary>
    /// Bounds <see cref="Chunks"/> from now on: a table of more than <paramref name="maxChunks"/>
    /// chunks is refused before its walk (<see cref="CheckChunks"/>). A repository serving a node
    /// sets it on every table it opens.
    /// </summary>
    /// <param name="maxChunks">The most chunks one walk reports.</param>
    /// <returns>This manifest.</returns>
    public TableManifest LimitChunks(long maxChunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChunks);
        _maxChunks = maxChunks;
        return this;
    }

    /// <summary>
    /// Refuses a table whose tree links more than <paramref name="maxChunks"/> chunks, as
    /// <see cref="CountChunks"/> counts them (from the distinct nodes, with no memory per chunk);
    /// a tree may link one node thousands of times, so a few kilobytes describe billions of chunks.
    /// </summary>
    /// <param name="maxChunks">The most chunks a walk may report; <see cref="long.MaxValue"/> checks nothing.</param>
    /// <exception cref="TableWalkLimitException">The table links more.</exception>
    /// <exception cref="ContentFormatException">A node is malformed or disagrees with its parent.</exception>
    public void CheckChunks(long maxChunks)
    {
        if (maxChunks < long.MaxValue && CountChunks(maxChunks) > maxChunks)
        {
            throw new TableWalkLimitException(Cid, maxChunks, Rows);
        }
    }

    /// <summary>
    /// How many chunks the table links in row order, counted from its nodes without listing them:
    /// a node the tree links many times is read and counted once, so a tree linking one node
    /// thousands of times at every level is counted from its few blocks. Each node read is checked
    /// as <see cref="Chunks"/> checks it. Stops once the count passes <paramref name="limit"/>.
    /// </summary>
    /// <param name="limit">The count past which it stops.</param>
    /// <returns>The count, or a number above <paramref name="limit"/>.</returns>
    /// <exception cref="ContentFormatException">A node is malformed or disagrees with its parent.</exception>
    public long CountChunks(long limit)
    {
        if (_root is null)
        {
            return Version == 0 ? 1 : FlatEntries.Count;
        }

        long past = limit == long.MaxValue ? limit : limit + 1;
        var counted = new Dictionary<Cid, long>();
        long Count(TableTreeNode node)
        {
            if (node.Level == 0)
            {
                return node.Entries.Count;
            }

            long total = 0;
            foreach (var entry in node.Entries)
            {
                if (!counted.TryGetValue(entry.Cid, out long below))
                {
                    below = Count(ReadChild(entry, node.Level - 1, _fetch(entry.Cid).Span));
                    counted[entry.Cid] = below;
                }

                // Saturating: a count past the limit is all a caller needs, and 4,096^40 overflows.
                total = below > limit - total ? past : total + below;
                if (total > limit)
                {
                    return total;
                }
            }

            return total;
        }

        return Count(_root);
    }

    /// <summary>Every manifest node block's CID, parents before children (depth first), each once (for export, pinning and diffs).</summary>
    /// <returns>The node CIDs (the root first; none for a one-chunk table or a version-1 manifest, whose root is its only block).</returns>
    public IEnumerable<Cid> Nodes()
    {
        if (_root is null)
        {
            yield break;
        }

        var walk = new TableTreeWalker(this, eachBlockOnce: true);
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            if (step == TableWalkStep.NeedBlock)
            {
                walk.Supply(_fetch(walk.Pending!).Span);
            }
            else if (step == TableWalkStep.Node)
            {
                yield return walk.Block!;
            }
        }
    }

    /// <summary>A version-1 manifest's batches (null for a tree or a one-chunk table).</summary>
    internal IReadOnlyList<TableTreeEntry> FlatEntries => _flat ?? [];

    /// <summary>
    /// Decodes a node below the root as its parent links it: checked against the entry's CID, the
    /// format, the level the parent implies and the parent's rows and bytes for it. For walks that
    /// fetch nodes themselves (a copy from another node); <see cref="Chunks"/> and <see cref="Nodes"/> use it too.
    /// </summary>
    /// <param name="entry">The parent's entry for the node.</param>
    /// <param name="level">The parent's level − 1.</param>
    /// <param name="block">The node's bytes.</param>
    /// <returns>The node.</returns>
    /// <exception cref="ContentFormatException">The node is malformed or disagrees with its parent.</exception>
    public static TableTreeNode ReadChild(TableTreeEntry entry, int level, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var child = TableTreeNode.Decode(block, entry.Cid, root: false);
        if (child.Level != level)
        {
            throw TableTreeNode.Malformed(entry.Cid, $"level {child.Level} where its parent links a level-{level} node");
        }

        if (child.Rows != entry.Rows || child.Bytes != entry.Bytes)
        {
            throw TableTreeNode.Malformed(entry.Cid, $"{child.Rows} rows and {child.Bytes} bytes where its parent says {entry.Rows} and {entry.Bytes}");
        }

        return child;
    }

    private static TableManifest OpenChunk(Cid cid, ReadOnlyMemory<byte> block, Func<Cid, ReadOnlyMemory<byte>> fetch)
    {
        if (cid.Version != 1 || cid.Hash.Code != Multicodec.Sha2256 || !cid.Verify(block.Span))
        {
            throw new ContentFormatException($"table {cid}: the block does not hash to its CID (or the CID is not a sha2-256 CIDv1)");
        }

        try
        {
            using var reader = new ArrowStreamReader(block);
            var schema = reader.Schema;
            using var batch = reader.ReadNext() ?? throw new ContentFormatException($"table {cid}: the chunk holds no record batch");
            var entry = new TableTreeEntry(cid, batch.Length, block.Length);
            return new TableManifest(cid, 0, schema, batch.Length, block.Length, fetch, null, [entry]);
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"table {cid}: the chunk is not an Arrow IPC stream: {e.Message}", e);
        }
    }
}
