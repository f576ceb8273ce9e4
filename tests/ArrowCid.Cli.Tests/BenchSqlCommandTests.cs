using System.Text.Json.Nodes;

namespace ArrowCid.Cli.Tests;

public sealed class BenchSqlCommandTests
{
    [Fact]
    public void Bench_sql_json_reports_each_figure_the_issue_names_and_removes_its_folder()
    {
        using var parent = new TempFolder();

        var result = CliRun.Run("bench", "sql", "--json", "--size-mib", "4", "--dir", parent.Path);

        Assert.True(result.ExitCode == 0, result.Error);
        var json = JsonNode.Parse(result.Out)!;
        foreach (string key in new[] { "scan_s", "scan_duckdb_parquet_s", "join_s", "join_duckdb_parquet_s", "query_ratio_vs_duckdb_parquet", "first_batch_ms_flight_sql", "first_run_s", "cached_s", "cached_result_ratio" })
        {
            Assert.True(json[key]!.GetValue<double>() > 0, key);
        }

        // The figure the goal is on is the worse of the two queries.
        double worse = Math.Max(json["scan_ratio_vs_duckdb_parquet"]!.GetValue<double>(), json["join_ratio_vs_duckdb_parquet"]!.GetValue<double>());
        Assert.Equal(worse, json["query_ratio_vs_duckdb_parquet"]!.GetValue<double>(), 3);
        Assert.True(json["rows"]!.GetValue<long>() > 0);
        Assert.True(json["parquet_bytes"]!.GetValue<long>() > 0);
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent.Path));
    }
}
