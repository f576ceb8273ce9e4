using System.Text.Json.Nodes;
using ArrowCid.DuckDb;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

public sealed class ParquetBenchTests(ITestOutputHelper output)
{
    [Fact]
    public void Bench_parquet_json_has_both_codecs_every_column_and_consistent_ratios()
    {
        if (DuckDbNative.Find() is null)
        {
            output.WriteLine("SKIPPED: libduckdb.so not found (restore the DuckDB.NET.Data.Full package)");
            return;
        }

        var result = CliRun.Run("bench", "parquet", "--json", "--size-mib", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        Assert.True(json["rows"]!.GetValue<long>() > 0);
        foreach (string codec in new[] { "zstd", "snappy" })
        {
            var c = json["codecs"]![codec]!;
            double ours = c["ours_s"]!.GetValue<double>();
            double duck = c["duckdb_s"]!.GetValue<double>();
            Assert.True(ours > 0 && duck > 0);
            // CPU seconds of the same spans: present for both sides, never negative.
            Assert.True(c["ours_cpu_s"]!.GetValue<double>() >= 0 && c["duckdb_cpu_s"]!.GetValue<double>() >= 0);
            // The printed seconds are rounded, so the ratio recomputed from them may differ a little.
            double expectedRatio = ours / duck;
            Assert.Equal(expectedRatio, c["time_ratio_vs_duckdb"]!.GetValue<double>(), (0.02 * expectedRatio) + 0.01);
            double size = c["ours_bytes"]!.GetValue<long>() / (double)c["duckdb_bytes"]!.GetValue<long>();
            Assert.Equal(size, c["size_ratio_vs_duckdb"]!.GetValue<double>(), 0.001);
            Assert.Equal(c["size_ratio_vs_duckdb"]!.GetValue<double>() <= 1.1, c["size_goal_met"]!.GetValue<bool>());
            double sharp = c["parquetsharp_s"]!.GetValue<double>();
            Assert.True(sharp > 0 && c["parquetsharp_bytes"]!.GetValue<long>() > 0);
            Assert.Equal(ours / sharp, c["time_ratio_vs_parquetsharp"]!.GetValue<double>(), (0.02 * ours / sharp) + 0.01);
        }

        // The headline ratios are the worst codec's.
        Assert.Equal(
            new[] { "zstd", "snappy" }.Max(codec => json["codecs"]![codec]!["time_ratio_vs_duckdb"]!.GetValue<double>()),
            json["export_ratio_vs_duckdb"]!.GetValue<double>(), 0.001);
        Assert.Equal(
            new[] { "zstd", "snappy" }.Max(codec => json["codecs"]![codec]!["time_ratio_vs_parquetsharp"]!.GetValue<double>()),
            json["export_ratio_vs_parquetsharp"]!.GetValue<double>(), 0.001);

        // Every column of the realistic table is timed alone.
        var columns = json["columns"]!.AsArray().Select(c => c!["column"]!.GetValue<string>()).ToList();
        Assert.Equal(["id", "quantity", "amount", "price", "at", "name", "city", "tags", "point"], columns);
        Assert.All(json["columns"]!.AsArray(), c => Assert.True(c!["ours_s"]!.GetValue<double>() > 0 && c["duckdb_s"]!.GetValue<double>() > 0));
    }

    [Fact]
    public void Bench_parquet_refuses_a_size_out_of_range()
    {
        Assert.Equal(2, CliRun.Run("bench", "parquet", "--size-mib", "0").ExitCode);
    }
}
