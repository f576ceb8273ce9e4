using System.Diagnostics;
using System.Globalization;
using ArrowCid.Apache;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.DuckDb;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Bench;

/// <summary>
/// One codec's figures: our writer, DuckDB's COPY and ParquetSharp (Arrow C++'s Parquet writer) on
/// the same table in the same run. The CPU seconds are the process's user and system time over the
/// same span as the wall time (of the same best run): on a shared machine they show how much work
/// each side did, which other load disturbs less than the wall time.
/// </summary>
public sealed record ParquetCodecResult(string Codec, double OursSeconds, double DuckDbSeconds, long OursBytes, long DuckDbBytes,
    double OursCpuSeconds, double DuckDbCpuSeconds, double ParquetSharpSeconds, long ParquetSharpBytes, double ParquetSharpCpuSeconds)
{
    /// <summary>Our time over DuckDB's (goal ≤ 1.0, then ≤ 0.7).</summary>
    public double TimeRatio => OursSeconds / DuckDbSeconds;

    /// <summary>Our time over ParquetSharp's (goal ≤ 0.8).</summary>
    public double TimeRatioVsParquetSharp => OursSeconds / ParquetSharpSeconds;

    /// <summary>Our file size over DuckDB's (goal ≤ 1.1).</summary>
    public double SizeRatio => OursBytes / (double)DuckDbBytes;

    /// <summary>The goal: writing takes no longer than DuckDB.</summary>
    public bool TimeGoalMet => TimeRatio <= 1.0;

    /// <summary>The goal: the file is at most 10% larger than DuckDB's.</summary>
    public bool SizeGoalMet => SizeRatio <= 1.1;
}

/// <summary>One column of the table written alone (zstd), by us and by DuckDB: which encoders are slow.</summary>
public sealed record ParquetColumnResult(string Column, string Type, double OursSeconds, double DuckDbSeconds)
{
    /// <summary>Our time over DuckDB's.</summary>
    public double TimeRatio => OursSeconds / DuckDbSeconds;
}

/// <summary>The whole run.</summary>
public sealed record ParquetBenchmarkResult(long Rows, int Batches, long BufferBytes, int RowGroupSize, long DuckDbThreads, string ScratchDirectory,
    IReadOnlyList<ParquetCodecResult> Codecs, IReadOnlyList<ParquetColumnResult> Columns)
{
    /// <summary>The worst codec's time over DuckDB's: <c>export_ratio_vs_duckdb</c>.</summary>
    public double ExportRatioVsDuckDb => Codecs.Max(c => c.TimeRatio);

    /// <summary>The worst codec's time over ParquetSharp's: <c>export_ratio_vs_parquetsharp</c>.</summary>
    public double ExportRatioVsParquetSharp => Codecs.Max(c => c.TimeRatioVsParquetSharp);
}

/// <summary>
/// Writes <see cref="RealisticTable"/> (nullable int32 and int64, float64, timestamps, strings,
/// dictionary strings, <c>list&lt;int32&gt;</c>, a struct) as Parquet with our writer, with DuckDB's
/// <c>COPY … TO … (FORMAT parquet)</c> and with ParquetSharp's Arrow writer, for each codec, in the
/// same process. DuckDB gets the same batches through the C Stream Interface
/// (<c>duckdb_arrow_scan</c>) and copies them into a table first (not timed); then the COPY from
/// that table is timed. ParquetSharp gets the same batches as Apache.Arrow batches (zero copy,
/// converted before timing). All write files in the same scratch folder with the same row group size
/// (DuckDB's default, 122,880 rows); no fsync on any side. Then each column is written alone with
/// zstd by us and by DuckDB. Each figure is the best of <c>runs</c>.
/// </summary>
public static class ParquetBenchmark
{
    /// <summary>DuckDB's default ROW_GROUP_SIZE, used on every side.</summary>
    public const int RowGroupSize = 122_880;

