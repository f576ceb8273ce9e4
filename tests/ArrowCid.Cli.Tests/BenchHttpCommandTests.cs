using System.Text.Json.Nodes;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

[Trait("Category", "Peers")]
public sealed class BenchHttpCommandTests(ITestOutputHelper output)
{
    private static readonly string[] BlockFigures = ["gateway_block_rps", "nginx_block_rps", "block_rps_ratio_vs_nginx", "gateway_cpu_us_per_block", "nginx_cpu_us_per_block"];

    [Fact]
    public void Bench_http_json_reports_stream_and_block_figures_with_consistent_ratios()
    {
        var result = CliRun.Run("bench", "http", "--json", "--size-mib", "2", "--blocks", "8", "--seconds", "1", "--rounds", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        Assert.True(json["table_bytes"]!.GetValue<long>() > 1 << 20, result.Out);
        Assert.True(json["chunks"]!.GetValue<int>() > 1, result.Out);
        Assert.True(json["stream_bytes"]!.GetValue<long>() > 1 << 20, result.Out);
        double stream = json["stream_gbps"]!.GetValue<double>();
        double socket = json["socket_gbps"]!.GetValue<double>();
        Assert.True(stream > 0 && socket > 0, result.Out);
        // Within a tolerance, not "to 2 places": the ratio and its parts are rounded apart, so
        // rounding both again can land either side of a .005 boundary (0.94501 against 0.9449).
        Assert.Equal(stream / socket, json["stream_ratio_vs_socket"]!.GetValue<double>(), 0.01);
        Assert.Equal(16, json["connections"]!.GetValue<int>());
        Assert.Equal(262_144, json["block_bytes"]!.GetValue<int>());
        Assert.True(int.Parse(json["machine"]!["cores"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > 0, result.Out);

        string? skipped = json["blocks_skipped"]?.GetValue<string>();
        if (skipped is not null)
        {
            // wrk or nginx is missing here: the figures it would give are null, and the JSON says why.
            output.WriteLine(CiEnvironment.SkipOrFail(skipped));
            Assert.Null(json["block_rps_ratio_vs_nginx"]);
            Assert.Null(json["nginx_block_rps"]);
            return;
        }

        foreach (string figure in BlockFigures)
        {
            Assert.True(json[figure]!.GetValue<double>() > 0, $"{figure}: {result.Out}");
        }

        Assert.Equal(json["gateway_block_rps"]!.GetValue<double>() / json["nginx_block_rps"]!.GetValue<double>(), json["block_rps_ratio_vs_nginx"]!.GetValue<double>(), 0.01);
        Assert.StartsWith("nginx version", json["machine"]!["nginx"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Bench_http_prints_every_measure_without_json()
    {
        var result = CliRun.Run("bench", "http", "--size-mib", "1", "--blocks", "2", "--seconds", "1", "--rounds", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("raw TCP socket", result.Out, StringComparison.Ordinal);
        Assert.Contains("Arrow stream over HTTP", result.Out, StringComparison.Ordinal);
        Assert.Contains("raw blocks:", result.Out, StringComparison.Ordinal);
        Assert.Contains("machine: cores", result.Out, StringComparison.Ordinal);
    }
}
