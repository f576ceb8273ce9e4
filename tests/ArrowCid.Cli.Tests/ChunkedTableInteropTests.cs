using System.Globalization;
using System.Text.Json.Nodes;
using ArrowCid.Content.Chunking;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// A multi-chunk table as the CLI exports it, judged by interop/node/test/cli-table.test.mjs: the
/// CAR (@ipld/car, @ipld/dag-cbor, apache-arrow) holds the manifest tree and every chunk, each
/// block at most 1 MiB, the chunks reassembling the producer's rows; the Parquet file (DuckDB)
/// holds every row in order in row groups of whole chunks.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ChunkedTableInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Node_reads_the_car_and_parquet_export_of_a_multi_chunk_table()
    {
        if (NodeInteropRunner.Unavailable("@ipld/car", "@ipld/dag-cbor", "multiformats", "apache-arrow", "@duckdb/node-api") is { } why)
        {
            // CI installs every peer, so there a missing one is a failure; elsewhere say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string repo = _temp.File("repo");
        string fixtures = _temp.File("fixtures");
        Directory.CreateDirectory(fixtures);
        string input = ChunkedTableCommandTests.WriteMixedStream(_temp, "t.arrows", ChunkedTableCommandTests.Rows, 3000);
        var put = CliRun.Run("--repo", repo, "put", input, "--json");
        Assert.True(put.ExitCode == 0, put.Error);
        var json = JsonNode.Parse(put.Out)![0]!;
        string table = json["table"]!["cid"]!.GetValue<string>();
        var chunks = json["chunks"]!.AsArray().Select(c => (Rows: c!["rows"]!.GetValue<long>(), Bytes: c["bytes"]!.GetValue<long>())).ToArray();
        long groupBytes = 2 * chunks.Max(c => c.Bytes);
        Assert.True(chunks.Length > 2, $"{chunks.Length} chunks");
        Assert.Equal(0, CliRun.Run("--repo", repo, "export", "car", table, "-o", Path.Combine(fixtures, "table.car")).ExitCode);
        Assert.Equal(0, CliRun.Run("--repo", repo, "export", "parquet", table, "-o", Path.Combine(fixtures, "table.parquet"), "--row-group-bytes", groupBytes.ToString(CultureInfo.InvariantCulture)).ExitCode);
        long labels = MixedTable.Batches(ChunkedTableCommandTests.Seed, 0, ChunkedTableCommandTests.Rows, 10_000)
            .Sum(b => { using (b) { return (long)(b.Length - b.Column(2).NullCount); } });
        var expected = new JsonObject
        {
            ["table"] = table,
            ["rows"] = ChunkedTableCommandTests.Rows,
            ["chunks"] = chunks.Length,
            ["labels"] = labels,
            ["rowGroupRows"] = new JsonArray(ChunkedTableCommandTests.RowGroupRows(chunks, groupBytes).Select(r => (JsonNode)r).ToArray()),
        };
        File.WriteAllText(Path.Combine(fixtures, "cli-table.json"), expected.ToJsonString());

        var node = await NodeInteropRunner.RunTestAsync(Path.Combine("test", "cli-table.test.mjs"), fixtures, TimeSpan.FromMinutes(3));
        output.WriteLine(node.Log);
        Assert.True(node.ExitCode == 0 && node.Failed == 0 && node.Passed == 2, node.Log);
    }
}
