using ArrowCid.Arrow.Types;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>What building a table's manifest tree gave.</summary>
/// <param name="Root">The table's CID: the chunk's raw CID for a one-chunk table, else the root node's dag-cbor CID.</param>
/// <param name="RootBlock">The root node (null for a one-chunk table).</param>
/// <param name="Blocks">Every node block not yet returned by <see cref="TableTreeBuilder.Add"/>, the root last.</param>
/// <param name="Rows">Rows of the table.</param>
/// <param name="Bytes">Bytes of its chunk blocks.</param>
public sealed record TableTreeResult(Cid Root, TableTreeBlock? RootBlock, IReadOnlyList<TableTreeBlock> Blocks, long Rows, long Bytes)
{
    /// <summary>Every block of the table with its length, by CID: the chunks given and the manifest nodes of <see cref="Blocks"/> (to count what two versions share).</summary>
    /// <param name="chunks">The table's chunk entries.</param>
    /// <returns>Block lengths by CID (a block that repeats is listed once).</returns>
    public Dictionary<Cid, long> BlockSizes(IEnumerable<TableTreeEntry> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var blocks = new Dictionary<Cid, long>();
        foreach (var chunk in chunks)
        {
            blocks[chunk.Cid] = chunk.Bytes;
        }

        foreach (var node in Blocks)
        {
            blocks[node.Cid] = node.Bytes.Length;
        }

        return blocks;
    }
}

/// <summary>
/// Builds the manifest tree of a chunked table (docs/canonical-form.md, "The manifest tree") from
/// its chunks in row order, as they come: level 0 cuts the chunk list into nodes, each level above
/// cuts the list of nodes below, until a level is one node, the root. A node ends after an entry
/// whose CID's digest starts with six zero bits (<c>digest[0] &amp; 0x3F == 0</c>, one entry in 64)
/// once it holds two entries, or at <see cref="TableTreeNode.MaxEntries"/>; so node boundaries
/// depend only on the entries around them, and an edit changes only the nodes on the path to it.
/// Finished nodes below the root are returned as soon as they are known not to be the root.
/// </summary>
public sealed class TableTreeBuilder
{
    /// <summary>Fewest entries a node ends with at a boundary: every level has fewer nodes than the one below, so the tree ends.</summary>
    public const int MinEntries = 2;

    private readonly ReadOnlyMemory<byte> _schemaMessage;
    private readonly List<Level> _levels = [];
    private TableTreeEntry? _firstChunk;
    private long _chunks;
    private long _rows;
    private long _bytes;
    private bool _finished;

    /// <summary>Starts the tree of a table of <paramref name="schema"/>.</summary>
    /// <param name="schema">The table's schema (its canonical Schema message goes into the root).</param>
    public TableTreeBuilder(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schemaMessage = DatasetSchemaMessage.EncodeShared(schema);
    }

    /// <summary>Whether a node ends after an entry with this CID once it holds <see cref="MinEntries"/> entries.</summary>
    /// <param name="cid">The entry's CID (sha2-256).</param>
    /// <returns>True for one CID in 64.</returns>
    public static bool IsBoundary(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return (cid.Hash.Digest[0] & 0x3F) == 0;
    }

    /// <summary>Adds the next chunk and returns the node blocks that became final (store them; possibly none).</summary>
    /// <param name="chunk">The chunk's raw CID, rows and block length.</param>
    /// <returns>Finished nodes below the root, children before parents.</returns>
    /// <exception cref="ArgumentException">Not a raw sha2-256 CIDv1, or counts out of range.</exception>
    public IReadOnlyList<TableTreeBlock> Add(TableTreeEntry chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        if (_finished)
        {
            throw new InvalidOperationException("the tree is finished");
        }

        // A one-chunk table is named by its chunk: accept rows = 0 only there (checked at Finish).
        if (TableTreeNode.EntryProblem(chunk.Rows == 0 ? chunk with { Rows = 1 } : chunk, 0) is { } problem)
        {
            throw new ArgumentException(problem, nameof(chunk));
        }

        _chunks++;
        _rows = checked(_rows + chunk.Rows);
        _bytes = checked(_bytes + chunk.Bytes);
        var emitted = new List<TableTreeBlock>();
        if (_chunks == 1)
        {
            _firstChunk = chunk;
            return emitted;
        }

        if (_chunks == 2)
        {
            if (_schemaMessage.Length > TableTreeNode.MaxSchemaMessageBytes)
            {
                throw new ContentFormatException($"table: the canonical Schema message is {_schemaMessage.Length} bytes; a table of more than one chunk holds at most {TableTreeNode.MaxSchemaMessageBytes}");
            }

            CheckChunkRows(_firstChunk!);
            Push(0, _firstChunk!, emitted);
        }

        CheckChunkRows(chunk);
        Push(0, chunk, emitted);
        return emitted;
    }

