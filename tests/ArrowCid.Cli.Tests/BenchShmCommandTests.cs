using System.Diagnostics;
using System.Text.Json.Nodes;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary><c>bench shm --json</c>: run as the real program, which starts itself as the peer process.</summary>
public sealed class BenchShmCommandTests
{
    [Fact]
    public async Task Bench_shm_json_reports_round_trips_latency_attach_and_publish_with_goals_that_follow_the_figures()
    {
        // Small sizes: what is checked is that both processes ran every phase (the peer answers
        // each), three runs of round trips among them, and that the report is consistent.
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost,
            [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "bench", "shm", "--json", "--round-trips", "300", "--attach-mib", "2", "--publish-mib", "1"]);
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout)!;
        Assert.Equal(300, json["roundtrips"]!.GetValue<int>());
        foreach (string key in new[] { "roundtrips_per_s_1kib", "publisher_cpu_us_per_roundtrip", "peer_cpu_us_per_roundtrip", "notify_p50_us", "notify_p99_us", "attach_read_gbps", "publish_ratio_vs_sha256" })
        {
            Assert.True(json[key]!.GetValue<double>() > 0, key);
        }

        double publisher = json["publisher_cpu_us_per_roundtrip"]!.GetValue<double>();
        double peer = json["peer_cpu_us_per_roundtrip"]!.GetValue<double>();
        Assert.Equal(publisher <= 3 && peer <= 3, json["roundtrip_cpu_goal_met"]!.GetValue<bool>());
        Assert.True(json["notify_p50_us"]!.GetValue<double>() <= json["notify_p99_us"]!.GetValue<double>());
    }
}
