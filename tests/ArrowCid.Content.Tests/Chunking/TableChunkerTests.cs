using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using Xunit.Abstractions;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// The chunker with the rule's own sizes on the mixed table of the test vectors (about 27 MB,
/// some 90 chunks): batching invariance, chunk sizes, edit locality (measured and bounded),
/// single rows larger than a block, dictionaries that outgrow their index type when batches meet,
/// and the empty table.
/// </summary>
public class TableChunkerTests(ITestOutputHelper output)
{
    private const int Rows = 600_000;

    private static readonly Lazy<RecordBatch> Table = new(() => MixedTable.Build(11, 0, Rows));

    private static readonly Lazy<ChunkedTable> Baseline = new(() => Chunked.Table(MixedTable.Schema, [Table.Value]));

    [Fact]
    public void The_same_rows_give_the_same_chunks_in_1_7_or_1000_batches_or_random_splits()
    {
        var table = Table.Value;
        var expected = Baseline.Value;
        Assert.True(expected.Chunks.Count > 50, $"{expected.Chunks.Count} chunks");
        var r = new Random(3);
        foreach (var cuts in new[] { Chunked.EvenCuts(Rows, 7), Chunked.EvenCuts(Rows, 1000), Chunked.RandomCuts(r, Rows, 40) })
        {
            var chunked = Chunked.Table(MixedTable.Schema, Chunked.Split(table, cuts));
            Assert.Equal(expected.Boundaries, chunked.Boundaries);
            Assert.Equal(expected.Root, chunked.Root);
        }

        Assert.Equal(expected.Root, Chunked.Table(MixedTable.Schema, MixedTable.Batches(11, 0, Rows, 32_768)).Root);
        Chunked.AssertSameRows(table, expected);
    }

    [Fact]
    public void Chunks_are_blocks_of_at_most_1_MiB_mostly_within_twice_the_target()
    {
        var sizes = Baseline.Value.Chunks.Select(c => c.EncodedLength).ToList();
        Assert.All(sizes, size => Assert.InRange(size, 1, ChunkingRule.MaxBlockBytes));
        long target = ChunkingRule.TargetBits / 8;
        // The last chunk is whatever is left; the others are cut by the rule.
        double within = sizes.SkipLast(1).Count(s => s >= target / 2 && s <= target * 2) / (double)(sizes.Count - 1);
        output.WriteLine($"{sizes.Count} chunks, {within:P1} within [target/2, 2·target], median {sizes.Order().ElementAt(sizes.Count / 2)}");
        Assert.True(within >= 0.85, $"only {within:P1} of the chunks are within twice the target");
    }

    [Theory]
    [InlineData("insert", 1_000)]
    [InlineData("delete", 1_000)]
    [InlineData("update", 1_000)]
    [InlineData("insert", 1)]
    [InlineData("delete", 1)]
    [InlineData("update", 1)]
    [InlineData("append", 6_000)]
    public void An_edit_changes_only_the_chunks_around_it_and_the_manifest_path(string edit, int k)
    {
        var table = Table.Value;
        var before = Baseline.Value;
        int at = Rows / 2;
        var fresh = MixedTable.Build(12, 0, k);
        IEnumerable<RecordBatch> edited = edit switch
        {
            "insert" => [table.Slice(0, at), fresh, table.Slice(at, Rows - at)],
            "delete" => [table.Slice(0, at), table.Slice(at + k, Rows - at - k)],
            "update" => [table.Slice(0, at), fresh, table.Slice(at + k, Rows - at - k)],
            _ => [table, fresh],
        };
        var after = Chunked.Table(MixedTable.Schema, edited);
        Chunked.AssertSameRows(Concat([.. edited]), after);
        var oldChunks = before.Entries.Select(e => e.Cid).ToHashSet();
        var oldNodes = before.Tree.Blocks.Select(b => b.Cid).ToHashSet();
        int newChunks = after.Entries.Count(e => !oldChunks.Contains(e.Cid));
        int newNodes = after.Tree.Blocks.Count(b => !oldNodes.Contains(b.Cid));
        // Chunks that hold edited rows must be new; count those the edit touched beyond them.
        long rowsTouched = edit == "delete" ? 0 : k;
        int holding = after.Chunks.Count(c => Overlaps(c, at, rowsTouched));
        output.WriteLine($"{edit} {k}: {newChunks} new chunks of {after.Chunks.Count} ({holding} hold edited rows), {newNodes} new nodes of {after.Tree.Blocks.Count}");
        Assert.InRange(newChunks - holding, 0, 3);
        Assert.InRange(newNodes, 1, 3);
    }

