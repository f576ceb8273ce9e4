using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchNamesCommandTests
{
    [Fact]
    public void Bench_names_json_reports_publish_and_resolve_figures_and_removes_its_folder()
    {
        using var parent = new TempFolder();

        var result = CliRun.Run("bench", "names", "--json", "--dir", parent.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        foreach (string key in new[] { "publish_ms_p50", "publish_ms_p90", "resolve_verify_ms_p50" })
        {
            Assert.True(json[key]!.GetValue<double>() > 0, key);
        }

        Assert.True(json["publish_ms_p90"]!.GetValue<double>() >= json["publish_ms_p50"]!.GetValue<double>());
        Assert.Equal(100, json["chain_versions"]!.GetValue<int>());
        Assert.Equal(json["publish_ms_p50"]!.GetValue<double>() <= 2, json["publish_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["resolve_verify_ms_p50"]!.GetValue<double>() <= 20, json["resolve_goal_met"]!.GetValue<bool>());
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent.Path));
    }
}