    /// <summary>Ends the table and returns its CID and the remaining node blocks.</summary>
    /// <returns>The root and the blocks still to store (the root block last).</returns>
    /// <exception cref="InvalidOperationException">No chunk was added (every table has at least one, possibly of zero rows).</exception>
    public TableTreeResult Finish()
    {
        if (_finished)
        {
            throw new InvalidOperationException("the tree is finished");
        }

        _finished = true;
        if (_firstChunk is null)
        {
            throw new InvalidOperationException("a table has at least one chunk (a table without rows is one chunk of zero rows)");
        }

        if (_chunks == 1)
        {
            return new TableTreeResult(_firstChunk.Cid, null, [], _rows, _bytes);
        }

        var emitted = new List<TableTreeBlock>();
        for (int level = 0; ; level++)
        {
            var current = _levels[level];
            if (current.Open.Count > 0)
            {
                Close(level, emitted);
            }

            if (current.Closed == 1)
            {
                var root = TableTreeNode.Root(level, current.Held!, _schemaMessage.ToArray()).Encode();
                emitted.Add(root);
                return new TableTreeResult(root.Cid, root, emitted, _rows, _bytes);
            }

            Emit(level, emitted);
        }
    }

    /// <summary>Builds the whole tree of a table at once.</summary>
    /// <param name="schema">The table's schema.</param>
    /// <param name="chunks">Its chunks in row order (at least one).</param>
    /// <returns>The root and every node block, children before parents, the root last.</returns>
    public static TableTreeResult Build(Schema schema, IEnumerable<TableTreeEntry> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var builder = new TableTreeBuilder(schema);
        var blocks = new List<TableTreeBlock>();
        foreach (var chunk in chunks)
        {
            blocks.AddRange(builder.Add(chunk));
        }

        var result = builder.Finish();
        blocks.AddRange(result.Blocks);
        return result with { Blocks = blocks };
    }

    private static void CheckChunkRows(TableTreeEntry chunk)
    {
        if (chunk.Rows == 0)
        {
            throw new ArgumentException($"chunk {chunk.Cid} has no rows: only a table of one chunk may have none", nameof(chunk));
        }
    }

    private void Push(int level, TableTreeEntry entry, List<TableTreeBlock> emitted)
    {
        if (level == _levels.Count)
        {
            _levels.Add(new Level());
        }

        var open = _levels[level].Open;
        open.Add(entry);
        if ((open.Count >= MinEntries && IsBoundary(entry.Cid)) || open.Count == TableTreeNode.MaxEntries)
        {
            Close(level, emitted);
        }
    }

    /// <summary>Ends the open node of <paramref name="level"/>; the node closed before it is now known not to be the root.</summary>
    private void Close(int level, List<TableTreeBlock> emitted)
    {
        var current = _levels[level];
        if (current.Held is not null)
        {
            Emit(level, emitted);
        }

        current.Held = current.Open;
        current.Open = [];
        current.Closed++;
    }

    /// <summary>Encodes the held node of <paramref name="level"/> as a node below the root and links it from the level above.</summary>
    private void Emit(int level, List<TableTreeBlock> emitted)
    {
        var current = _levels[level];
        var node = TableTreeNode.Inner(level, current.Held!);
        var block = node.Encode();
        emitted.Add(block);
        current.Held = null;
        Push(level + 1, new TableTreeEntry(block.Cid, node.Rows, node.Bytes), emitted);
    }

    /// <summary>One level under construction: the open node's entries, the last closed node (held until it is known not to be the root) and how many nodes closed.</summary>
    private sealed class Level
    {
        public List<TableTreeEntry> Open { get; set; } = [];

        public List<TableTreeEntry>? Held { get; set; }

        public long Closed { get; set; }
    }
}
