using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Chunking;

/// <summary>A table as the chunker cut it: each chunk's CID, rows and block length, the chunk batches and the manifest tree over them.</summary>
internal sealed record ChunkedTable(IReadOnlyList<TableChunk> Chunks, IReadOnlyList<TableTreeEntry> Entries, TableTreeResult Tree)
{
    public Cid Root => Tree.Root;

    /// <summary>Row index at which each chunk starts.</summary>
    public long[] Boundaries => [.. Chunks.Select(c => c.FirstRow)];

    /// <summary>Every block of the table: chunks and manifest nodes, by CID, with their lengths.</summary>
    public Dictionary<Cid, long> Blocks() => Tree.BlockSizes(Entries);
}

/// <summary>Runs the chunker and the tree builder over batches, checking what every chunk must satisfy on the way.</summary>
internal static class Chunked
{
    /// <summary>Small sizes (2 KiB target) so small random tables have many chunks.</summary>
    public static readonly ChunkingParameters Small = new(TargetBits: 8 * 2048, MinBits: 8 * 512, MaxNominalBits: 8 * 7 * 1024, MaxBlockBytes: 1 << 16);

    /// <summary>Small sizes with a block limit that is often reached, so chunks are shortened to fit.</summary>
    public static readonly ChunkingParameters Tight = Small with { MaxBlockBytes = 3 * 1024 };

    public static ChunkedTable Table(Schema schema, IEnumerable<RecordBatch> batches, ChunkingParameters? parameters = null, TableChunkerMode mode = TableChunkerMode.Inline, int rowArraysKept = TableChunker.DefaultRowArraysKept)
    {
        var p = parameters ?? ChunkingParameters.Default;
        using var chunker = new TableChunker(schema, p, mode) { RowArraysKept = rowArraysKept };
        var chunks = new List<TableChunk>();
        foreach (var batch in batches)
        {
            chunks.AddRange(chunker.Add(batch));
        }

        chunks.AddRange(chunker.Finish());
        var entries = new List<TableTreeEntry>();
        long row = 0;
        foreach (var chunk in chunks)
        {
            Assert.Equal(row, chunk.FirstRow);
            Assert.True(CanonicalArrays.IsCanonical(chunk.Batch), $"chunk at row {row} is not canonical");
            var (cid, length) = CanonicalEncoder.ComputeCidAndLength(chunk.Batch);
            Assert.Equal(length, chunk.EncodedLength);
            Assert.Equal(cid, chunk.ComputeCid());
            Assert.True(length <= p.MaxBlockBytes || chunk.Rows == 1, $"chunk at row {row}: {chunk.Rows} rows in {length} bytes, over {p.MaxBlockBytes}");
            entries.Add(new TableTreeEntry(cid, chunk.Rows, length));
            row += chunk.Rows;
        }

        Assert.Equal(chunker.RowsAdded, row);
        return new ChunkedTable(chunks, entries, TableTreeBuilder.Build(chunker.Schema, entries));
    }

    /// <summary>The batch cut at the given row positions (sorted, in range).</summary>
    public static List<RecordBatch> Split(RecordBatch batch, IEnumerable<int> cuts)
    {
        var pieces = new List<RecordBatch>();
        int from = 0;
        foreach (int cut in cuts.Append(batch.Length))
        {
            pieces.Add(batch.Slice(from, cut - from));
            from = cut;
        }

        return pieces;
    }

    /// <summary>Random cut positions: <paramref name="count"/> of them (repeats allowed, so some pieces are empty).</summary>
    public static int[] RandomCuts(Random r, int rows, int count) => [.. Enumerable.Range(0, count).Select(_ => r.Next(rows + 1)).Order()];

    /// <summary>Cuts into <paramref name="pieces"/> pieces of (nearly) equal length.</summary>
    public static int[] EvenCuts(int rows, int pieces) => [.. Enumerable.Range(1, pieces - 1).Select(i => (int)((long)rows * i / pieces))];

    /// <summary>Checks that the chunks hold exactly the rows of <paramref name="table"/>, in order.</summary>
    public static void AssertSameRows(RecordBatch table, ChunkedTable chunked)
    {
        Assert.Equal(table.Length, chunked.Chunks.Sum(c => c.Rows));
        foreach (var chunk in chunked.Chunks)
        {
            var expected = table.Slice((int)chunk.FirstRow, chunk.Rows);
            Assert.True(ArrayEquality.Equals(expected, chunk.Batch, out var difference), $"chunk at row {chunk.FirstRow}: {difference}");
        }
    }
}
