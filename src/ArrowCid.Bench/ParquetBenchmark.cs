using System.Diagnostics;
using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.DuckDb;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Bench;

/// <summary>
/// One codec's figures: our writer and DuckDB's COPY on the same table in the same run. The CPU
/// seconds are the process's user and system time over the same span as the wall time (of the
/// same best run): on a shared machine they show how much work each side did, which other
/// load disturbs less than the wall time.
/// </summary>
public sealed record ParquetCodecResult(string Codec, double OursSeconds, double DuckDbSeconds, long OursBytes, long DuckDbBytes,
    double OursCpuSeconds = 0, double DuckDbCpuSeconds = 0)
{
    /// <summary>Our time over DuckDB's (goal ≤ 1.0).</summary>
    public double TimeRatio => OursSeconds / DuckDbSeconds;

    /// <summary>Our file size over DuckDB's (goal ≤ 1.1).</summary>
    public double SizeRatio => OursBytes / (double)DuckDbBytes;

    /// <summary>The goal: writing takes no longer than DuckDB.</summary>
    public bool TimeGoalMet => TimeRatio <= 1.0;

    /// <summary>The goal: the file is at most 10% larger than DuckDB's.</summary>
    public bool SizeGoalMet => SizeRatio <= 1.1;
}

/// <summary>The whole run.</summary>
public sealed record ParquetBenchmarkResult(long Rows, int Batches, long BufferBytes, int RowGroupSize, long DuckDbThreads, string ScratchDirectory, IReadOnlyList<ParquetCodecResult> Codecs);

/// <summary>
/// Writes the benchmark table (<see cref="BenchTable"/>: int64, float64 with nulls, utf8 with nulls,
/// bool) as Parquet with our writer and with DuckDB's <c>COPY … TO … (FORMAT parquet)</c>, for each
/// codec, in the same process. DuckDB gets the same batches through the C Stream Interface
/// (<c>duckdb_arrow_scan</c>) and copies them into a table first (not timed); then the COPY from
/// that table is timed, as is our <see cref="ParquetWriter"/> over the batches. Both write files
/// in the same scratch folder with the same row group size (DuckDB's default, 122,880 rows); no
/// fsync on either side. Each figure is the best of <c>runs</c>.
/// </summary>
public static class ParquetBenchmark
{
    /// <summary>DuckDB's default ROW_GROUP_SIZE, used on both sides.</summary>
    public const int RowGroupSize = 122_880;

    /// <summary>Writes a generated table of about <paramref name="tableBytes"/> as Parquet with each codec, and DuckDB the same (docs/performance.md).</summary>
    /// <param name="tableBytes">The table's size.</param>
    /// <param name="scratchRoot">Where the files go.</param>
    /// <param name="codecs">The codecs to compare.</param>
    /// <param name="runs">Runs per codec (the median is kept).</param>
    /// <param name="progress">Told what runs.</param>
    /// <returns>The measurements.</returns>
    public static ParquetBenchmarkResult Run(long tableBytes, string scratchRoot, IReadOnlyList<string> codecs, int runs, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(codecs);
        ArgumentNullException.ThrowIfNull(progress);
        string library = DuckDbConnection.FindLibrary()
            ?? throw new BenchmarkException("libduckdb.so not found: set ARROWCID_LIBDUCKDB or run `npm ci` in interop/node");
        string scratch = Path.Combine(scratchRoot, $"arrowcid-bench-parquet-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        progress("building the table");
        var batches = BenchTable.Build(tableBytes, seed: 6);
        try
        {
            using var duck = DuckDbConnection.Open(library);
            progress("loading it into DuckDB (C Stream Interface, not timed)");
            duck.RegisterArrowStream("arrow_source", BenchTable.Schema, batches);
            duck.Execute("CREATE TABLE bench AS SELECT * FROM arrow_source");
            long duckRows = duck.Execute("SELECT count(*) FROM bench");
            long rows = batches.Sum(b => (long)b.Length);
            if (duckRows != rows)
            {
                throw new BenchmarkException($"DuckDB holds {duckRows} rows, the table {rows}");
            }

            long threads = duck.Execute("SELECT current_setting('threads')::BIGINT");
            var results = new List<ParquetCodecResult>();
            foreach (string codec in codecs)
            {
                (double Seconds, double Cpu) ours = (double.MaxValue, 0);
                (double Seconds, double Cpu) theirs = (double.MaxValue, 0);
                long oursBytes = 0;
                long theirsBytes = 0;
                for (int run = 0; run < runs; run++)
                {
                    progress($"{codec}: our writer, run {run + 1}");
                    string oursPath = Path.Combine(scratch, $"ours-{codec}.parquet");
                    (double seconds, double cpu, oursBytes) = Time(oursPath, () => WriteOurs(oursPath, batches, codec));
                    ours = seconds < ours.Seconds ? (seconds, cpu) : ours;

                    progress($"{codec}: DuckDB COPY, run {run + 1}");
                    string duckPath = Path.Combine(scratch, $"duckdb-{codec}.parquet");
                    (seconds, cpu, theirsBytes) = Time(duckPath, () => duck.Execute(
                        string.Create(CultureInfo.InvariantCulture, $"COPY bench TO '{duckPath}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE {RowGroupSize})")));
                    theirs = seconds < theirs.Seconds ? (seconds, cpu) : theirs;
                }

                results.Add(new ParquetCodecResult(codec, ours.Seconds, theirs.Seconds, oursBytes, theirsBytes, ours.Cpu, theirs.Cpu));
            }

            return new ParquetBenchmarkResult(rows, batches.Count, BenchTable.BufferBytes(batches), RowGroupSize, threads, scratch, results);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static (double Seconds, double CpuSeconds, long Bytes) Time(string path, Action write)
    {
        File.Delete(path);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        TimeSpan cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        write();
        double seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
        long bytes = new FileInfo(path).Length;
        File.Delete(path);
        return (seconds, cpu, bytes);
    }

    private static void WriteOurs(string path, List<RecordBatch> batches, string codec)
    {
        var options = new ParquetWriteOptions
        {
            Compression = codec == "zstd" ? ParquetCompression.Zstd : ParquetCompression.Snappy,
            RowGroupSize = RowGroupSize,
        };
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new ParquetWriter(file, BenchTable.Schema, options, leaveOpen: true);
        foreach (var batch in batches)
        {
            writer.Write(batch);
        }

        writer.Close();
    }
}