    private static bool Overlaps(TableChunk chunk, long from, long count) =>
        count > 0 && chunk.FirstRow < from + count && from < chunk.FirstRow + chunk.Rows;

    private static RecordBatch Concat(IReadOnlyList<RecordBatch> batches) =>
        new(MixedTable.Schema, batches.Sum(b => b.Length), Enumerable.Range(0, MixedTable.Schema.Fields.Length)
            .Select(c => ArrayConcatenation.Concatenate([.. batches.Select(b => b.Columns[c])])));

    [Fact]
    public void A_row_larger_than_a_block_is_a_chunk_of_its_own()
    {
        var schema = new Schema([new Field("id", ArrowType.Int64, nullable: false), new Field("blob", ArrowType.Binary)]);
        var builder = new RecordBatchBuilder(schema);
        var blob = new byte[3 << 20];
        new Random(1).NextBytes(blob);
        for (int i = 0; i < 200_000; i++)
        {
            builder.AppendRow((long)i, i == 100_000 ? blob : BitConverter.GetBytes(i * 7919L));
        }

        var table = builder.Build();
        var whole = Chunked.Table(schema, [table]);
        var huge = Assert.Single(whole.Chunks, c => c.EncodedLength > ChunkingRule.MaxBlockBytes);
        Assert.Equal(1, huge.Rows);
        Assert.Equal(100_000, huge.FirstRow);
        var split = Chunked.Table(schema, Chunked.Split(table, [99_999, 100_001, 150_000]));
        Assert.Equal(whole.Entries, split.Entries);
        var tree = TableManifest.Open(whole.Root, cid => whole.Tree.Blocks.Single(b => b.Cid == cid).Bytes);
        Assert.Equal(whole.Entries, tree.Chunks());
    }

    [Fact]
    public void Rows_whose_dictionary_values_outgrow_the_index_type_together_are_cut_apart()
    {
        // int8 indices hold 128 values; the two batches use 100 values each, 200 together.
        var schema = new Schema([new Field("word", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8))]);
        RecordBatch Words(int first, int rows)
        {
            var builder = new RecordBatchBuilder(schema);
            for (int i = 0; i < rows; i++)
            {
                builder.AppendRow($"word {first + (i % 100)}");
            }

            return builder.Build();
        }

