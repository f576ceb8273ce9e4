using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchIngestCommandTests
{
    [Fact]
    public void Bench_ingest_json_reports_every_measure_after_a_warm_up_at_least_as_long_as_each_and_removes_its_folder()
    {
        using var parent = new TempFolder();

        var result = CliRun.Run("bench", "ingest", "--json", "--dir", parent.Path, "--seconds", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        foreach (string key in new[] { "warmup_s_1", "warmup_s_16" })
        {
            // At least the measure's length, at most ten times it (the cap for short runs) plus the last slice's stragglers.
            Assert.InRange(json[key]!.GetValue<double>(), 1.0, 12.0);
        }

        foreach (string key in new[] { "jit_methods_in_measure_1", "jit_methods_in_measure_16" })
        {
            Assert.True(json[key]!.GetValue<long>() >= 0, key);
        }

        foreach (string key in new[] { "fsync_appends_per_s", "puts_per_s_1", "cpu_us_per_put_1", "puts_per_s_16", "cpu_us_per_put_16", "space_ratio" })
        {
            Assert.True(json[key]!.GetValue<double>() > 0, key);
        }

        Assert.True(json["puts_16"]!.GetValue<long>() >= json["group_commits_16"]!.GetValue<long>());
        Assert.True(json["gc_collections_16"]!.GetValue<int>() >= 0);
        // Group commits take time (a sync each), and the longest is at least the mean.
        double commitMs = json["commit_ms_per_group_16"]!.GetValue<double>();
        Assert.True(commitMs > 0, "commit_ms_per_group_16");
        Assert.True(json["longest_commit_ms_16"]!.GetValue<double>() >= commitMs * 0.999, "longest_commit_ms_16");
        // A share of the measure's wall time: the pauses are part of it.
        Assert.InRange(json["gc_pause_share_16"]!.GetValue<double>(), 0.0, 1.0);
        double ratio = json["puts_per_s_1"]!.GetValue<double>() / json["fsync_appends_per_s"]!.GetValue<double>();
        Assert.InRange(json["puts_1_vs_fsync"]!.GetValue<double>(), (ratio * 0.999) - 0.0001, (ratio * 1.001) + 0.0001);
        Assert.Equal(json["puts_1_vs_fsync"]!.GetValue<double>() >= 0.5, json["single_goal_met"]!.GetValue<bool>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent.Path));
    }
}
