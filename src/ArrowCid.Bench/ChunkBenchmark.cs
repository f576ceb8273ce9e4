using System.Diagnostics;
using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using static ArrowCid.Bench.BenchClock;

namespace ArrowCid.Bench;

/// <summary>What one run of the chunking benchmark measured.</summary>
public sealed record ChunkBenchmarkResult(
    long Rows,
    int Batches,
    long ChunkBytes,
    int Chunks,
    int Nodes,
    int Height,
    double ChunkGbps,
    double RowHashGbps,
    double CidGbps,
    double CidInlineGbps,
    double Sha256Gbps,
    ChunkSizes Sizes,
    EditCost Append,
    EditCost Insert,
    EditCost Delete,
    EditCost Update)
{
    /// <summary>Chunking (row hashes, boundaries, canonical chunk batches and their encoding) against SHA-256 of as many bytes.</summary>
    public double ChunkRatio => ChunkGbps / Sha256Gbps;

    /// <summary>Row hashing alone against SHA-256.</summary>
    public double RowHashRatio => RowHashGbps / Sha256Gbps;

    /// <summary>Naming the table as <c>cid</c> does (chunking with batches prepared ahead on a second thread, SHA-256 of every chunk, the manifest tree), against SHA-256.</summary>
    public double CidRatio => CidGbps / Sha256Gbps;

    /// <summary>The same on one thread (batches prepared inline).</summary>
    public double CidInlineRatio => CidInlineGbps / Sha256Gbps;

    /// <summary>The goals of issue 13 for the pure chunker (docs/performance.md).</summary>
    public bool DedupGoalsMet => Append.NewRatio <= 0.02 && Insert.NewRatio <= 0.03 && Delete.NewRatio <= 0.03 && Update.NewRatio <= 0.25;
}

/// <summary>The distribution of chunk block sizes (bytes), the last chunk left out (it is whatever remains).</summary>
public sealed record ChunkSizes(long P10, long Median, long P90, long Max, double WithinTwiceTarget);

/// <summary>Blocks (chunks and manifest nodes) an edited table has that the original lacks.</summary>
public sealed record EditCost(long NewBytes, long TotalBytes, int NewChunks, int NewNodes)
{
    /// <summary>New bytes against the whole table's.</summary>
    public double NewRatio => NewBytes / (double)TotalBytes;
}

/// <summary>
/// Measures the content-defined chunker on the mixed table of the chunking vectors (ints, floats
/// with nulls, strings, a list, a dictionary): throughput of chunking (row hashes, boundaries,
/// canonical chunk batches, and writing each chunk's block into memory), of row hashing alone, and
/// of naming a table (chunking, SHA-256 of every chunk, the manifest tree) with batches prepared
/// ahead on a second thread as <c>cid</c> and <c>put</c> do, and on one thread, each next
/// to SHA-256 of as many bytes in the same run, in interleaved rounds after a warm-up (medians);
/// then the bytes of new blocks after appending 1 % of the rows, inserting 1 % in the middle,
/// deleting 1 % in the middle and replacing 1 % in 100 places, and the chunk size distribution.
/// </summary>
public static class ChunkBenchmark
{
    private const int Runs = 3;
    private const int BatchRows = 32_768;
    private const ulong Seed = 1;

    // The mixed table's canonical bytes per row, measured: sizes the table from the requested MiB.
    private const double BytesPerRow = 45.5;

    /// <summary>Chunks a generated table of about <paramref name="tableBytes"/> and edits it (docs/performance.md).</summary>
    /// <param name="tableBytes">The table's size.</param>
    /// <returns>The measurements.</returns>
    public static ChunkBenchmarkResult Run(long tableBytes)
    {
        long rows = Math.Max(BatchRows, (long)(tableBytes / BytesPerRow));
        var batches = MixedTable.Batches(Seed, 0, rows, BatchRows).ToList();

        var block = new MemoryStream(2 << 20);
        long chunkBytes = 0;
        var shaInput = new byte[64 << 20];
        RandomNumberGenerator.Fill(shaInput);
        var chunk = new double[Runs];
        var rowHash = new double[Runs];
        var cid = new double[Runs];
        var cidInline = new double[Runs];
        var sha = new double[Runs];
        TableTreeResult? tree = null;
        WarmUp(batches.Take(16).ToList(), block, shaInput);
        for (int round = -1; round < Runs; round++)
        {
            double c = Time(() => chunkBytes = ChunkAndEncode(batches, block));
            double h = Time(() => HashRows(batches));
            double n = Time(() => tree = Name(batches).Tree);
            double i = Time(() => Name(batches, TableChunkerMode.Inline));
            double s = Time(() => Sha256(shaInput, chunkBytes));
            if (round >= 0)
            {
                (chunk[round], rowHash[round], cid[round], cidInline[round], sha[round]) = (c, h, n, i, s);
            }
        }

        var baseline = Name(batches);
        var known = baseline.Blocks();
        int k = (int)(rows / 100);
        long middle = rows / 2;
        var append = Cost(known, batches.Append(MixedTable.Build(Seed + 1, rows, k)));
        var insert = Cost(known, Spliced(batches, middle, 0, MixedTable.Build(Seed + 2, rows + k, k)));
        var delete = Cost(known, Spliced(batches, middle, k, null));
        var update = Cost(known, Updated(batches, rows, k));

        var sizes = baseline.Entries.SkipLast(1).Select(e => e.Bytes).Order().ToArray();
        long target = ChunkingRule.TargetBits / 8;
        var distribution = sizes.Length == 0
            ? new ChunkSizes(0, 0, 0, 0, 0)
            : new ChunkSizes(sizes[sizes.Length / 10], sizes[sizes.Length / 2], sizes[sizes.Length * 9 / 10], sizes[^1],
                sizes.Count(s => s >= target / 2 && s <= 2 * target) / (double)sizes.Length);
        return new ChunkBenchmarkResult(
            rows, batches.Count, chunkBytes, baseline.Entries.Count, tree!.Blocks.Count, tree.RootBlock is null ? 0 : tree.RootBlock.Level + 1,
            Gbps(chunkBytes, Median(chunk)), Gbps(chunkBytes, Median(rowHash)), Gbps(chunkBytes, Median(cid)), Gbps(chunkBytes, Median(cidInline)), Gbps(chunkBytes, Median(sha)),
            distribution, append, insert, delete, update);
    }

