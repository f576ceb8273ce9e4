using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace ArrowCid.Bench;

/// <summary>How a figure is judged against its goal.</summary>
public enum GoalKind
{
    /// <summary>No goal: shown for context.</summary>
    None,

    /// <summary>The figure must be at least the goal.</summary>
    AtLeast,

    /// <summary>The figure must be at most the goal.</summary>
    AtMost,
}

/// <summary>One benchmark the suite runs: <c>arrowcid bench NAME ARGS --json</c>, or a program of another language's client.</summary>
/// <param name="Name">The benchmark's name in the suite (for ours, the <c>bench</c> subcommand).</param>
/// <param name="Arguments">Its arguments besides <c>--json</c>.</param>
/// <param name="Command">The command as a reader types it, for the table.</param>
/// <param name="External">Whether it is not one of <c>arrowcid bench</c>'s (the JS client's benchmark).</param>
public sealed record SuiteBench(string Name, IReadOnlyList<string> Arguments, string Command, bool External = false);

/// <summary>A figure of the performance table: where its value is in its benchmark's JSON, and its goal.</summary>
/// <param name="Area">The table's area column.</param>
/// <param name="Name">The figure's JSON name (with a note in parentheses where one JSON name is several figures).</param>
/// <param name="Bench">The benchmark it comes from.</param>
/// <param name="Read">Its value in the benchmark's JSON, or null when the run did not give it.</param>
/// <param name="Kind">How the goal judges it.</param>
/// <param name="Goal">The goal's bound.</param>
public sealed record SuiteFigure(string Area, string Name, string Bench, Func<JsonElement, double?> Read, GoalKind Kind = GoalKind.None, double Goal = 0)
{
    /// <summary>The goal as the table writes it.</summary>
    public string GoalText => Kind switch
    {
        GoalKind.AtLeast => "≥ " + Goal.ToString("G", CultureInfo.InvariantCulture),
        GoalKind.AtMost => "≤ " + Goal.ToString("G", CultureInfo.InvariantCulture),
        _ => "—",
    };

    /// <summary>Whether <paramref name="value"/> meets the goal (null without one).</summary>
    public bool? Meets(double value) => Kind switch
    {
        GoalKind.AtLeast => value >= Goal,
        GoalKind.AtMost => value <= Goal,
        _ => null,
    };

    /// <summary>The worst of <paramref name="values"/> by the goal's direction (the smallest for "at least").</summary>
    public double Worst(IReadOnlyCollection<double> values) => Kind == GoalKind.AtMost ? values.Max() : values.Min();
}

/// <summary>One run of one benchmark.</summary>
/// <param name="Bench">The benchmark.</param>
/// <param name="Round">The round, from 1.</param>
/// <param name="Seconds">Its wall time.</param>
/// <param name="LoadStart">The one-minute load average as it started.</param>
/// <param name="LoadEnd">The one-minute load average as it ended.</param>
/// <param name="Output">Its JSON, or null when it failed or was skipped.</param>
/// <param name="Error">Why it gave no JSON, or null.</param>
/// <param name="Skipped">Whether it could not run here at all (a peer or a bucket missing): no failure.</param>
public sealed record SuiteRun(string Bench, int Round, double Seconds, double LoadStart, double LoadEnd, JsonElement? Output, string? Error, bool Skipped = false);

/// <summary>A figure over every round: each run's value, their median, least and greatest.</summary>
/// <param name="Figure">The figure.</param>
/// <param name="Values">Each round's value, in order (rounds whose run failed are left out).</param>
public sealed record SuiteResult(SuiteFigure Figure, IReadOnlyList<double> Values)
{
    /// <summary>The median (the upper middle of an even count), or null without values.</summary>
    public double? Median => Values.Count == 0 ? null : BenchClock.Median(Values);

    /// <summary>The least value, or null without values.</summary>
    public double? Min => Values.Count == 0 ? null : Values.Min();

    /// <summary>The greatest value, or null without values.</summary>
    public double? Max => Values.Count == 0 ? null : Values.Max();

    /// <summary>Whether the median meets the goal.</summary>
    public bool? Met => Median is { } median ? Figure.Meets(median) : null;

    /// <summary>Whether the worst run meets the goal too.</summary>
    public bool? WorstMet => Values.Count == 0 ? null : Figure.Meets(Figure.Worst(Values));
}

