using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Chunking;

/// <summary>What a <see cref="TableTreeWalker"/> step found.</summary>
public enum TableWalkStep
{
    /// <summary>The walk needs the bytes of <see cref="TableTreeWalker.Pending"/> (the root, or a node below it) before it can go on: hand them to <see cref="TableTreeWalker.Supply"/>.</summary>
    NeedBlock,

    /// <summary>A manifest block, the root or a node below it: <see cref="TableTreeWalker.Block"/>, <see cref="TableTreeWalker.Level"/>, <see cref="TableTreeWalker.BlockBytes"/>.</summary>
    Node,

    /// <summary>A chunk, in row order: <see cref="TableTreeWalker.Chunk"/> (its CID, rows and length as its manifest states them).</summary>
    Chunk,

    /// <summary>The walk is over.</summary>
    End,
}

/// <summary>
/// The one walk of a table's tree, depth first (pre-order: a block, then what it links, first link
/// first), apart from where its blocks come from: the walk says which block it needs next, the
/// caller reads it (from a repository, a peer, a cache) and hands it in, and the walk reports each
/// manifest block and each chunk as it reaches it. Every block handed in is checked: the root
/// against its CID and the format, a node below it against its CID, the format, the level its
/// parent implies and the parent's rows and bytes for it. Chunks are never needed: manifests state
/// their lengths. Manifests (<see cref="TableManifest.Chunks"/>), block lists, the CAR order,
/// remote tables and the gateway's table summaries all walk through it.
/// </summary>
public sealed class TableTreeWalker
{
    private readonly Stack<(TableTreeNode Node, int Next)> _stack = new();
    private readonly HashSet<Cid>? _seen;
    private readonly Queue<TableTreeEntry> _flat = new();
    private (TableTreeEntry Entry, int Level)? _pendingChild;
    private bool _rootPending;

    /// <summary>Starts a walk at a table's CID; its first step asks for the root's bytes (or, for a raw root, its length).</summary>
    /// <param name="root">A table CID: a chunk (raw) or a manifest root (dag-cbor).</param>
    /// <param name="eachBlockOnce">
    /// Report each block once, not walking a repeated node's subtree again (a block list, a CAR
    /// with <c>dups=n</c>); false reports a block each time the tree links it (the row order).
    /// </param>
    /// <exception cref="ContentFormatException">The CID's codec names no table.</exception>
    public TableTreeWalker(Cid root, bool eachBlockOnce = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root.Codec is not (Multicodec.Raw or Multicodec.DagCbor))
        {
            throw new ContentFormatException($"{root} is {Multicodec.NameOf(root.Codec)}: a table is a chunk (raw) or a manifest (dag-cbor)");
        }

