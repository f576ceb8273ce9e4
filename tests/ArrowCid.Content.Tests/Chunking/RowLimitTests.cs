using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>
/// Rows of no nominal size are cut by the row limit (issue 65): a few hundred bytes of Arrow stream
/// can say "2^31 − 1 Null rows", and that must make chunks of at most <see cref="ChunkingRule.MaxRows"/>
/// rows that add up to every row, in memory bounded by a chunk, not by the rows claimed.
/// </summary>
public class RowLimitTests
{
    private static readonly Schema NullColumn = new([new Field("n", ArrowType.Null)]);

    [Fact]
    public void A_batch_of_the_most_rows_a_batch_may_have_is_every_row_in_chunks_of_at_most_the_limit()
    {
        var batch = new RecordBatch(NullColumn, int.MaxValue, [new ArrayData(ArrowType.Null, int.MaxValue, int.MaxValue, 0, [])]);
        using var chunker = new TableChunker(NullColumn);
        long rows = 0;
        int chunks = 0;
        foreach (var chunk in chunker.Add(batch).Concat(chunker.Finish()))
        {
            Assert.Equal(rows, chunk.FirstRow);
            Assert.InRange(chunk.Rows, 1, ChunkingRule.MaxRows);
            rows += chunk.Rows;
            chunks++;
        }

        Assert.Equal(int.MaxValue, rows);
        Assert.Equal((int.MaxValue / ChunkingRule.MaxRows) + 1, chunks);
    }

    [Fact]
    public void A_chunk_of_the_most_rows_holds_the_hashes_of_a_bounded_number_of_them()
    {
        // A chunk of 2^23 Null rows is cut only at its last row: the hashes and sizes of the rows
        // before it (16 bytes a row, 128 MiB) were all held until then; now at most the kept rows
        // and one slice are.
        using var chunker = new TableChunker(NullColumn);
        long rows = 0, peak = 0;
        var chunks = new List<TableChunk>();
        while (rows < ChunkingRule.MaxRows + 5)
        {
            var batch = new RecordBatch(NullColumn, TableChunker.PrepareSliceRows, [new ArrayData(ArrowType.Null, TableChunker.PrepareSliceRows, TableChunker.PrepareSliceRows, 0, [])]);
            chunks.AddRange(chunker.Add(batch));
            rows += batch.Length;
            peak = Math.Max(peak, chunker.RowsHashedHeld);
        }

        chunks.AddRange(chunker.Finish());
        Assert.InRange(peak, 1, TableChunker.DefaultRowArraysKept + TableChunker.PrepareSliceRows);
        Assert.Equal(ChunkingRule.MaxRows, chunks[0].Rows);
        Assert.Equal(rows, chunks.Sum(c => (long)c.Rows));
    }

    [Fact]
    public void The_limit_cuts_whatever_the_batching_and_rows_of_a_bit_are_cut_by_size_first()
    {
        // One bit a row (a Boolean column): the size limit, 7,864,320 bits, comes before the row limit.
        Assert.True(ChunkingRule.MaxNominalBits < ChunkingRule.MaxRows);
        var a = ChunkingVectorTests.NullTableVector(ChunkingRule.MaxRows + 3, batchRows: 1 << 22);
        var b = ChunkingVectorTests.NullTableVector(ChunkingRule.MaxRows + 3, batchRows: 1_000_003);
        Assert.Equal(a["root"]!.ToString(), b["root"]!.ToString());
    }
}