/// <summary>
/// Every benchmark the performance table quotes, run the same way each time: each in a process of
/// its own, one after another (nothing of ours beside it), all of them once a round and the rounds
/// one after another, so a figure's runs are interleaved with every other benchmark's and a slow
/// spell of the machine falls on several benchmarks, not on every run of one. Each figure is
/// reported as its median, least and greatest, with the load average beside each run.
/// docs/performance.md's table is what <c>arrowcid bench all</c> prints.
/// </summary>
public static class BenchSuite
{
    /// <summary>The benchmarks, in the order each round runs them.</summary>
    public static IReadOnlyList<SuiteBench> Benches { get; } =
    [
        new("ipc", ["--size-mib", "256"], "bench ipc --size-mib 256"),
        new("cid", [], "bench cid"),
        new("chunk", [], "bench chunk"),
        new("dedup", [], "bench dedup"),
        new("shm", [], "bench shm"),
        new("native", [], "bench native"),
        new("flight", [], "bench flight"),
        new("parquet", ["--runs", "3"], "bench parquet --runs 3"),
        new("http", [], "bench http"),
        new("ingest", [], "bench ingest"),
        new("sql", [], "bench sql"),
        new("names", [], "bench names"),
        new("s3", [], "bench s3 --blocks s3://BUCKET/"),
        new("js-cid", [], "node clients/js/bench/cid.mjs --json", External: true),
    ];