    /// <summary>Writes a generated table of about <paramref name="tableBytes"/> as Parquet with each codec, as DuckDB and ParquetSharp do (docs/performance.md).</summary>
    /// <param name="tableBytes">The table's size.</param>
    /// <param name="scratchRoot">Where the files go.</param>
    /// <param name="codecs">The codecs to compare.</param>
    /// <param name="runs">Runs per codec (the best is kept).</param>
    /// <param name="progress">Told what runs.</param>
    /// <returns>The measurements.</returns>
    public static ParquetBenchmarkResult Run(long tableBytes, string scratchRoot, IReadOnlyList<string> codecs, int runs, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(codecs);
        ArgumentNullException.ThrowIfNull(progress);
        string library = DuckDbConnection.FindLibrary()
            ?? throw new BenchmarkException("libduckdb.so not found: set ARROWCID_LIBDUCKDB or restore the DuckDB.NET.Data.Full package");
        string scratch = Path.Combine(scratchRoot, $"arrowcid-bench-parquet-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        progress("building the table");
        var batches = RealisticTable.Build(tableBytes, seed: 6);
        var apacheSchema = ApacheArrow.ToApache(RealisticTable.Schema);
        var apacheBatches = batches.Select(b => ApacheArrow.ToApache(b, apacheSchema)).ToList();
        try
        {
            using var duck = DuckDbConnection.Open(library);
            progress("loading it into DuckDB (C Stream Interface, not timed)");
            duck.RegisterArrowStream("arrow_source", RealisticTable.Schema, batches);
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
                string oursPath = Path.Combine(scratch, $"ours-{codec}.parquet");
                string duckPath = Path.Combine(scratch, $"duckdb-{codec}.parquet");
                string sharpPath = Path.Combine(scratch, $"parquetsharp-{codec}.parquet");
                var ours = Best(runs, oursPath, () => WriteOurs(oursPath, RealisticTable.Schema, batches, codec), progress, $"{codec}: our writer");
                var theirs = Best(runs, duckPath, () => CopyWithDuckDb(duck, "*", duckPath, codec), progress, $"{codec}: DuckDB COPY");
                var sharp = Best(runs, sharpPath, () => WriteWithParquetSharp(sharpPath, apacheSchema, apacheBatches, codec), progress, $"{codec}: ParquetSharp");
                results.Add(new ParquetCodecResult(codec, ours.Seconds, theirs.Seconds, ours.Bytes, theirs.Bytes, ours.CpuSeconds, theirs.CpuSeconds,
                    sharp.Seconds, sharp.Bytes, sharp.CpuSeconds));
            }

            var columns = new List<ParquetColumnResult>();
            for (int c = 0; c < RealisticTable.Schema.Fields.Length; c++)
            {
                var field = RealisticTable.Schema.Fields[c];
                var alone = RealisticTable.Column(batches, c);
                string oursPath = Path.Combine(scratch, $"ours-{field.Name}.parquet");
                string duckPath = Path.Combine(scratch, $"duckdb-{field.Name}.parquet");
                var ours = Best(runs, oursPath, () => WriteOurs(oursPath, alone[0].Schema, alone, "zstd"), progress, $"{field.Name}: our writer");
                var theirs = Best(runs, duckPath, () => CopyWithDuckDb(duck, $"\"{field.Name}\"", duckPath, "zstd"), progress, $"{field.Name}: DuckDB COPY");
                columns.Add(new ParquetColumnResult(field.Name, field.Type.ToString(), ours.Seconds, theirs.Seconds));
            }

            return new ParquetBenchmarkResult(rows, batches.Count, BenchTable.BufferBytes(batches), RowGroupSize, threads, scratch, results, columns);
        }
        finally
        {
            apacheBatches.ForEach(b => b.Dispose());
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static (double Seconds, double CpuSeconds, long Bytes) Best(int runs, string path, Action write, Action<string> progress, string what)
    {
        (double Seconds, double CpuSeconds, long Bytes) best = (double.MaxValue, 0, 0);
        for (int run = 0; run < runs; run++)
        {
            progress($"{what}, run {run + 1}");
            var timed = Time(path, write);
            best = timed.Seconds < best.Seconds ? timed : best;
        }

        return best;
    }

    private static void CopyWithDuckDb(DuckDbConnection duck, string columns, string path, string codec) => duck.Execute(
        string.Create(CultureInfo.InvariantCulture, $"COPY (SELECT {columns} FROM bench) TO '{path}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE {RowGroupSize})"));

    private static void WriteWithParquetSharp(string path, global::Apache.Arrow.Schema schema, List<global::Apache.Arrow.RecordBatch> batches, string codec)
    {
        using var builder = new ParquetSharp.WriterPropertiesBuilder()
            .Compression(codec == "zstd" ? ParquetSharp.Compression.Zstd : ParquetSharp.Compression.Snappy)
            .MaxRowGroupLength(RowGroupSize);
        using var properties = builder.Build();
        using var writer = new ParquetSharp.Arrow.FileWriter(path, schema, properties);
        foreach (var batch in batches)
        {
            writer.WriteRecordBatch(batch);
        }

        writer.Close();
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

    private static void WriteOurs(string path, Schema schema, List<RecordBatch> batches, string codec)
    {
        var options = new ParquetWriteOptions
        {
            Compression = codec == "zstd" ? ParquetCompression.Zstd : ParquetCompression.Snappy,
            RowGroupSize = RowGroupSize,
        };
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        using var writer = new ParquetWriter(file, schema, options, leaveOpen: true);
        foreach (var batch in batches)
        {
            writer.Write(batch);
        }

        writer.Close();
    }
}
