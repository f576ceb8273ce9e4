using ArrowCid.Content;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;

namespace ArrowCid.Repository;

/// <summary>One block of a table and its length.</summary>
/// <param name="Cid">The block: a manifest root or node (dag-cbor) or a chunk (raw).</param>
/// <param name="Bytes">Its length in bytes (a chunk's as its manifest states it).</param>
public sealed record TableBlock(Cid Cid, long Bytes)
{
    /// <summary>The block a table walk's step reported: a manifest node, or a chunk with the length its manifest states; null for any other step.</summary>
    /// <param name="walk">The walk.</param>
    /// <param name="step">The step it just took.</param>
    /// <returns>The block, or null.</returns>
    public static TableBlock? Reported(TableTreeWalker walk, TableWalkStep step)
    {
        ArgumentNullException.ThrowIfNull(walk);
        return step switch
        {
            TableWalkStep.Node => new TableBlock(walk.Block!, walk.BlockBytes),
            TableWalkStep.Chunk => new TableBlock(walk.Chunk!.Cid, walk.Chunk.Bytes),
            _ => null,
        };
    }
}

/// <summary>
/// Every block a table (a CID) consists of, each once, with its length: for a manifest tree its
/// root, the nodes below it and the chunks they link; for a version-1 dataset its manifest and
/// batches; for a one-chunk table the one block. Two tables' blocks compare with
/// <see cref="TableDifference.Between"/>: what versions share, what a version adds. Found by
/// <see cref="TableTreeWalker"/>.
/// </summary>
public sealed class TableBlocks
{
    private readonly HashSet<Cid> _cids;

    internal TableBlocks(Cid root, IReadOnlyList<TableBlock> blocks)
    {
        Root = root;
        Blocks = blocks;
        _cids = blocks.Select(b => b.Cid).ToHashSet();
        Bytes = blocks.Sum(b => b.Bytes);
    }

    /// <summary>The table's CID.</summary>
    public Cid Root { get; }

    /// <summary>The blocks, each once, depth first (<see cref="TableTreeWalker"/>): the root first, each manifest node before what it links, the chunks in row order.</summary>
    public IReadOnlyList<TableBlock> Blocks { get; }

    /// <summary>The sum of the blocks' lengths (manifest nodes included).</summary>
    public long Bytes { get; }

    /// <summary>Whether the table has a block.</summary>
    /// <param name="cid">Any CID.</param>
    /// <returns>True when <paramref name="cid"/> is one of <see cref="Blocks"/>.</returns>
    public bool Contains(Cid cid) => _cids.Contains(cid);

    /// <summary>
    /// A table's blocks as a reader of its whole tree found them (e.g. while listing its chunks
    /// with <see cref="TableManifest.Chunks"/>), so the tree need not be walked a second time.
    /// </summary>
    /// <param name="root">The table's CID.</param>
    /// <param name="blocks">Its blocks, depth first; a block listed again is kept once.</param>
    /// <returns>The table's blocks.</returns>
    public static TableBlocks Of(Cid root, IEnumerable<TableBlock> blocks)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(blocks);
        var seen = new HashSet<Cid>();
        return new TableBlocks(root, [.. blocks.Where(b => seen.Add(b.Cid))]);
    }

    /// <summary>
    /// The blocks of a table held in this repository: its manifest nodes are read (re-hashed and
    /// checked); its chunks need not be present, since the manifest states their lengths. A raw
    /// root's length comes from its registry record, else from its block file.
    /// </summary>
    /// <param name="content">The repository.</param>
    /// <param name="root">A table CID (raw or dag-cbor).</param>
    /// <param name="elsewhere">
    /// A block the repository lacks, read from where else it is kept (a node's bucket) without
    /// storing it, or null when it cannot be had; checked against its CID here. Null: the
    /// repository alone.
    /// </param>
    /// <returns>The table's blocks.</returns>
    /// <exception cref="BlockNotFoundException">The root or a manifest node is not here (nor elsewhere).</exception>
    /// <exception cref="BlockCorruptedException">A manifest node does not hash to its CID.</exception>
    /// <exception cref="ContentFormatException">The root is not a table, or a node is malformed.</exception>
    public static TableBlocks Read(ContentRepository content, Cid root, Func<Cid, byte[]?>? elsewhere = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        return Walk(new TableTreeWalker(root, eachBlockOnce: true), (walk, cid) =>
        {
            // What the repository holds is read there; what it lacks, from elsewhere when it can be.
            bool held = content.Repository.Blocks.Has(cid) || (cid.Codec == Multicodec.Raw && content.Repository.GetRecord(cid) is not null);
            byte[]? other = held ? null : Elsewhere(cid);
            if (cid.Codec == Multicodec.Raw)
            {
                walk.SupplyLength(other?.Length ?? LengthOf(content, cid));
            }
            else
            {
                walk.Supply(other is null ? content.GetBytes(cid).Span : other);
            }
        });

        byte[]? Elsewhere(Cid cid) => elsewhere?.Invoke(cid) is { } bytes
            ? (cid.Verify(bytes) ? bytes : throw new BlockCorruptedException(cid, $"{cid} as read from elsewhere does not hash to its CID"))
            : null;
    }

    /// <summary>The blocks of a table whose manifest blocks <paramref name="fetch"/> returns (from wherever they are held); a raw root is read for its length.</summary>
    internal static TableBlocks Read(Cid root, Func<Cid, ReadOnlyMemory<byte>> fetch) =>
        Walk(new TableTreeWalker(root, eachBlockOnce: true), (walk, cid) => walk.Supply(fetch(cid).Span));

    /// <summary>Every block a walk reports, in its order (depth first), each once; <paramref name="supply"/> hands in what it asks for.</summary>
    internal static TableBlocks Walk(TableTreeWalker walk, Action<TableTreeWalker, Cid> supply)
    {
        var blocks = new List<TableBlock>();
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            if (step == TableWalkStep.NeedBlock)
            {
                supply(walk, walk.Pending!);
            }
            else if (TableBlock.Reported(walk, step) is { } block)
            {
                blocks.Add(block);
            }
        }

        return new TableBlocks(walk.Root, blocks);
    }

    private static long LengthOf(ContentRepository content, Cid cid)
    {
        if (content.Repository.GetRecord(cid) is { } record)
        {
            return record.Bytes;
        }

        return content.Repository.Blocks.TryGetSize(cid, out long size) ? size : throw new BlockNotFoundException(cid);
    }
}
