using System.Text;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The one table walk: depth first over any block source, asking for each node as it reaches it,
/// every block once or every link, checking what it is handed.
/// </summary>
public class TableTreeWalkerTests
{
    private static readonly Schema Schema = new([new Field("x", ArrowType.Int64)]);

    private static TableTreeEntry Chunk(int i) =>
        new(Cid.ForRaw(Encoding.UTF8.GetBytes($"walker chunk {i}")), 10 + (i % 5), 100_000 + i);

    // Every step of a walk as text ("node CID", "chunk CID"), the blocks asked for supplied from the tree.
    private static (List<string> Steps, List<Cid> Asked) Walk(TableTreeResult tree, bool eachBlockOnce)
    {
        var blocks = tree.Blocks.ToDictionary(b => b.Cid, b => b.Bytes);
        var walk = new TableTreeWalker(tree.Root, eachBlockOnce);
        var steps = new List<string>();
        var asked = new List<Cid>();
        for (var step = walk.Next(); step != TableWalkStep.End; step = walk.Next())
        {
            switch (step)
            {
                case TableWalkStep.NeedBlock:
                    asked.Add(walk.Pending!);
                    walk.Supply(blocks[walk.Pending!]);
                    break;
                case TableWalkStep.Node:
                    steps.Add($"node {walk.Block} level {walk.Level} of {walk.BlockBytes} bytes");
                    break;
                case TableWalkStep.Chunk:
                    steps.Add($"chunk {walk.Chunk!.Cid}");
                    break;
            }
        }

        return (steps, asked);
    }

    // The expected pre-order, from the nodes themselves: a node, then what it links.
    private static List<string> PreOrder(TableTreeResult tree)
    {
        var nodes = tree.Blocks.ToDictionary(b => b.Cid, b => b);
        var order = new List<string>();
        void Visit(Cid cid, bool root)
        {
            var block = nodes[cid];
            var node = TableTreeNode.Decode(block.Bytes, cid, root);
            order.Add($"node {cid} level {node.Level} of {block.Bytes.Length} bytes");
            foreach (var entry in node.Entries)
            {
                if (node.Level == 0)
                {
                    order.Add($"chunk {entry.Cid}");
                }
                else
                {
                    Visit(entry.Cid, root: false);
                }
            }
        }

        Visit(tree.Root, root: true);
        return order;
    }

    [Fact]
    public void A_tree_is_walked_depth_first_asking_for_each_node_as_it_is_reached()
    {
        var chunks = Enumerable.Range(0, 3000).Select(Chunk).ToList();
        var tree = TableTreeBuilder.Build(Schema, chunks);

        var (steps, asked) = Walk(tree, eachBlockOnce: false);

        Assert.Equal(PreOrder(tree), steps);
        Assert.Equal(chunks.Select(c => $"chunk {c.Cid}"), steps.Where(s => s.StartsWith("chunk", StringComparison.Ordinal)));
        // The root first, then each node just before the walk reports it: never one ahead.
        Assert.Equal(tree.Root, asked[0]);
        Assert.Equal(steps.Where(s => s.StartsWith("node", StringComparison.Ordinal)).Select(s => s.Split(' ')[1]), asked.Select(c => c.ToString()));
        Assert.True(asked.Count > 2, $"{asked.Count} nodes: the tree should have more than one level");
    }

    [Fact]
    public void A_repeated_chunk_is_reported_each_time_or_once()
    {
        var chunks = Enumerable.Range(0, 200).Select(i => Chunk(i % 50)).ToList();
        var tree = TableTreeBuilder.Build(Schema, chunks);

        var every = Walk(tree, eachBlockOnce: false).Steps.Count(s => s.StartsWith("chunk", StringComparison.Ordinal));
        var once = Walk(tree, eachBlockOnce: true).Steps.Where(s => s.StartsWith("chunk", StringComparison.Ordinal)).ToList();

        Assert.Equal(200, every);
        Assert.Equal(50, once.Count);
        Assert.Equal(once.Count, once.Distinct().Count());
    }

    [Fact]
    public void A_node_that_disagrees_with_its_parent_is_refused_when_handed_in()
    {
        var tree = TableTreeBuilder.Build(Schema, Enumerable.Range(0, 3000).Select(Chunk).ToList());
        var other = TableTreeBuilder.Build(Schema, Enumerable.Range(5000, 3000).Select(Chunk).ToList());
        var blocks = tree.Blocks.ToDictionary(b => b.Cid, b => b.Bytes);
        var walk = new TableTreeWalker(tree.Root);
        Assert.Equal(TableWalkStep.NeedBlock, walk.Next());
        walk.Supply(blocks[tree.Root]);
        Assert.Equal(TableWalkStep.Node, walk.Next());
        Assert.Equal(TableWalkStep.NeedBlock, walk.Next());

        // Another tree's node under this one's CID: its hash does not match.
        var foreign = other.Blocks.First(b => b.Cid != other.Root);
        Assert.Throws<ContentFormatException>(() => walk.Supply(foreign.Bytes));
    }

