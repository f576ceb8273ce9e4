using System.Diagnostics;
using System.Security.Cryptography;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.Bench;

/// <summary>What one run of the deduplication benchmark measured.</summary>
public sealed record DedupBenchmarkResult(
    long Rows,
    long TableBytes,
    long ChunkBytes,
    int Chunks,
    int ManifestNodes,
    ChunkSizeDistribution Sizes,
    double PutGbps,
    double CidGbps,
    double Sha256Gbps,
    double Sha256OneThreadGbps,
    int Rounds,
    DedupEdit Append,
    DedupEdit Insert,
    DedupEdit Delete,
    DedupEdit Update,
    string ScratchRoot)
{
    /// <summary>Issue 13's goals (docs/performance.md).</summary>
    public const double AppendGoal = 0.02, InsertGoal = 0.03, DeleteGoal = 0.03, UpdateGoal = 0.25, CidGoal = 0.85, PutGoal = 0.7;

    /// <summary>Putting the table (chunk, encode, hash, store, register) against SHA-256 of its chunk bytes on as many threads.</summary>
    public double PutRatio => PutGbps / Sha256Gbps;

    /// <summary>Naming the table without storing it against SHA-256 of its chunk bytes on as many threads.</summary>
    public double CidRatio => CidGbps / Sha256Gbps;

    /// <summary>Naming the table against SHA-256 on one thread (the reference before issue 69; it moves with what else runs, since cid uses every core).</summary>
    public double CidRatioOneThread => CidGbps / Sha256OneThreadGbps;

    /// <summary>Whether appending 1 % of the rows stored at most 2 % new bytes.</summary>
    public bool AppendGoalMet => Append.NewRatio <= AppendGoal;

    /// <summary>Whether inserting 1 % in the middle stored at most 3 % new bytes.</summary>
    public bool InsertGoalMet => Insert.NewRatio <= InsertGoal;

    /// <summary>Whether deleting 1 % in the middle stored at most 3 % new bytes.</summary>
    public bool DeleteGoalMet => Delete.NewRatio <= DeleteGoal;

    /// <summary>Whether replacing 1 % in 100 places stored at most 25 % new bytes.</summary>
    public bool UpdateGoalMet => Update.NewRatio <= UpdateGoal;

    /// <summary>Whether <c>cid</c> runs at 0.85× SHA-256 or better.</summary>
    public bool CidGoalMet => CidRatio >= CidGoal;

    /// <summary>Whether <c>put</c> runs at 0.7× SHA-256 or better.</summary>
    public bool PutGoalMet => PutRatio >= PutGoal;
}

/// <summary>
/// What an edited version of the table cost in a repository holding the original: the blocks
/// (chunks and manifest nodes) it has that the original lacks, as the registry records them.
/// </summary>
/// <param name="NewBytes">Bytes of the new blocks.</param>
/// <param name="NewBlocks">Number of new blocks.</param>
/// <param name="TableBytes">Bytes of the original table's blocks (chunks and manifest nodes).</param>
public sealed record DedupEdit(long NewBytes, int NewBlocks, long TableBytes)
{
    /// <summary>New bytes over the original table's bytes.</summary>
    public double NewRatio => NewBytes / (double)TableBytes;
}

/// <summary>The distribution of chunk sizes (bytes) of a table, its last chunk left out (it holds whatever remains).</summary>
/// <param name="P10">10th percentile.</param>
/// <param name="Median">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Max">Largest chunk.</param>
/// <param name="WithinTwiceTarget">Share of chunks between half and twice the target size.</param>
public sealed record ChunkSizeDistribution(long P10, long Median, long P90, long Max, double WithinTwiceTarget)
{
    /// <summary>The chunking rule's target chunk size in bytes (256 KiB).</summary>
    public const long TargetBytes = ChunkingRule.TargetBits / 8;

    /// <summary>The distribution of the chunk sizes in row order (the last one is left out).</summary>
    public static ChunkSizeDistribution Of(IEnumerable<long> chunkSizesInOrder)
    {
        var sizes = chunkSizesInOrder.SkipLast(1).Order().ToArray();
        return sizes.Length == 0
            ? new ChunkSizeDistribution(0, 0, 0, 0, 0)
            : new ChunkSizeDistribution(
                sizes[sizes.Length / 10], sizes[sizes.Length / 2], sizes[sizes.Length * 9 / 10], sizes[^1],
                sizes.Count(s => s >= TargetBytes / 2 && s <= 2 * TargetBytes) / (double)sizes.Length);
    }
}

