using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchDedupCommandTests
{
    private static readonly string[] Edits = ["append", "insert", "delete", "update"];

    [Fact]
    public void Bench_dedup_json_reports_edit_costs_chunk_sizes_and_consistent_ratios()
    {
        var result = CliRun.Run("bench", "dedup", "--size-mib", "8", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        long chunkBytes = json["chunk_bytes"]!.GetValue<long>();
        int chunks = json["chunks"]!.GetValue<int>();
        Assert.True(chunkBytes > 6 << 20, result.Out);
        Assert.True(chunks > 8, result.Out);
        Assert.True(json["manifest_nodes"]!.GetValue<int>() >= 1, result.Out);
        // The table's blocks are its chunks and its manifest nodes.
        Assert.True(json["table_bytes"]!.GetValue<long>() > chunkBytes, result.Out);

        long table = json["table_bytes"]!.GetValue<long>();
        foreach (string edit in Edits)
        {
            long fresh = json[$"{edit}_new_bytes"]!.GetValue<long>();
            // At least a new chunk and the new root.
            Assert.True(fresh > 0, edit);
            Assert.True(json[$"{edit}_new_blocks"]!.GetValue<int>() >= 2, edit);
            Assert.Equal(fresh / (double)table, json[$"{edit}_new_ratio"]!.GetValue<double>(), 0.0001);
        }

        // An append, insert or delete touches a chunk or two of an 8 MiB table and the manifest path; the
        // rest is shared. (The scattered update touches 100 places: at this size nearly every chunk.)
        foreach (string edit in new[] { "append", "insert", "delete" })
        {
            Assert.True(json[$"{edit}_new_ratio"]!.GetValue<double>() < 0.5, result.Out);
            Assert.True(json[$"{edit}_new_blocks"]!.GetValue<int>() < chunks, result.Out);
        }
        Assert.Equal(json["append_new_ratio"]!.GetValue<double>() <= 0.02, json["append_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["insert_new_ratio"]!.GetValue<double>() <= 0.03, json["insert_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["delete_new_ratio"]!.GetValue<double>() <= 0.03, json["delete_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["update_new_ratio"]!.GetValue<double>() <= 0.25, json["update_goal_met"]!.GetValue<bool>());

        double sha256 = json["sha256_gbps"]!.GetValue<double>();
        Assert.True(sha256 > 0, result.Out);
        foreach (string measure in new[] { "put", "cid" })
        {
            double ratio = json[$"{measure}_gbps"]!.GetValue<double>() / sha256;
            // Figures are printed rounded to 4 decimals: the rebuilt ratio may differ by what that rounding moves a quotient.
            double tolerance = (1.1 * 0.00005 * (1 + ratio) / sha256) + 0.00005;
            Assert.InRange(json[$"{measure}_ratio_vs_sha256"]!.GetValue<double>(), ratio - tolerance, ratio + tolerance);
        }

        Assert.Equal(json["cid_ratio_vs_sha256"]!.GetValue<double>() >= 0.85, json["cid_goal_met"]!.GetValue<bool>());
        Assert.Equal(json["put_ratio_vs_sha256"]!.GetValue<double>() >= 0.7, json["put_goal_met"]!.GetValue<bool>());

        long p10 = json["chunk_size_p10"]!.GetValue<long>();
        long median = json["chunk_size_median"]!.GetValue<long>();
        long p90 = json["chunk_size_p90"]!.GetValue<long>();
        long max = json["chunk_size_max"]!.GetValue<long>();
        Assert.True(p10 > 0 && p10 <= median && median <= p90 && p90 <= max && max <= 1 << 20, result.Out);
        Assert.InRange(json["chunks_within_2x_target"]!.GetValue<double>(), 0.0, 1.0);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("99999")]
    public void Bench_dedup_size_out_of_range_is_a_usage_error(string size) =>
        Assert.Equal(2, CliRun.Run("bench", "dedup", "--size-mib", size).ExitCode);
}
