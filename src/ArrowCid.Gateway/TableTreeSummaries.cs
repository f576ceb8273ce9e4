using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.Gateway;

/// <summary>
/// What <c>GET /api/v1/tables/{cid}</c> needs of a table's manifest tree, found in one read of it:
/// the root's schema and totals, every chunk in row order, the nodes down to the first chunk and
/// every block (for block totals and version differences).
/// </summary>
/// <param name="Schema">The table's schema.</param>
/// <param name="Rows">Rows of the table.</param>
/// <param name="Bytes">Bytes of its chunks.</param>
/// <param name="Chunks">Every chunk entry in row order (a repeated chunk listed each time).</param>
/// <param name="FirstRows">The row each chunk starts at, by index in <paramref name="Chunks"/>.</param>
/// <param name="FirstChunkPath">The manifest nodes from the root's first child down to the node listing the first chunk.</param>
/// <param name="Blocks">Every block of the table, each once.</param>
internal sealed record TableTreeSummary(
    Schema Schema, long Rows, long Bytes, IReadOnlyList<TableTreeEntry> Chunks, long[] FirstRows, IReadOnlyList<string> FirstChunkPath, TableBlocks Blocks);

/// <summary>
/// Table summaries by CID, the most recently used kept up to a total number of blocks: what a CID
/// names never changes, so a big table's tree (thousands of chunks) is read once rather than on
/// every request for its JSON, and a version's predecessor is read once for all its successors.
/// Whether the table is still held is the caller's to check on each request (a collected table is
/// not held, whatever is cached). Only a complete walk is kept.
/// </summary>
internal sealed class TableTreeSummaries(Func<Cid, ReadOnlyMemory<byte>> fetch, long maxBlocks = TableTreeSummaries.DefaultMaxBlocks, long maxChunks = long.MaxValue)
{
    /// <summary>
    /// Blocks kept in all (a 1 GiB table of 1 MiB chunks has about 1,000; each costs a few hundred
    /// bytes here, so the cap holds the cache to tens of MiB).
    /// </summary>
    public const long DefaultMaxBlocks = 200_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<Cid, LinkedListNode<(Cid Cid, TableTreeSummary Summary)>> _byCid = [];

    // Most recently used first.
    private readonly LinkedList<(Cid Cid, TableTreeSummary Summary)> _order = new();
    private long _blocks;
    private long _nodesRead;

    // Tables whose walk passed max_table_chunks: what a CID names never changes, so the next request
    // is refused without walking again. Bounded; emptied when full.
    private readonly HashSet<Cid> _tooLarge = [];
    private const int TooLargeKept = 4096;

    /// <summary>Manifest blocks (roots and nodes) read from the repository by walks so far: a test's view of what the cache saves.</summary>
    internal long NodesRead => Interlocked.Read(ref _nodesRead);

    /// <summary>The summary of the table <paramref name="cid"/>, from the cache or from one walk of its tree.</summary>
    /// <param name="cid">A table CID (raw or dag-cbor) held here.</param>
    /// <param name="cancellationToken">Ends a walk early (nothing is then kept).</param>
    /// <returns>The summary.</returns>
    /// <exception cref="Content.BlockNotFoundException">The root or a manifest node is not here.</exception>
    /// <exception cref="Content.BlockCorruptedException">A block does not hash to its CID.</exception>
    /// <exception cref="Content.ContentFormatException">Not a table, or a malformed node.</exception>
    /// <exception cref="TableWalkLimitException">The table links more chunks than one request may walk (known from an earlier walk, or found by this one).</exception>
    public TableTreeSummary Get(Cid cid, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_tooLarge.Contains(cid))
            {
                throw new TableWalkLimitException(cid, maxChunks, rows: null);
            }

            if (_byCid.TryGetValue(cid, out var found))
            {
                _order.Remove(found);
                _order.AddFirst(found);
                return found.Value.Summary;
            }
        }

        TableTreeSummary summary;
        try
        {
            // Counted first from the tree's distinct nodes, which takes no memory per chunk: only a
            // table within the limit is walked and listed. A chunk (raw) is a table of one.
            if (cid.Codec == Multicodec.DagCbor)
            {
                TableManifest.Open(cid, fetch).CheckChunks(maxChunks);
            }

            summary = Walk(cid, cancellationToken);
        }
        catch (TableWalkLimitException)
        {
            lock (_lock)
            {
                if (_tooLarge.Count >= TooLargeKept)
                {
                    _tooLarge.Clear();
                }

                _tooLarge.Add(cid);
            }

            throw;
        }

        Keep(cid, summary);
        return summary;
    }

    private TableTreeSummary Walk(Cid cid, CancellationToken cancellationToken)
    {
        // One pass of the table walk: its manifest blocks as it reaches them (the root first, then
        // depth first), its chunks in row order (a repeated chunk each time).
        var walk = new TableTreeWalker(cid);
        var blocks = new List<TableBlock>();
        var chunks = new List<TableTreeEntry>();
        var firstRows = new List<long>();
        var firstChunkPath = new List<string>();
        long firstRow = 0;
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            switch (step)
            {
                case TableWalkStep.NeedBlock:
                    cancellationToken.ThrowIfCancellationRequested();
                    walk.Supply(fetch(walk.Pending!).Span);
                    Interlocked.Increment(ref _nodesRead);
                    break;
                case TableWalkStep.Node:
                    blocks.Add(TableBlock.Reported(walk, step)!);
                    if (chunks.Count == 0 && walk.Block != cid)
                    {
                        // The nodes reached before the first chunk: the path down to it.
                        firstChunkPath.Add(walk.Block!.ToString());
                    }

                    break;
                case TableWalkStep.Chunk:
                    var chunk = walk.Chunk!;
                    blocks.Add(TableBlock.Reported(walk, step)!);
                    chunks.Add(chunk);
                    firstRows.Add(firstRow);
                    firstRow += chunk.Rows;
                    break;
            }
        }

        var table = walk.Table!;
        return new TableTreeSummary(table.Schema, table.Rows, table.Bytes, chunks, [.. firstRows], firstChunkPath, TableBlocks.Of(cid, blocks));
    }

    private void Keep(Cid cid, TableTreeSummary summary)
    {
        long blocks = summary.Blocks.Blocks.Count + summary.Chunks.Count;
        if (blocks > maxBlocks)
        {
            return;
        }

        lock (_lock)
        {
            if (_byCid.ContainsKey(cid))
            {
                return;
            }

            _byCid[cid] = _order.AddFirst((cid, summary));
            _blocks += blocks;
            while (_blocks > maxBlocks && _order.Last is { } oldest)
            {
                _order.RemoveLast();
                _byCid.Remove(oldest.Value.Cid);
                _blocks -= oldest.Value.Summary.Blocks.Blocks.Count + oldest.Value.Summary.Chunks.Count;
            }
        }
    }
}