/// <summary>
/// Measures content-defined chunking through the real put path: the mixed table of the chunking
/// vectors (<see cref="MixedTable"/>: ints, floats with nulls, strings, a list, a dictionary),
/// built in memory before anything is timed (about 1.2× the table's bytes), is put with
/// <see cref="ContentRepository.PutStream(ArrowCid.Arrow.Types.Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/>
/// into a fresh repository and named with <see cref="ContentRepository.ComputeCids(ArrowCid.Arrow.Types.Schema, IEnumerable{RecordBatch})"/>,
/// each next to SHA-256 of as many bytes on as many threads as they use (every core), in
/// interleaved rounds after a warm-up (medians; SHA-256 on one thread is reported beside, as context). Then, into the repository holding
/// the table, the table after appending 1 % of its rows, inserting 1 % in the middle, deleting 1 %
/// in the middle and replacing 1 % in 100 evenly spread places is put, and the bytes of blocks each
/// version has that the original lacks are read from the repository's registry.
/// </summary>
public static class DedupBenchmark
{
    private const int Runs = 3;
    private const int BatchRows = 32_768;
    private const ulong Seed = 1;

    // The mixed table's canonical bytes per row, measured: sizes the table from the requested MiB.
    private const double BytesPerRow = 45.5;

    /// <summary>Puts a generated table of about <paramref name="tableBytes"/> and its edits into a scratch repository (docs/performance.md).</summary>
    /// <param name="tableBytes">The table's size.</param>
    /// <param name="scratchRoot">Where the scratch repository goes.</param>
    /// <returns>The measurements.</returns>
    public static DedupBenchmarkResult Run(long tableBytes, string scratchRoot)
    {
        long rows = Math.Max(BatchRows, (long)(tableBytes / BytesPerRow));
        string folder = Directory.CreateDirectory(Path.Combine(scratchRoot, $"arrowcid-bench-dedup-{Guid.NewGuid():N}")).FullName;
        var shaInput = new byte[64 << 20];
        RandomNumberGenerator.Fill(shaInput);
        ContentRepository? content = null;
        try
        {
            // The table is built once, in memory, before anything is timed: a put or cid works on
            // several batches at once, so a clock paused while a generator makes each batch would
            // leave out the time the workers spend meanwhile.
            var table = Generated(rows);
            WarmUp(table.Take(32), folder, shaInput);
            var put = new double[Runs];
            var cid = new double[Runs];
            var sha = new double[Runs];
            var shaOneThread = new double[Runs];
            PutStreamResult? stored = null;
            for (int round = 0; round < Runs; round++)
            {
                // Only the last round's repository is kept (for the edits): at most two tables on tmpfs at once.
                content?.Dispose();
                content = ContentRepository.Open(Path.Combine(folder, $"repo-{round}"));
                DeleteQuietly(Path.Combine(folder, $"repo-{round - 1}"));
                var target = content;
                put[round] = BenchClock.Time(() => stored = target.PutStream(MixedTable.Schema, table));
                cid[round] = BenchClock.Time(() => ContentRepository.ComputeCids(MixedTable.Schema, table));
                long bytes = stored!.Table.Bytes;
                sha[round] = BenchClock.Time(() => BenchClock.Sha256OnThreads(shaInput, bytes, Environment.ProcessorCount));
                shaOneThread[round] = BenchClock.Time(() => BenchClock.Sha256(shaInput, bytes));
            }

            table = [];

            // The repository holds the table and nothing else: its registry lists the table's blocks.
            var registry = content!.Repository.Registry;
            var blocks = registry.ListCids().ToHashSet();
            long tableBlockBytes = blocks.Sum(c => registry.Find(c)!.Bytes);
            int k = (int)(rows / 100);
            long middle = rows / 2;
            var append = Cost(content, blocks, tableBlockBytes, Rows(0, rows).Append(MixedTable.Build(Seed + 1, rows, k)));
            var insert = Cost(content, blocks, tableBlockBytes, Rows(0, middle).Append(MixedTable.Build(Seed + 2, rows + k, k)).Concat(Rows(middle, rows)));
            var delete = Cost(content, blocks, tableBlockBytes, Rows(0, middle).Concat(Rows(middle + k, rows)));
            var update = Cost(content, blocks, tableBlockBytes, Updated(rows, k));

            long chunkBytes = stored!.Table.Bytes;
            return new DedupBenchmarkResult(
                rows, tableBlockBytes, chunkBytes, stored.Batches.Count, blocks.Count(c => c.Codec == Multicodec.DagCbor),
                ChunkSizeDistribution.Of(stored.Batches.Select(b => b.Bytes)),
                BenchClock.Gbps(chunkBytes, BenchClock.Median(put)), BenchClock.Gbps(chunkBytes, BenchClock.Median(cid)), BenchClock.Gbps(chunkBytes, BenchClock.Median(sha)),
                BenchClock.Gbps(chunkBytes, BenchClock.Median(shaOneThread)),
                Runs, append, insert, delete, update, scratchRoot);
        }
        finally
        {
            content?.Dispose();
            DeleteQuietly(folder);
        }
    }

