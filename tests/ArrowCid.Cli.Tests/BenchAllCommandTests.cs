using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ArrowCid.Bench;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary><c>bench all</c>: every benchmark of the performance table, interleaved over rounds, each figure's median, least and greatest.</summary>
public sealed partial class BenchAllCommandTests
{
    [Fact]
    public void Each_figure_is_the_median_least_and_greatest_of_its_rounds_and_a_failed_run_is_named()
    {
        var benches = BenchSuite.Benches.Where(b => b.Name is "names" or "sql").ToList();
        int calls = 0;
        var order = new List<string>();
        var (runs, figures) = BenchSuite.Run(benches, 3, bench =>
        {
            order.Add(bench.Name);
            if (bench.Name == "sql")
            {
                return (Shell("echo 'duckdb is missing' >&2; exit 1"), null);
            }

            calls++;
            // Rounds give 2.5, 0.5, 1 ms: the median 1 meets the goal (2 ms), the worst round does not.
            double publish = calls switch { 1 => 2.5, 2 => 0.5, _ => 1 };
            return (Shell($"echo 'note before'; echo '{{\"publish_ms_p50\": {publish}, \"resolve_verify_ms_p50\": 30}}'"), null);
        }, _ => { });

        // Every benchmark once a round, in the suite's order.
        string[] round = [.. benches.Select(b => b.Name)];
        Assert.Equal([.. round, .. round, .. round], order);
        var publishFigure = figures.Single(f => f.Figure.Name == "publish_ms_p50");
        Assert.Equal([2.5, 0.5, 1.0], publishFigure.Values);
        Assert.Equal(1.0, publishFigure.Median);
        Assert.True(publishFigure.Met);
        Assert.False(publishFigure.WorstMet);
        var resolveFigure = figures.Single(f => f.Figure.Name == "resolve_verify_ms_p50");
        Assert.False(resolveFigure.Met);
        Assert.Empty(figures.Single(f => f.Figure.Name == "cached_result_ratio").Values);
        Assert.All(runs.Where(r => r.Bench == "sql"), r => Assert.Contains("exit 1: duckdb is missing", r.Error, StringComparison.Ordinal));
        Assert.All(runs.Where(r => r.Bench == "names"), r => Assert.Null(r.Error));
    }

    [Fact]
    public async Task Bench_all_json_runs_the_benchmarks_asked_for_and_skips_what_cannot_run_here()
    {
        // The real program, which starts itself for each benchmark.
        using var scratch = new TempFolder();
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost,
            [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "bench", "all", "--only", "names,s3", "--rounds", "2", "--json"]);
        start.Environment["ARROWCID_REPO"] = Path.Combine(scratch.Path, "repo");
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(2, json["rounds"]!.GetValue<int>());
        var runs = json["runs"]!.AsArray();
        Assert.Equal(["names", "s3", "names", "s3"], runs.Select(r => r!["bench"]!.GetValue<string>()));
        Assert.All(runs.Where(r => r!["bench"]!.GetValue<string>() == "s3"), r => Assert.True(r!["skipped"]!.GetValue<bool>()));
        var publish = json["figures"]!.AsArray().Single(f => f!["figure"]!.GetValue<string>() == "publish_ms_p50")!;
        var values = publish["values"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        Assert.Equal(2, values.Count);
        Assert.Equal(values.Min(), publish["min"]!.GetValue<double>());
        Assert.Equal(values.Max(), publish["max"]!.GetValue<double>());
        Assert.Equal("≤ 2", publish["goal"]!.GetValue<string>());
        Assert.Contains("round 2/2 names", result.Stderr, StringComparison.Ordinal);
        // Each run keeps its benchmark's own JSON, the fields the table leaves out too.
        var firstNames = runs.First(r => r!["bench"]!.GetValue<string>() == "names")!;
        Assert.Equal(values[0], firstNames["output"]!["publish_ms_p50"]!.GetValue<double>());
        Assert.NotNull(firstNames["output"]!["chain_versions"]);
        Assert.Empty(Directory.EnumerateDirectories(scratch.Path));

        // The saved report printed again as the performance table, nothing run.
        string saved = Path.Combine(scratch.Path, "report.json");
        await File.WriteAllTextAsync(saved, result.Stdout);
        var table = CliRun.Run("bench", "all", "--from", saved);
        Assert.True(table.ExitCode == 0, table.Error);
        string median = BenchSuite.FormatFigure(publish["median"]!.GetValue<double>());
        Assert.Contains($"| Names | `publish_ms_p50` | **{median}** | {BenchSuite.FormatFigure(values.Min())} – {BenchSuite.FormatFigure(values.Max())} | ≤ 2 |", table.Out, StringComparison.Ordinal);
        Assert.Contains("no bucket: give --s3", table.Out, StringComparison.Ordinal);
        Assert.Contains("`arrowcid bench all --rounds 2`", table.Out, StringComparison.Ordinal);

        await File.WriteAllTextAsync(saved, "{\"rounds\": \"two\"}");
        var refused = CliRun.Run("bench", "all", "--from", saved);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("report.json", refused.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.94123, "0.941")]
    [InlineData(1.436, "1.44")]
    [InlineData(26.79, "26.8")]
    [InlineData(356.7, "357")]
    [InlineData(356701.2, "356,701")]
    public void A_figure_is_printed_with_three_significant_digits(double value, string printed)
    {
        Assert.Equal(printed, BenchSuite.FormatFigure(value));
    }

    [Fact]
    public void An_unknown_benchmark_is_a_usage_error()
    {
        var result = CliRun.Run("bench", "all", "--only", "names,nonesuch");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("nonesuch", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_figure_of_the_suite_is_a_row_of_the_performance_table_and_every_row_comes_from_the_suite()
    {
        string table = File.ReadAllText(Path.Combine(RepositoryPaths.Root ?? throw new InvalidOperationException("no repository root"), "docs", "performance.md"));
        var rows = Row().Matches(table).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.Empty(BenchSuite.Figures.Select(f => f.Name).Except(rows));
        Assert.Empty(rows.Except(BenchSuite.Figures.Select(f => f.Name)));
        Assert.All(BenchSuite.Figures, f => Assert.Contains(BenchSuite.Benches, b => b.Name == f.Bench));
    }

    // The table's numbers for values under 10: three significant digits.
    private static ProcessStartInfo Shell(string script) => new("/bin/sh", ["-c", script]);

    // A row of the current figures' table: `| area | `figure` | **median** |`.
    [GeneratedRegex(@"^\| [^|]+ \| `([^`]+)` \| \*\*", RegexOptions.Multiline)]
    private static partial Regex Row();
}
