using System.Collections.Concurrent;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
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

    [Theory]
    [InlineData(427_380)] // one batch: prepared in slices
    [InlineData(50_000)]
    [InlineData(777)]
    public void AddAll_on_a_pipelined_sink_gives_the_chunks_nodes_and_root_of_adding_each_batch(int batchRows)
    {
        var batches = MixedTable.Batches(42, 0, 427_380, batchRows).ToList();
        var expected = Chunked.Table(MixedTable.Schema, MixedTable.Batches(42, 0, 427_380, 50_000).ToList());
        var sink = new PipelinedSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);

        writer.AddAll(batches);
        var tree = writer.Finish();

        Assert.Equal(expected.Root, tree.Root);
        Assert.Equal(expected.Entries, sink.Committed);
        Assert.Equal(expected.Entries, writer.Chunks);
        Assert.Equal(expected.Tree.Blocks.Select(b => b.Cid).Where(c => c != tree.Root), sink.Nodes.Select(n => n.Cid));
        Assert.Empty(sink.Open);
    }

    [Fact]
    public void AddAll_keeps_a_batch_memory_alive_through_its_owner_after_the_producer_disposes_it()
    {
        // Each batch's memory is wiped when the last reference on its owner goes; the producer
        // disposes each batch as soon as it has yielded the next, as the CLI's readers do.
        var plain = MixedTable.Batches(7, 0, 300_000, 20_000).ToList();
        var expected = Chunked.Table(MixedTable.Schema, plain);
        var sink = new PipelinedSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);

        writer.AddAll(DisposingEach(plain.Select(WipedWhenReleased)));
        var tree = writer.Finish();

        Assert.Equal(expected.Root, tree.Root);
        Assert.Equal(expected.Entries, writer.Chunks);
    }

    [Fact]
    public void AddAll_a_batch_that_cannot_be_normalised_throws_as_Add_does_and_ends_the_writer()
    {
        var good = MixedTable.Batches(1, 0, 200_000, 20_000).ToList();
        var bad = WithDictionaryIndexPastTheEnd(MixedTable.Build(1, 200_000, 100));
        using var inline = new ChunkedTableWriter(MixedTable.Schema, new PipelinedSink());
        var expected = Record.Exception(() => inline.Add(bad));
        Assert.NotNull(expected);

        var sink = new PipelinedSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);
        var failure = Record.Exception(() => writer.AddAll([.. good, bad, .. good]));

        Assert.NotNull(failure);
        Assert.IsType(expected.GetType(), failure);
        Assert.Empty(sink.Open);
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
    }

    [Fact]
    public void AddAll_a_batch_of_another_schema_is_refused_after_the_batches_before_it()
    {
        var batches = MixedTable.Batches(1, 0, 100_000, 20_000).ToList();
        var other = new RecordBatch(
            new ArrowCid.Arrow.Types.Schema([new ArrowCid.Arrow.Types.Field("x", ArrowCid.Arrow.Types.ArrowType.Int64, nullable: false)], []),
            0,
            [new ArrayData(ArrowCid.Arrow.Types.ArrowType.Int64, 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty])]);
        var expected = Chunked.Table(MixedTable.Schema, batches);
        using var writer = new ChunkedTableWriter(MixedTable.Schema, new PipelinedSink());

        Assert.Throws<ArgumentException>(() => writer.AddAll([.. batches, other]));

        Assert.Equal(expected.Root, writer.Finish().Root);
    }

    [Theory]
    [InlineData(0, 1)] // no batch: the empty table
    [InlineData(50, 1)] // one small batch: chunked inline
    [InlineData(50, 3)] // several small batches: the pipeline
    [InlineData(ChunkedTableWriter.InlineRows + 1, 1)] // one batch too large to chunk inline
    [InlineData(300_000, 1)] // one batch of many chunks
    public void AddAllAndFinish_gives_the_tree_of_AddAll_then_Finish(int rows, int batchCount)
    {
        List<RecordBatch> batches = rows == 0 ? [] : MixedTable.Batches(5, 0, rows * batchCount, rows).ToList();
        using var expectedWriter = new ChunkedTableWriter(MixedTable.Schema, new PipelinedSink());
        expectedWriter.AddAll(batches);
        var expected = expectedWriter.Finish();
        var sink = new PipelinedSink();
        using var writer = new ChunkedTableWriter(MixedTable.Schema, sink);

        var tree = writer.AddAllAndFinish(batches);

        Assert.Equal(expected.Root, tree.Root);
        Assert.Equal(expectedWriter.Chunks, writer.Chunks);
        Assert.Equal(expected.Rows, tree.Rows);
        Assert.Empty(sink.Open);
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
    }

    [Fact]
    public void AddAllAndFinish_keeps_a_lone_batch_alive_through_its_owner_after_the_producer_disposes_it()
    {
        // The lone small batch is chunked without copying its rows, after the producer (asked for
        // the next batch) has disposed it: its owner must keep the memory from being wiped.
        var plain = MixedTable.Build(9, 0, 40);
        var expected = Chunked.Table(MixedTable.Schema, [plain]);
        using var writer = new ChunkedTableWriter(MixedTable.Schema, new PipelinedSink());

        var tree = writer.AddAllAndFinish(DisposingEach([WipedWhenReleased(plain)]));

        Assert.Equal(expected.Root, tree.Root);
    }

    [Fact]
    public void AddAllAndFinish_refuses_a_batch_of_another_schema_and_closes_the_writer()
    {
        var other = new RecordBatch(
            new ArrowCid.Arrow.Types.Schema([new ArrowCid.Arrow.Types.Field("x", ArrowCid.Arrow.Types.ArrowType.Int64, nullable: false)], []),
            0,
            [new ArrayData(ArrowCid.Arrow.Types.ArrowType.Int64, 0, 0, 0, [ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty])]);
        using var writer = new ChunkedTableWriter(MixedTable.Schema, new PipelinedSink());

        Assert.Throws<ArgumentException>(() => writer.AddAllAndFinish([other]));

        Assert.Throws<InvalidOperationException>(() => writer.Finish());
    }

    private static RecordBatch WithDictionaryIndexPastTheEnd(RecordBatch batch)
    {
        var columns = batch.Columns.ToArray();
        var indices = new byte[batch.Length * 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(indices.AsSpan(40), 1000);
        columns[5] = new ArrayData(columns[5].Type, batch.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, indices], [], columns[5].Dictionary);
        return new RecordBatch(batch.Schema, batch.Length, columns);
    }

    /// <summary>A copy of the batch over memory that is overwritten when the last reference on its owner goes.</summary>
    private static RecordBatch WipedWhenReleased(RecordBatch batch)
    {
        var arrays = new List<byte[]>();
        ArrayData Copy(ArrayData a)
        {
            var buffers = a.Buffers.Select(b =>
            {
                var copy = b.ToArray();
                arrays.Add(copy);
                return (ReadOnlyMemory<byte>)copy;
            }).ToList();
            return new ArrayData(a.Type, a.Length, a.NullCount, a.Offset, buffers, [.. a.Children.Select(Copy)], a.Dictionary is null ? null : Copy(a.Dictionary));
        }

        var columns = batch.Columns.Select(Copy).ToList();
        var owner = new SharedLease(new Wipe(arrays));
        var leased = new RecordBatch(batch.Schema, batch.Length, columns, owner);
        owner.Release();
        return leased;
    }

    private static IEnumerable<RecordBatch> DisposingEach(IEnumerable<RecordBatch> batches)
    {
        foreach (var batch in batches)
        {
            using (batch)
            {
                yield return batch;
            }
        }
    }

    private sealed class Wipe(List<byte[]> arrays) : IDisposable
    {
        public void Dispose() => arrays.ForEach(a => a.AsSpan().Fill(0xA5));
    }

    /// <summary>Names chunks on the pipeline's workers and records what is committed, in order, and what was written and never committed or disposed.</summary>
    private sealed class PipelinedSink : IPipelinedChunkSink
    {
        public ConcurrentDictionary<PendingChunk, bool> Open { get; } = new();

        public List<TableTreeEntry> Committed { get; } = [];

        public List<TableTreeBlock> Nodes { get; } = [];

        public TableTreeEntry StoreChunk(TableChunk chunk) => CommitChunk(WriteChunk(chunk));

        public PendingChunk WriteChunk(TableChunk chunk)
        {
            var pending = new PendingChunk(chunk.ToEntry(), new Closing(this));
            ((Closing)pending.State!).Chunk = pending;
            Open[pending] = true;
            return pending;
        }

        public TableTreeEntry CommitChunk(PendingChunk written)
        {
            written.Dispose();
            Committed.Add(written.Entry);
            return written.Entry;
        }

        public void StoreNode(TableTreeBlock node) => Nodes.Add(node);

        private sealed class Closing(PipelinedSink sink) : IDisposable
        {
            public PendingChunk? Chunk { get; set; }

            public void Dispose() => sink.Open.TryRemove(Chunk!, out _);
        }
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