    /// <summary>
    /// Puts, names and hashes part of the table for a few seconds first, so the runtime has compiled
    /// the hot methods at full optimisation before anything is timed (tiered compilation promotes a
    /// method only after it has run a while).
    /// </summary>
    private static void WarmUp(IEnumerable<RecordBatch> part, string folder, byte[] shaInput)
    {
        var batches = part.ToList();
        long start = Stopwatch.GetTimestamp();
        for (int round = 0; round < 3 || Stopwatch.GetElapsedTime(start).TotalSeconds < 3; round++)
        {
            string path = Path.Combine(folder, $"warm-up-{round}");
            long bytes;
            using (var content = ContentRepository.Open(path))
            {
                bytes = content.PutStream(MixedTable.Schema, batches).Table.Bytes;
            }

            DeleteQuietly(path);
            ContentRepository.ComputeCids(MixedTable.Schema, batches);
            BenchClock.Sha256OnThreads(shaInput, bytes, Environment.ProcessorCount);
        }
    }

    /// <summary>The whole table's batches, built on every core (each batch is a pure function of its first row).</summary>
    private static List<RecordBatch> Generated(long rows) =>
        [.. Enumerable.Range(0, checked((int)((rows + BatchRows - 1) / BatchRows))).AsParallel().AsOrdered()
            .Select(i => MixedTable.Build(Seed, (long)i * BatchRows, (int)Math.Min(BatchRows, rows - ((long)i * BatchRows))))];

    /// <summary>
    /// Puts an edited version into the repository holding the table (and earlier edited versions)
    /// and finds, in its registry, the bytes of the version's blocks the table lacks: its chunks (as
    /// the put reports them) and the manifest nodes the put registered.
    /// </summary>
    /// <remarks>
    /// A manifest node an earlier edited version already stored would be missed; a node differs from
    /// the table's only where it links a changed chunk, and each edit changes different rows, so none is.
    /// </remarks>
    private static DedupEdit Cost(ContentRepository content, HashSet<Cid> table, long tableBytes, IEnumerable<RecordBatch> edited)
    {
        var registry = content.Repository.Registry;
        var before = registry.ListCids().ToHashSet();
        var version = content.PutStream(MixedTable.Schema, edited);
        var nodes = registry.ListCids().Where(c => c.Codec == Multicodec.DagCbor && !before.Contains(c));
        var fresh = version.Batches.Select(b => b.Cid).Concat(nodes).Append(version.Table.Cid).Distinct().Where(c => !table.Contains(c)).ToList();
        return new DedupEdit(fresh.Sum(c => registry.Find(c)!.Bytes), fresh.Count, tableBytes);
    }

    /// <summary>Rows [<paramref name="from"/>, <paramref name="to"/>) of the table, generated batch by batch.</summary>
    private static IEnumerable<RecordBatch> Rows(long from, long to) => MixedTable.Batches(Seed, from, to - from, BatchRows);

    /// <summary>The table with <paramref name="rows"/> rows replaced by new ones in 100 evenly spread places.</summary>
    private static IEnumerable<RecordBatch> Updated(long tableRows, int rows)
    {
        int per = Math.Max(1, rows / 100);
        long from = 0;
        for (int place = 0; place < 100; place++)
        {
            long at = ((tableRows - per) * place / 100) + (per / 2);
            foreach (var batch in Rows(from, at))
            {
                yield return batch;
            }

            yield return MixedTable.Build(Seed + 3, at, per);
            from = at + per;
        }

        foreach (var batch in Rows(from, tableRows))
        {
            yield return batch;
        }
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a mapping may still be open until finalisation.
        }
    }
}
