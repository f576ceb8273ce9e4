using System.Diagnostics;
using System.Text.Json.Nodes;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>bench scale --json</c> (issue 43), small: a repository of N tables next to one of 10, every
/// figure the issue names present and consistent; run as the real program, which starts itself
/// for the CLI gets, the node and <c>ls --json</c>.
/// </summary>
public sealed class BenchScaleTests
{
    [Fact]
    public async Task Bench_scale_json_measures_every_figure_on_both_repositories()
    {
        using var scratch = new TempFolder();
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost,
            [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "bench", "scale", "--json", "--blocks", "300", "--dir", scratch.Path]);
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(300, json["blocks"]!.GetValue<int>());
        Assert.Equal(300, json["listflights_count"]!.GetValue<long>());
        foreach (string figure in new[] { "open_ms", "get_us_p50", "cli_get_ms", "cli_get_ms_small", "serve_ready_ms", "listflights_s", "ls_json_peak_rss_mib", "gc_s", "gc_peak_rss_mib", "open_ms_after_gc", "cli_get_ms_after_gc", "verify_s", "verify_peak_rss_mib", "registry_bytes_per_table" })
        {
            Assert.True(json[figure]!.GetValue<double>() > 0, $"{figure}: {result.Stdout}");
        }

        double ratio = json["cli_get_ms"]!.GetValue<double>() / json["cli_get_ms_small"]!.GetValue<double>();
        Assert.Equal(ratio, json["cli_get_ratio_vs_small"]!.GetValue<double>(), (0.01 * ratio) + 0.001);

        // Every third table was put unpinned, and gc removed exactly those.
        Assert.Equal(100, json["gc_removed_tables"]!.GetValue<long>());

        // The scratch folder holds nothing afterwards: both repositories were removed.
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch.Path));
    }
}
