using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>The one write sequence of a chunked table: chunks and nodes handed to the sink in an order a store can keep (children before parents), the root left to the caller.</summary>
public class ChunkedTableWriterTests
{
    [Fact]
    public void Chunks_then_their_nodes_reach_the_sink_children_first_and_the_tree_is_the_chunkers()
    {
        // The first 427,380 rows of seed 42: 66 chunks under a root of level 1, so there are nodes below the root.
        var batches = MixedTable.Batches(42, 0, 427_380, 50_000).ToList();
        var expected = Chunked.Table(MixedTable.Schema, batches);
        var sink = new RecordingSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);
        foreach (var batch in batches)
        {
            writer.Add(batch);
        }

        var tree = writer.Finish();

        Assert.Equal(expected.Root, tree.Root);
        Assert.Equal(expected.Entries, sink.Chunks);
        Assert.Equal(expected.Entries, writer.Chunks);
        Assert.NotNull(tree.RootBlock);
        Assert.DoesNotContain(tree.Root, sink.Nodes.Select(n => n.Cid));
        Assert.Equal(expected.Tree.Blocks.Select(b => b.Cid).Where(c => c != tree.Root), sink.Nodes.Select(n => n.Cid));
        Assert.NotEmpty(sink.Nodes);

        // Every link of every node stored was stored before it.
        var seen = sink.Chunks.Select(c => c.Cid).ToHashSet();
        foreach (var node in sink.Nodes)
        {
            var decoded = TableTreeNode.Decode(node.Bytes, node.Cid, root: false);
            Assert.All(decoded.Entries, e => Assert.Contains(e.Cid, seen));
            seen.Add(node.Cid);
        }

        Assert.Throws<InvalidOperationException>(() => writer.Add(batches[0]));
    }

    [Fact]
    public void A_table_of_one_chunk_leaves_no_root_block_and_stores_no_node()
    {
        var sink = new RecordingSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);
        writer.Add(MixedTable.Build(3, 0, 50));

        var tree = writer.Finish();

        Assert.Null(tree.RootBlock);
        Assert.Equal(Assert.Single(sink.Chunks).Cid, tree.Root);
        Assert.Empty(sink.Nodes);
    }

    private sealed class RecordingSink : IChunkedTableSink
    {
        public List<TableTreeEntry> Chunks { get; } = [];

        public List<TableTreeBlock> Nodes { get; } = [];

        public TableTreeEntry StoreChunk(TableChunk chunk)
        {
            var entry = chunk.ToEntry();
            Chunks.Add(entry);
            return entry;
        }

        public void StoreNode(TableTreeBlock node)
        {
            Assert.True(node.Bytes.Length <= ChunkingRule.MaxBlockBytes);
            Assert.Equal(Cid.ForDagCbor(node.Bytes), node.Cid);
            Nodes.Add(node);
        }
    }
}
