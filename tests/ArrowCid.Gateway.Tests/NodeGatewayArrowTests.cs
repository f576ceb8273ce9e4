using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// Runs interop/node/test/gateway-arrow.test.mjs against a node's gateway: apache-arrow (stream,
/// file, zstd codecs), nodejs-polars (stream, Parquet, CSV), DuckDB (Parquet) and curl piped into
/// a reader must each read back exactly the rows put, for a table of several chunks. Skipped, with
/// the reason printed, when node, curl or the packages are missing (a failure when CI=true).
/// </summary>
[Trait("Category", "Peers")]
public sealed class NodeGatewayArrowTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Apache_arrow_polars_duckdb_and_curl_read_the_rows_that_were_put()
    {
        string? why = NodeInteropRunner.Unavailable("apache-arrow", "nodejs-polars", "@duckdb/node-api", "fzstd")
            ?? (NodeInteropRunner.FindOnPath("curl") is null ? "curl is not on PATH" : null);
        if (why is not null)
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using var node = await GatewayFixture.StartAsync();
        var batches = TableData.Sensors(150_000, seed: 7);
        var put = node.Content.PutStream(batches[0].Schema, batches, new PutOptions { Name = "sensors" });
        Assert.True(put.Table.Batches >= 3, $"the table should span several chunks, not {put.Table.Batches}");

        string fixtures = NodeInteropRunner.FixturesDirectory("gateway");
        Directory.CreateDirectory(fixtures);
        await File.WriteAllTextAsync(Path.Combine(fixtures, "sensors.expected.json"), Expected(put.Table.Cid.ToString(), batches).ToJsonString());

        var result = await NodeInteropRunner.RunTestAsync(
            "test/gateway-arrow.test.mjs",
            fixtures,
            TimeSpan.FromMinutes(4),
            new Dictionary<string, string> { ["ARROWCID_GATEWAY_URL"] = node.Gateway.Address.ToString() });
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(6, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    /// <summary>{ cid, columns: { id: [decimal strings], value: [numbers|null], sensor: [strings|null], ok: [bools|null] } }.</summary>
    private static JsonObject Expected(string cid, List<RecordBatch> batches)
    {
        var id = new JsonArray();
        var value = new JsonArray();
        var sensor = new JsonArray();
        var ok = new JsonArray();
        foreach (var batch in batches)
        {
            for (int row = 0; row < batch.Length; row++)
            {
                id.Add(JsonValue.Create(((long)ArrayPrinter.GetValue(batch.Column(0), row)!).ToString(System.Globalization.CultureInfo.InvariantCulture)));
                value.Add(batch.Column(1).IsNull(row) ? null : JsonValue.Create((double)ArrayPrinter.GetValue(batch.Column(1), row)!));
                sensor.Add(batch.Column(2).IsNull(row) ? null : JsonValue.Create(batch.Column(2).GetString(row)));
                ok.Add(batch.Column(3).IsNull(row) ? null : JsonValue.Create(batch.Column(3).GetBoolean(row)));
            }
        }

        return new JsonObject { ["cid"] = cid, ["columns"] = new JsonObject { ["id"] = id, ["value"] = value, ["sensor"] = sensor, ["ok"] = ok } };
    }
}