    [Fact]
    public void A_raw_root_is_the_table_s_one_chunk_known_by_its_bytes_or_its_length()
    {
        byte[] bytes = Encoding.UTF8.GetBytes("not an arrow chunk, but a raw block");
        var cid = Cid.ForRaw(bytes);
        var walk = new TableTreeWalker(cid, eachBlockOnce: true);
        Assert.Equal(TableWalkStep.NeedBlock, walk.Next());
        Assert.Equal(cid, walk.Pending);

        walk.SupplyLength(bytes.Length);

        Assert.Equal(TableWalkStep.Chunk, walk.Next());
        Assert.Equal(new TableTreeEntry(cid, 0, bytes.Length), walk.Chunk);
        Assert.Equal(TableWalkStep.End, walk.Next());
        Assert.Throws<ArrowCid.Content.BlockCorruptedException>(() =>
        {
            var corrupt = new TableTreeWalker(cid);
            corrupt.Next();
            corrupt.Supply(Encoding.UTF8.GetBytes("other bytes"));
        });
    }

    [Fact]
    public void Asking_for_the_next_step_before_handing_in_a_block_is_refused()
    {
        var tree = TableTreeBuilder.Build(Schema, Enumerable.Range(0, 10).Select(Chunk).ToList());
        var walk = new TableTreeWalker(tree.Root);
        Assert.Equal(TableWalkStep.NeedBlock, walk.Next());

        Assert.Throws<InvalidOperationException>(() => walk.Next());
        Assert.Throws<InvalidOperationException>(() => walk.SupplyLength(5));
    }

    [Fact]
    public void A_cid_of_no_table_codec_is_refused()
    {
        var dagPb = Cid.CreateV1(Multicodec.DagPb, Multihash.Sha256("x"u8));
        Assert.Throws<ContentFormatException>(() => new TableTreeWalker(dagPb));
    }

    [Fact]
    public void A_walk_stops_past_its_chunk_limit_and_a_count_reads_each_repeated_node_once()
    {
        // A root linking one level-1 node 4,096 times, which links one level-0 node 4,096 times,
        // which links one chunk 4,096 times: 68,719,476,736 chunks in three node blocks (issue 65).
        const int FanOut = TableTreeNode.MaxEntries;
        var blocks = new Dictionary<Cid, byte[]>();
        var entry = Chunk(1);
        for (int level = 0; level < 2; level++)
        {
            var node = TableTreeNode.Inner(level, Enumerable.Repeat(entry, FanOut).ToList()).Encode();
            blocks[node.Cid] = node.Bytes;
            entry = new TableTreeEntry(node.Cid, entry.Rows * FanOut, entry.Bytes * FanOut);
        }

        var root = TableTreeNode.Root(2, Enumerable.Repeat(entry, FanOut).ToList(), ArrowCid.Content.Datasets.DatasetSchemaMessage.Encode(Schema)).Encode();
        blocks[root.Cid] = root.Bytes;
        var reads = new List<Cid>();
        var table = TableManifest.Open(root.Cid, cid =>
        {
            reads.Add(cid);
            return blocks[cid];
        });

        Assert.True(table.CountChunks(1_000_000) > 1_000_000);
        Assert.Equal(3, reads.Count);
        Assert.Equal((long)FanOut * FanOut * FanOut, table.CountChunks(long.MaxValue));

        var limited = Assert.Throws<TableWalkLimitException>(() => table.LimitChunks(5_000).Chunks().Count());
        Assert.Equal(5_000, limited.MaxChunks);
        Assert.Contains("max_table_chunks", limited.Message, StringComparison.Ordinal);

        // An ordinary tree counts what its walk lists.
        var chunks = Enumerable.Range(0, 20_000).Select(Chunk).ToList();
        var tree = TableTreeBuilder.Build(Schema, chunks);
        var ordinary = tree.Blocks.ToDictionary(b => b.Cid, b => b.Bytes);
        Assert.Equal(chunks.Count, TableManifest.Open(tree.Root, cid => ordinary[cid]).CountChunks(long.MaxValue));
    }
}
