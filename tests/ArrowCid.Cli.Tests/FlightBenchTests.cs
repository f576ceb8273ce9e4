using System.Diagnostics;
using System.Text.Json.Nodes;
using ArrowCid.TestSupport;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>bench flight --json</c> measures our node and client against the standard .NET Flight server and
/// client, in a peer process: run as the real program, which starts itself as that peer.
/// </summary>
public sealed class FlightBenchTests
{
    [Fact]
    public async Task Bench_flight_json_has_the_Apache_comparison_with_consistent_ratios()
    {
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost,
            [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "bench", "flight", "--json", "--size-mib", "2", "--rounds", "1"]);
        var result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(5));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = JsonNode.Parse(result.Stdout)!;
        double ours = json["doget_server_cpu_s_per_gb"]!.GetValue<double>();
        double apache = json["apache_server_cpu_s_per_gb"]!.GetValue<double>();
        Assert.True(ours > 0 && apache > 0, result.Stdout);
        Assert.Equal(ours / apache, json["doget_server_cpu_ratio_vs_apache"]!.GetValue<double>(), (0.02 * ours / apache) + 0.01);
        double client = json["our_client_apache_batches_gbps"]!.GetValue<double>();
        double theirs = json["apache_client_gbps"]!.GetValue<double>();
        Assert.True(client > 0 && theirs > 0, result.Stdout);
        Assert.Equal(client / theirs, json["apache_batches_gbps_ratio"]!.GetValue<double>(), (0.02 * client / theirs) + 0.01);

        // Metrics on against off: a ratio of two CPU figures, with its goal judged from it.
        double overhead = json["metrics_overhead_ratio"]!.GetValue<double>();
        Assert.True(overhead > 0, result.Stdout);
        Assert.Equal(overhead <= 1.02, json["metrics_goal_met"]!.GetValue<bool>());
    }
}