    /// <summary>
    /// Runs every timed path on part of the table for a few seconds first, so the runtime has
    /// compiled the hot methods at full optimisation before anything is timed (tiered compilation
    /// promotes a method only after it has run a while).
    /// </summary>
    private static void WarmUp(List<RecordBatch> batches, MemoryStream block, byte[] shaInput)
    {
        long start = Stopwatch.GetTimestamp();
        for (int round = 0; round < 5 || Stopwatch.GetElapsedTime(start).TotalSeconds < 3; round++)
        {
            long bytes = ChunkAndEncode(batches, block);
            HashRows(batches);
            Name(batches);
            Name(batches, TableChunkerMode.Inline);
            Sha256(shaInput, bytes);
        }
    }

    /// <summary>Chunks the table and writes every chunk's block into memory; returns the bytes written.</summary>
    private static long ChunkAndEncode(List<RecordBatch> batches, MemoryStream block)
    {
        long total = 0;
        using var chunker = new TableChunker(MixedTable.Schema);
        void Write(IReadOnlyList<TableChunk> chunks)
        {
            foreach (var chunk in chunks)
            {
                block.SetLength(0);
                chunk.WriteTo(block);
                total += block.Length;
            }
        }

        foreach (var batch in batches)
        {
            Write(chunker.Add(batch));
        }

        Write(chunker.Finish());
        return total;
    }

    private static void HashRows(List<RecordBatch> batches)
    {
        var hashes = new ulong[BatchRows];
        var bits = new long[BatchRows];
        foreach (var batch in batches)
        {
            RowHasher.Compute(batch, hashes, bits);
        }
    }

    /// <summary>Names a table: chunks, each chunk's CID, the manifest tree.</summary>
    private static Named Name(IEnumerable<RecordBatch> batches, TableChunkerMode mode = TableChunkerMode.PrepareAhead)
    {
        using var chunker = new TableChunker(MixedTable.Schema, mode);
        var entries = new List<TableTreeEntry>();
        foreach (var batch in batches)
        {
            entries.AddRange(chunker.Add(batch).Select(c => c.ToEntry()));
        }

        entries.AddRange(chunker.Finish().Select(c => c.ToEntry()));
        return new Named(entries, TableTreeBuilder.Build(chunker.Schema, entries));
    }

    private static EditCost Cost(Dictionary<Cid, long> known, IEnumerable<RecordBatch> edited)
    {
        var named = Name(edited);
        var blocks = named.Blocks();
        var fresh = blocks.Where(b => !known.ContainsKey(b.Key)).ToList();
        return new EditCost(fresh.Sum(b => b.Value), blocks.Values.Sum(), named.Entries.Count(e => !known.ContainsKey(e.Cid)), named.Tree.Blocks.Count(b => !known.ContainsKey(b.Cid)));
    }

    /// <summary>The table with <paramref name="removed"/> rows at <paramref name="at"/> replaced by <paramref name="inserted"/> (zero-copy slices around it).</summary>
    private static IEnumerable<RecordBatch> Spliced(List<RecordBatch> batches, long at, int removed, RecordBatch? inserted)
    {
        long rows = batches.Sum(b => (long)b.Length);
        var before = Slices(batches, 0, at);
        var after = Slices(batches, at + removed, rows);
        return inserted is null ? before.Concat(after) : before.Append(inserted).Concat(after);
    }

    /// <summary>The table with <paramref name="rows"/> rows replaced by new ones in 100 evenly spread places.</summary>
    private static IEnumerable<RecordBatch> Updated(List<RecordBatch> batches, long tableRows, int rows)
    {
        int per = Math.Max(1, rows / 100);
        long from = 0;
        for (int place = 0; place < 100; place++)
        {
            long at = ((tableRows - per) * place / 100) + (per / 2);
            foreach (var slice in Slices(batches, from, at))
            {
                yield return slice;
            }

            yield return MixedTable.Build(Seed + 3, at, per);
            from = at + per;
        }

        foreach (var slice in Slices(batches, from, tableRows))
        {
            yield return slice;
        }
    }

    /// <summary>Rows [from, to) of the table as slices of its batches.</summary>
    private static IEnumerable<RecordBatch> Slices(List<RecordBatch> batches, long from, long to)
    {
        long start = 0;
        foreach (var batch in batches)
        {
            long end = start + batch.Length;
            long a = Math.Max(from, start), b = Math.Min(to, end);
            if (a < b)
            {
                yield return batch.Slice((int)(a - start), (int)(b - a));
            }

            start = end;
        }
    }

    /// <summary>A named table: its chunk entries and manifest tree.</summary>
    private sealed record Named(List<TableTreeEntry> Entries, TableTreeResult Tree)
    {
        public Dictionary<Cid, long> Blocks() => Tree.BlockSizes(Entries);
    }
}
