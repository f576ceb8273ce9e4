using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchChunkCommandTests
{
    [Fact]
    public void Bench_chunk_json_reports_throughputs_ratios_and_edit_costs()
    {
        var result = CliRun.Run("bench", "chunk", "--size-mib", "4", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        Assert.True(json["chunks"]!.GetValue<int>() > 4);
        Assert.True(json["chunk_bytes"]!.GetValue<long>() > 3 << 20);
        foreach (string key in new[] { "chunk", "row_hash", "cid", "cid_inline" })
        {
            double gbps = json[$"{key}_gbps"]!.GetValue<double>();
            Assert.True(gbps > 0, key);
            Assert.Equal(gbps / json["sha256_gbps"]!.GetValue<double>(), json[$"{key}_ratio_vs_sha256"]!.GetValue<double>(), 0.01);
        }

        foreach (string edit in new[] { "append", "insert", "delete", "update" })
        {
            Assert.InRange(json[$"{edit}_new_ratio"]!.GetValue<double>(), 0.0, 1.0);
        }

        Assert.True(json["append_new_chunks"]!.GetValue<int>() >= 1);
        Assert.True(json["chunk_size_max"]!.GetValue<long>() <= 1 << 20);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("99999")]
    public void Bench_chunk_size_out_of_range_is_a_usage_error(string size) =>
        Assert.Equal(2, CliRun.Run("bench", "chunk", "--size-mib", size).ExitCode);
}