    /// <summary>The figures of the performance table, in its order.</summary>
    public static IReadOnlyList<SuiteFigure> Figures { get; } =
    [
        new("IPC", "write_to_memcpy", "ipc", Path("write_to_memcpy"), GoalKind.AtLeast, 0.5),
        new("IPC", "map_open_ratio", "ipc", Path("map_open_ratio"), GoalKind.AtMost, 2),
        new("IPC", "write_ratio_vs_apache", "ipc", Path("write_ratio_vs_apache")),
        new("IPC", "read_ratio_vs_apache", "ipc", Path("read_ratio_vs_apache")),
        new("CID", "ratio", "cid", Path("ratio"), GoalKind.AtLeast, 0.9),
        new("CID", "put_ratio", "cid", Path("put_ratio"), GoalKind.AtLeast, 0.85),
        new("Chunking", "append_new_ratio", "chunk", Path("append_new_ratio"), GoalKind.AtMost, 0.02),
        new("Chunking", "insert_new_ratio", "chunk", Path("insert_new_ratio"), GoalKind.AtMost, 0.03),
        new("Chunking", "delete_new_ratio", "chunk", Path("delete_new_ratio"), GoalKind.AtMost, 0.03),
        new("Chunking", "update_new_ratio", "chunk", Path("update_new_ratio"), GoalKind.AtMost, 0.25),
        new("Chunking", "row_hash_ratio_vs_sha256", "chunk", Path("row_hash_ratio_vs_sha256"), GoalKind.AtLeast, 1),
        new("Chunking", "cid_ratio_vs_sha256 (256 MiB)", "chunk", Path("cid_ratio_vs_sha256")),
        new("Put path", "put_ratio_vs_sha256 (1 GiB)", "dedup", Path("put_ratio_vs_sha256"), GoalKind.AtLeast, 0.7),
        new("Put path", "cid_ratio_vs_sha256 (1 GiB)", "dedup", Path("cid_ratio_vs_sha256"), GoalKind.AtLeast, 0.85),
        new("Put path", "cid_ratio_vs_sha256_one_thread", "dedup", Path("cid_ratio_vs_sha256_one_thread")),
        new("Put path", "sha256_gbps", "dedup", Path("sha256_gbps")),
        new("Put path", "update_new_ratio (1 GiB)", "dedup", Path("update_new_ratio"), GoalKind.AtMost, 0.25),
        new("Shared memory", "roundtrips_per_s_1kib", "shm", Path("roundtrips_per_s_1kib"), GoalKind.AtLeast, 150_000),
        new("Shared memory", "publisher_cpu_us_per_roundtrip", "shm", Path("publisher_cpu_us_per_roundtrip"), GoalKind.AtMost, 3),
        new("Shared memory", "peer_cpu_us_per_roundtrip", "shm", Path("peer_cpu_us_per_roundtrip"), GoalKind.AtMost, 3),
        new("Shared memory", "notify_p50_us", "shm", Path("notify_p50_us"), GoalKind.AtMost, 20),
        new("Shared memory", "notify_p99_us", "shm", Path("notify_p99_us"), GoalKind.AtMost, 100),
        new("Shared memory", "attach_ratio_1gib_vs_1kib", "shm", Path("attach_ratio_1gib_vs_1kib"), GoalKind.AtMost, 1.5),
        new("Shared memory", "attach_read_gbps", "shm", Path("attach_read_gbps")),
        new("Shared memory", "attach_read_verified_gbps", "shm", Path("attach_read_verified_gbps")),
        new("Shared memory", "publish_ratio_vs_sha256", "shm", Path("publish_ratio_vs_sha256"), GoalKind.AtLeast, 0.6),
        new("Shared memory", "publish_ratio_vs_sha256_one_thread", "shm", Path("publish_ratio_vs_sha256_one_thread")),
        new("libarrowcid", "native_cid_ratio_vs_sha256", "native", Path("native_cid_ratio_vs_sha256"), GoalKind.AtLeast, 0.85),
        new("libarrowcid", "native_cid_ratio_vs_sha256_one_thread", "native", Path("native_cid_ratio_vs_sha256_one_thread")),
        new("libarrowcid", "native_put_ratio_vs_cs", "native", Path("native_put_ratio_vs_cs"), GoalKind.AtLeast, 0.8),
        new("libarrowcid", "native_attach_ratio_1g_vs_1k", "native", Path("native_attach_ratio_1g_vs_1k"), GoalKind.AtMost, 1.5),
        new("libarrowcid", "native_notify_p50_us", "native", Path("native_notify_p50_us"), GoalKind.AtMost, 50),
        new("Flight", "doget_ratio", "flight", Path("doget_ratio"), GoalKind.AtLeast, 0.6),
        new("Flight", "doget_cpu_s_per_gb (over socket_cpu_s_per_gb)", "flight", Quotient("doget_cpu_s_per_gb", "socket_cpu_s_per_gb"), GoalKind.AtMost, 1.5),
        new("Flight", "doput_ratio_vs_put", "flight", Path("doput_ratio_vs_put"), GoalKind.AtLeast, 0.5),
        new("Flight", "doget_server_cpu_ratio_vs_apache", "flight", Path("doget_server_cpu_ratio_vs_apache"), GoalKind.AtMost, 0.5),
        new("Flight", "apache_batches_gbps_ratio", "flight", Path("apache_batches_gbps_ratio"), GoalKind.AtLeast, 3),
        new("Flight", "metrics_overhead_ratio", "flight", Path("metrics_overhead_ratio"), GoalKind.AtMost, 1.02),
        new("Parquet", "export_ratio_vs_duckdb", "parquet", Path("export_ratio_vs_duckdb"), GoalKind.AtMost, 0.7),
        new("Parquet", "export_ratio_vs_parquetsharp", "parquet", Path("export_ratio_vs_parquetsharp"), GoalKind.AtMost, 0.8),
        new("Parquet", "time_ratio_vs_duckdb (snappy)", "parquet", Path("codecs", "snappy", "time_ratio_vs_duckdb"), GoalKind.AtMost, 1),
        new("Parquet", "size_ratio_vs_duckdb (zstd)", "parquet", Path("codecs", "zstd", "size_ratio_vs_duckdb"), GoalKind.AtMost, 1.1),
        new("HTTP", "stream_ratio_vs_socket", "http", Path("stream_ratio_vs_socket"), GoalKind.AtLeast, 0.6),
        new("HTTP", "block_rps_ratio_vs_nginx", "http", Path("block_rps_ratio_vs_nginx"), GoalKind.AtLeast, 0.8),
        new("Ingestion", "puts_per_s_16", "ingest", Path("puts_per_s_16"), GoalKind.AtLeast, 5_000),
        new("Ingestion", "puts_16_vs_fsync", "ingest", Path("puts_16_vs_fsync"), GoalKind.AtLeast, 1),
        new("Ingestion", "puts_1_vs_fsync", "ingest", Path("puts_1_vs_fsync"), GoalKind.AtLeast, 0.5),
        new("Ingestion", "space_ratio", "ingest", Path("space_ratio"), GoalKind.AtMost, 1.2),
        new("SQL", "query_ratio_vs_duckdb_parquet", "sql", Path("query_ratio_vs_duckdb_parquet"), GoalKind.AtMost, 1),
        new("SQL", "scan_ratio_vs_duckdb_parquet", "sql", Path("scan_ratio_vs_duckdb_parquet"), GoalKind.AtMost, 1),
        new("SQL", "join_ratio_vs_duckdb_parquet", "sql", Path("join_ratio_vs_duckdb_parquet"), GoalKind.AtMost, 1),
        new("SQL", "first_batch_ms_flight_sql", "sql", Path("first_batch_ms_flight_sql"), GoalKind.AtMost, 20),
        new("SQL", "cached_result_ratio", "sql", Path("cached_result_ratio"), GoalKind.AtMost, 0.05),
        new("Names", "publish_ms_p50", "names", Path("publish_ms_p50"), GoalKind.AtMost, 2),
        new("Names", "resolve_verify_ms_p50", "names", Path("resolve_verify_ms_p50"), GoalKind.AtMost, 20),
        new("Object storage", "put_ratio_vs_raw_put", "s3", Path("put_ratio_vs_raw_put"), GoalKind.AtLeast, 0.8),
        new("Object storage", "cold_get_ratio_vs_raw_get", "s3", Path("cold_get_ratio_vs_raw_get"), GoalKind.AtLeast, 0.8),
        new("Object storage", "warm_doget_ratio_vs_local", "s3", Path("warm_doget_ratio_vs_local"), GoalKind.AtLeast, 0.9),
        new("Object storage", "small_puts_per_s_16_vs_raw_put", "s3", Path("small_puts_per_s_16_vs_raw_put"), GoalKind.AtLeast, 3),
        new("Object storage", "cache_hit_ratio_vs_optimum", "s3", Path("cache_hit_ratio_vs_optimum"), GoalKind.AtLeast, 0.9),
        new("JS client", "cid_ratio_vs_sha256 (JS)", "js-cid", Path("cid_ratio_vs_sha256"), GoalKind.AtLeast, 0.5),
        new("JS client", "cid_ratio_vs_sha256_one_thread (JS)", "js-cid", Path("cid_ratio_vs_sha256_one_thread")),
    ];