        var small = Chunked.Small with { MaxNominalBits = 8 * 64 * 1024 };
        var a = Words(0, 3000);
        var b = Words(100, 3000);
        var pieces = Chunked.Table(schema, [a, b], small);
        Assert.All(pieces.Chunks, c => Assert.True(c.Batch.Columns[0].Dictionary!.Length <= 128));
        // The chunk where the batches meet was cut at the row that would have been value 129.
        Assert.Contains(pieces.Chunks, c => c.Batch.Columns[0].Dictionary!.Length == 128);
        Assert.Equal(6000, pieces.Chunks.Sum(c => c.Rows));
        var resplit = Chunked.Table(schema, [a.Slice(0, 2000), a.Slice(2000, 1000), b.Slice(0, 17), b.Slice(17, 2983)], small);
        Assert.Equal(pieces.Entries, resplit.Entries);
    }

    [Fact]
    public void A_table_without_rows_is_one_chunk_of_zero_rows()
    {
        var expected = Cid.ForRaw(CanonicalEncoder.Encode(MixedTable.Build(1, 0, 0)));
        Assert.Equal(expected, Chunked.Table(MixedTable.Schema, []).Root);
        Assert.Equal(expected, Chunked.Table(MixedTable.Schema, [MixedTable.Build(1, 5, 0), MixedTable.Build(2, 0, 0)]).Root);
    }

    [Fact]
    public void Empty_batches_change_nothing()
    {
        var table = MixedTable.Build(5, 0, 30_000);
        var plain = Chunked.Table(MixedTable.Schema, [table], Chunked.Small);
        var padded = Chunked.Table(MixedTable.Schema, [table.Slice(0, 0), table.Slice(0, 10_000), table.Slice(10_000, 0), table.Slice(10_000, 20_000)], Chunked.Small);
        Assert.Equal(plain.Entries, padded.Entries);
    }

    [Fact]
    public void A_batch_of_another_schema_is_refused()
    {
        using var chunker = new TableChunker(MixedTable.Schema);
        var other = new Schema([new Field("x", ArrowType.Int32)]);
        Assert.Throws<ArgumentException>(() => chunker.Add(new RecordBatchBuilder(other).Build()));
        var reordered = new Schema(MixedTable.Schema.Fields, [KeyValuePair.Create("table", "mixed")]);
        Assert.Empty(chunker.Add(new RecordBatch(reordered, 0, MixedTable.Build(1, 0, 0).Columns)));
    }

    [Fact]
    public void The_chunker_holds_a_batch_until_its_last_row_is_in_a_chunk()
    {
        using var chunker = new TableChunker(MixedTable.Schema);
        var first = MixedTable.Build(1, 0, 100);
        chunker.Add(first);
        Assert.True(chunker.Holds(first));
        var chunks = chunker.Finish();
        Assert.False(chunker.Holds(first));
        Assert.Equal(100, Assert.Single(chunks).Rows);
        Assert.Throws<InvalidOperationException>(() => chunker.Add(first));
    }

    [Fact]
    public void Prepared_ahead_a_batch_is_held_until_its_rows_are_in_chunks_and_its_chunks_come_one_batch_later()
    {
        using var chunker = new TableChunker(MixedTable.Schema, TableChunkerMode.PrepareAhead);
        var first = MixedTable.Build(1, 0, 100);
        var second = MixedTable.Build(1, 100, 100);
        Assert.Empty(chunker.Add(first));
        Assert.True(chunker.Holds(first));
        Assert.Empty(chunker.Add(second));
        Assert.True(chunker.Holds(first) && chunker.Holds(second));
        Assert.Equal(200, chunker.RowsAdded);
        var chunk = Assert.Single(chunker.Finish());
        Assert.Equal(200, chunk.Rows);
        Assert.False(chunker.Holds(first) || chunker.Holds(second));
        Assert.Throws<InvalidOperationException>(() => chunker.Add(first));
    }

    [Fact]
    public void Prepared_ahead_a_batch_that_cannot_be_prepared_fails_the_next_call_and_every_one_after()
    {
        using var chunker = new TableChunker(MixedTable.Schema, TableChunkerMode.PrepareAhead);
        var good = MixedTable.Build(1, 0, 100);
        var columns = good.Columns.ToArray();
        // A dictionary index past the end of its dictionary: the normaliser refuses the batch.
        var bad = new byte[100 * 4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(40), 1000);
        columns[5] = new ArrayData(columns[5].Type, 100, 0, 0, [ReadOnlyMemory<byte>.Empty, bad], [], columns[5].Dictionary);
        Assert.Empty(chunker.Add(new RecordBatch(MixedTable.Schema, 100, columns)));
        var failure = Record.Exception(() => chunker.Add(good));
        Assert.NotNull(failure);
        Assert.IsNotType<InvalidOperationException>(failure);
        var after = Assert.Throws<InvalidOperationException>(() => chunker.Finish());
        Assert.Same(failure, after.InnerException);
    }

    [Fact]
    public void An_unknown_mode_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TableChunker(MixedTable.Schema, (TableChunkerMode)7));
}