        Root = root;
        _seen = eachBlockOnce ? [] : null;
        _rootPending = true;
    }

    /// <summary>Walks an opened table below its root; the first step reports the root (a chunk for a one-chunk table).</summary>
    /// <param name="table">The table.</param>
    /// <param name="eachBlockOnce">As for <see cref="TableTreeWalker(Cid, bool)"/>.</param>
    public TableTreeWalker(TableManifest table, bool eachBlockOnce = false)
    {
        ArgumentNullException.ThrowIfNull(table);
        Root = table.Cid;
        _seen = eachBlockOnce ? [] : null;
        Start(table, -1);
    }

    /// <summary>The table's CID.</summary>
    public Cid Root { get; }

    /// <summary>The table as its root describes it (schema, totals), once the root is handed in; null before, or when only a raw root's length was.</summary>
    public TableManifest? Table { get; private set; }

    /// <summary>After <see cref="TableWalkStep.NeedBlock"/>: the block the walk needs.</summary>
    public Cid? Pending { get; private set; }

    /// <summary>After <see cref="TableWalkStep.Node"/>: the manifest block reported.</summary>
    public Cid? Block { get; private set; }

    /// <summary>After <see cref="TableWalkStep.Node"/>: its level in the tree (0 lists chunks; a version-1 manifest is 0).</summary>
    public int Level { get; private set; }

    /// <summary>After <see cref="TableWalkStep.Node"/>: its length in bytes; -1 for the root of a walk started from an opened table.</summary>
    public long BlockBytes { get; private set; }

    /// <summary>After <see cref="TableWalkStep.Chunk"/>: the chunk's entry.</summary>
    public TableTreeEntry? Chunk { get; private set; }

    /// <summary>Takes the next step.</summary>
    /// <returns>What it found.</returns>
    /// <exception cref="InvalidOperationException">A block the walk asked for was not handed in.</exception>
    public TableWalkStep Next()
    {
        if (Pending is not null)
        {
            throw new InvalidOperationException($"the walk of {Root} needs {Pending} first");
        }

        if (_rootPending)
        {
            Pending = Root;
            return TableWalkStep.NeedBlock;
        }

        if (_pendingChild is { } supplied)
        {
            // The node handed in: report it, then walk what it links.
            _pendingChild = null;
            return Node(supplied.Entry.Cid, supplied.Level, BlockBytes);
        }

        if (_flat.TryDequeue(out var listed))
        {
            return ChunkStep(listed);
        }

        while (_stack.TryPop(out var top))
        {
            var (node, next) = top;
            if (next == node.Entries.Count)
            {
                continue;
            }

            _stack.Push((node, next + 1));
            var entry = node.Entries[next];
            if (_seen is not null && !_seen.Add(entry.Cid))
            {
                // Reported once already, and so was everything below it.
                continue;
            }

            if (node.Level == 0)
            {
                return ChunkStep(entry);
            }

            _pendingChild = (entry, node.Level - 1);
            Pending = entry.Cid;
            return TableWalkStep.NeedBlock;
        }

        return TableWalkStep.End;
    }

    /// <summary>Hands in the bytes of <see cref="Pending"/>; the next step reports it.</summary>
    /// <param name="bytes">The block.</param>
    /// <exception cref="InvalidOperationException">Nothing is pending.</exception>
    /// <exception cref="BlockCorruptedException">A raw root does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">The root is not a table, or a node is malformed or disagrees with its parent.</exception>
    public void Supply(ReadOnlySpan<byte> bytes)
    {
        var cid = Pending ?? throw new InvalidOperationException($"the walk of {Root} needs no block now");
        Pending = null;
        BlockBytes = bytes.Length;
        if (_rootPending)
        {
            _rootPending = false;
            if (cid.Codec == Multicodec.Raw && !cid.Verify(bytes))
            {
                throw new BlockCorruptedException(cid, $"Content of {bytes.Length} bytes does not hash to its CID");
            }

            var copy = bytes.ToArray();
            TableManifest table;
            try
            {
                // Opening reads the root alone: the nodes below it come through this walk.
                table = TableManifest.Open(cid, c => c == cid ? copy : throw new InvalidOperationException($"the walk reads {c} itself"));
            }
            catch (ContentFormatException e) when (cid.Codec == Multicodec.DagCbor)
            {
                throw new ContentFormatException($"{cid} is not a table manifest: {e.Message}", e);
            }

            Start(table, bytes.Length);
            return;
        }

        var (entry, level) = _pendingChild!.Value;
        _stack.Push((TableManifest.ReadChild(entry, level, bytes), 0));
    }

    /// <summary>
    /// Hands in only the length of a pending raw root (known without reading it, from a registry
    /// record): the walk reports it as the table's one chunk, without its rows.
    /// </summary>
    /// <param name="length">Its length in bytes.</param>
    /// <exception cref="InvalidOperationException">The pending block is not a raw root (a manifest's links are needed).</exception>
    public void SupplyLength(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (Pending is not { Codec: Multicodec.Raw } cid || !_rootPending)
        {
            throw new InvalidOperationException($"the walk of {Root} needs the bytes of {Pending?.ToString() ?? "nothing"}, not only a length");
        }

        Pending = null;
        _rootPending = false;
        _seen?.Add(cid);
        _flat.Enqueue(new TableTreeEntry(cid, 0, length));
    }

    private void Start(TableManifest table, long rootBytes)
    {
        Table = table;
        _seen?.Add(table.Cid);
        if (table.Version == 0)
        {
            // One chunk: the root is the table's only block.
            _flat.Enqueue(new TableTreeEntry(table.Cid, table.Rows, table.Bytes));
            return;
        }

        BlockBytes = rootBytes;
        if (table.RootNode is { } root)
        {
            _stack.Push((root, 0));
            _pendingChild = (new TableTreeEntry(table.Cid, table.Rows, table.Bytes), root.Level);
            return;
        }

        // A version-1 manifest lists its batches itself.
        foreach (var entry in table.FlatEntries)
        {
            if (_seen is null || _seen.Add(entry.Cid))
            {
                _flat.Enqueue(entry);
            }
        }

        _pendingChild = (new TableTreeEntry(table.Cid, table.Rows, table.Bytes), 0);
    }

    private TableWalkStep Node(Cid cid, int level, long bytes)
    {
        Block = cid;
        Level = level;
        BlockBytes = bytes;
        Chunk = null;
        return TableWalkStep.Node;
    }

    private TableWalkStep ChunkStep(TableTreeEntry entry)
    {
        Chunk = entry;
        Block = null;
        return TableWalkStep.Chunk;
    }
}
