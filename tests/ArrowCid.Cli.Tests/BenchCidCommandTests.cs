using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchCidCommandTests
{
    [Fact]
    public void Bench_cid_json_reports_throughputs_and_consistent_ratios()
    {
        var result = CliRun.Run("bench", "cid", "--size-mib", "2", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        Assert.True(json["input_was_canonical"]!.GetValue<bool>());
        Assert.True(json["canonical_bytes"]!.GetValue<long>() > 1 << 20);
        foreach (string key in new[] { "cid_gbps", "sha256_gbps", "cid_sliced_gbps", "put_gbps" })
        {
            Assert.True(json[key]!.GetValue<double>() > 0, key);
        }

        // Every figure is printed rounded to 4 decimals, so a ratio rebuilt from two of them differs
        // from the printed one by at most what that rounding can move a quotient (slow, loaded runs
        // give small throughputs, where a fixed number of decimals would not hold).
        double sha256 = json["sha256_gbps"]!.GetValue<double>();
        double ratio = json["cid_gbps"]!.GetValue<double>() / sha256;
        double tolerance = (1.1 * 0.00005 * (1 + ratio) / sha256) + 0.00005;
        Assert.InRange(json["ratio"]!.GetValue<double>(), ratio - tolerance, ratio + tolerance);
        Assert.Equal(json["ratio"]!.GetValue<double>() >= 0.9, json["ratio_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["put_ratio"]!.GetValue<double>() >= 0.85, json["put_goal_met"]!.GetValue<bool>());
    }

    [Fact]
    public void Bench_cid_table_names_every_measure()
    {
        var result = CliRun.Run("bench", "cid", "--size-mib", "1");

        Assert.Equal(0, result.ExitCode);
        foreach (string measure in new[] { "cid, canonical batch", "cid, sliced batch with nulls", "SHA-256 (IncrementalHash)", "put into" })
        {
            Assert.Contains(measure, result.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("99999")]
    public void Bench_cid_size_out_of_range_is_a_usage_error(string size) =>
        Assert.Equal(2, CliRun.Run("bench", "cid", "--size-mib", size).ExitCode);
}