    /// <summary>
    /// Runs the benchmarks <paramref name="rounds"/> times, each round every one in turn.
    /// </summary>
    /// <param name="benches">The benchmarks to run (a selection of <see cref="Benches"/>).</param>
    /// <param name="rounds">How many rounds.</param>
    /// <param name="start">The process of a benchmark's run (stdout its JSON), or null with the reason it cannot run here.</param>
    /// <param name="progress">Told of each run as it ends.</param>
    /// <returns>Every run, and every figure of the benchmarks run.</returns>
    public static (IReadOnlyList<SuiteRun> Runs, IReadOnlyList<SuiteResult> Figures) Run(
        IReadOnlyList<SuiteBench> benches, int rounds, Func<SuiteBench, (ProcessStartInfo? Start, string? Skipped)> start, Action<SuiteRun> progress)
    {
        ArgumentNullException.ThrowIfNull(benches);
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var runs = new List<SuiteRun>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var bench in benches)
            {
                var run = RunOne(bench, round, start);
                runs.Add(run);
                progress(run);
            }
        }

        var names = benches.Select(b => b.Name).ToHashSet(StringComparer.Ordinal);
        var figures = Figures.Where(f => names.Contains(f.Bench)).Select(f => new SuiteResult(
            f,
            [.. runs.Where(r => r.Bench == f.Bench).Select(r => r.Output is { } output ? f.Read(output) : null).OfType<double>()])).ToList();
        return (runs, figures);
    }

    /// <summary>
    /// How a benchmark of the suite is started here: ours through <paramref name="arrowcid"/> with
    /// <c>--json</c>; <c>s3</c> against <paramref name="s3"/> (skipped without one); the JS client's
    /// through <paramref name="node"/> (or node on PATH) in <paramref name="jsFolder"/> (skipped
    /// when either is missing or its packages are not installed).
    /// </summary>
    /// <param name="bench">The benchmark.</param>
    /// <param name="arrowcid">The start of an arrowcid process with the given arguments.</param>
    /// <param name="s3">The bucket for <c>bench s3</c> (<c>s3://BUCKET/PREFIX</c>), or null.</param>
    /// <param name="node">The node program, or null for node on PATH.</param>
    /// <param name="jsFolder">The JS client's folder (clients/js), or null.</param>
    /// <returns>The process to start, or null with why it cannot run here.</returns>
    public static (ProcessStartInfo? Start, string? Skipped) StartInfo(SuiteBench bench, Func<IEnumerable<string>, ProcessStartInfo> arrowcid, string? s3, string? node, string? jsFolder)
    {
        ArgumentNullException.ThrowIfNull(bench);
        ArgumentNullException.ThrowIfNull(arrowcid);
        if (!bench.External)
        {
            if (bench.Name == "s3" && s3 is null)
            {
                return (null, "no bucket: give --s3 s3://BUCKET/PREFIX");
            }

            string[] extra = bench.Name == "s3" ? ["--blocks", s3!] : [];
            return (arrowcid(["bench", bench.Name, .. bench.Arguments, .. extra, "--json"]), null);
        }

        string? program = node ?? ExternalTool.Find("node");
        if (program is null)
        {
            return (null, "node is not on PATH: give --node");
        }

        if (jsFolder is null || !File.Exists(System.IO.Path.Combine(jsFolder, "bench", "cid.mjs")))
        {
            return (null, "the JS client's folder (clients/js) is not here: run from the repository or give --js");
        }

        if (!Directory.Exists(System.IO.Path.Combine(jsFolder, "node_modules", "apache-arrow")))
        {
            return (null, $"the JS client's packages are not installed: run npm ci in {jsFolder}");
        }

        return (new ProcessStartInfo(program, ["bench/cid.mjs", "--json"]) { WorkingDirectory = jsFolder }, null);
    }

    /// <summary>A figure as the performance table prints it: three significant digits, thousands
    /// grouped (0.941, 1.44, 11.9, 356,701).</summary>
    public static string FormatFigure(double value) => Math.Abs(value) >= 1000
        ? value.ToString("N0", CultureInfo.InvariantCulture)
        : value.ToString(Math.Abs(value) >= 100 ? "0" : Math.Abs(value) >= 10 ? "0.0" : Math.Abs(value) >= 1 ? "0.00" : "G3", CultureInfo.InvariantCulture);

    /// <summary>The one-minute load average (<c>/proc/loadavg</c>), or NaN where there is none.</summary>
    public static double LoadAverage()
    {
        try
        {
            string text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.AsSpan(0, text.IndexOf(' ', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return double.NaN;
        }
    }

    private static SuiteRun RunOne(SuiteBench bench, int round, Func<SuiteBench, (ProcessStartInfo? Start, string? Skipped)> start)
    {
        var (info, skipped) = start(bench);
        double load = LoadAverage();
        if (info is null)
        {
            return new SuiteRun(bench.Name, round, 0, load, load, null, skipped ?? "cannot run here", Skipped: true);
        }

        long began = Stopwatch.GetTimestamp();
        string output, error;
        int exit;
        try
        {
            (output, error, exit) = ExternalTool.Run(info);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new SuiteRun(bench.Name, round, 0, load, LoadAverage(), null, $"{info.FileName}: {e.Message}");
        }

        double seconds = Stopwatch.GetElapsedTime(began).TotalSeconds;
        double loadEnd = LoadAverage();
        if (exit != 0)
        {
            return new SuiteRun(bench.Name, round, seconds, load, loadEnd, null, $"exit {exit}: {LastLine(error)}");
        }

        try
        {
            using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
            return new SuiteRun(bench.Name, round, seconds, load, loadEnd, json.RootElement.Clone(), null);
        }
        catch (Exception e) when (e is JsonException or ArgumentOutOfRangeException)
        {
            return new SuiteRun(bench.Name, round, seconds, load, loadEnd, null, $"its output is not one JSON object: {LastLine(output)}");
        }
    }

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "(nothing printed)";

    // A number at a path of object members, or null when the run did not give it.
    private static Func<JsonElement, double?> Path(params string[] members) => json =>
    {
        JsonElement node = json;
        foreach (string member in members)
        {
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(member, out node))
            {
                return null;
            }
        }

        return node.ValueKind == JsonValueKind.Number ? node.GetDouble() : null;
    };

    private static Func<JsonElement, double?> Quotient(string numerator, string denominator) => json =>
        Path(numerator)(json) is { } n && Path(denominator)(json) is { } d && d != 0 ? n / d : null;
}
