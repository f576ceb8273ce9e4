using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// <c>POST /api/v1/sql</c>: the answer in the format asked for, stored and named by its CID in the
/// headers, JSON's first rows, a read token enough, and refusals with their statuses.
/// </summary>
public sealed class SqlEndpointTests
{
    private static readonly Schema Readings = new([new Field("sensor", ArrowType.Utf8), new Field("reading", ArrowType.Int64)]);

    [Fact]
    public async Task A_query_is_answered_in_the_format_asked_for_and_named_by_its_result()
    {
        await using var node = await StartAsync();
        var put = PutReadings(node.Content, 30);
        const string Sql = "SELECT sensor, sum(reading) AS total FROM readings GROUP BY sensor ORDER BY sensor";

        // The default: an Arrow stream of the stored result, the CID in the headers.
        using var arrow = await PostAsync(node, Sql, "reader");
        Assert.Equal(HttpStatusCode.OK, arrow.StatusCode);
        Assert.Equal("application/vnd.apache.arrow.stream", arrow.Content.Headers.ContentType!.MediaType);
        string cid = Header(arrow, "X-Sql-Result");
        Assert.Equal($"/ipfs/{cid}", Header(arrow, "X-Ipfs-Path"));
        Assert.Equal(("3", "false", put.Table.Cid.ToString()), (Header(arrow, "X-Sql-Rows"), Header(arrow, "X-Sql-Reused"), Header(arrow, "X-Sql-Inputs")));
        Assert.Equal($"</api/v1/tables/{cid}>; rel=\"describedby\"", Header(arrow, "Link"));
        using (var described = await node.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/api/v1/tables/{cid}") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "reader") } }))
        {
            using var detail = JsonDocument.Parse(await described.Content.ReadAsStringAsync());
            using var provenance = JsonDocument.Parse(detail.RootElement.GetProperty("provenance").GetString()!);
            Assert.Equal(("duckdb", Sql), (provenance.RootElement.GetProperty("engine").GetString(), provenance.RootElement.GetProperty("query").GetString()));
            Assert.Equal(put.Table.Cid.ToString(), provenance.RootElement.GetProperty("inputs")[0].GetProperty("cid").GetString());
        }
        using (var reader = new ArrowStreamReader(await arrow.Content.ReadAsByteArrayAsync()))
        {
            var got = ContentRepository.ComputeCids(reader);
            Assert.Equal(cid, got.Table.Cid.ToString());
        }

        // Again: the stored result answers; CSV this time.
        using var csv = await PostAsync(node, Sql, "reader", accept: "text/csv");
        Assert.Equal(("true", cid), (Header(csv, "X-Sql-Reused"), Header(csv, "X-Sql-Result")));
        Assert.Equal("sensor,total\ns0,135\ns1,145\ns2,155\n", (await csv.Content.ReadAsStringAsync()).ReplaceLineEndings("\n"));

        // JSON, as `arrowcid sql --json` writes it, cut at ?limit=.
        using var json = await PostAsync(node, JsonSerializer.Serialize(new { query = Sql }), "reader", path: "/api/v1/sql?format=json&limit=2", contentType: "application/json");
        using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(cid, root.GetProperty("cid").GetString());
        Assert.True(root.GetProperty("truncated").GetBoolean());
        Assert.Equal(["s0", "s1"], root.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("sensor").GetString()));
        Assert.Equal("readings", root.GetProperty("inputs")[0].GetProperty("name").GetString());

        // Parquet too.
        using var parquet = await PostAsync(node, Sql, "reader", path: "/api/v1/sql?format=parquet");
        Assert.Equal("PAR1", Encoding.ASCII.GetString((await parquet.Content.ReadAsByteArrayAsync())[..4]));
    }

    [Fact]
    public async Task Refusals_have_their_statuses_and_the_node_goes_on()
    {
        await using var node = await StartAsync(NodeLimits.Default with { SqlMaxRows = 100, SqlTimeout = TimeSpan.FromSeconds(2) });
        PutReadings(node.Content, 10);
        (string Sql, string? Token, HttpStatusCode Status)[] cases =
        [
            ("SELECT 1", null, HttpStatusCode.Unauthorized),
            ("SELECT * FROM read_csv('/etc/passwd')", "reader", HttpStatusCode.Forbidden),
            ("SELECT * FROM missing", "reader", HttpStatusCode.NotFound),
            ("SELEC 1", "reader", HttpStatusCode.BadRequest),
            ("   ", "reader", HttpStatusCode.BadRequest),
            ("SELECT * FROM range(1000)", "reader", HttpStatusCode.UnprocessableEntity),
            ("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT max(n) FROM r", "reader", HttpStatusCode.UnprocessableEntity),
            ("COPY (SELECT 1) TO '/tmp/arrowcid-http-copy.csv'", "reader", HttpStatusCode.Forbidden),
            ("SET threads = 64", "reader", HttpStatusCode.Forbidden),
        ];
        foreach (var (sql, token, status) in cases)
        {
            using var response = await PostAsync(node, sql, token);
            Assert.True(status == response.StatusCode, $"{sql}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        using var raw = await PostAsync(node, "SELECT 1", "reader", accept: "application/vnd.ipld.raw");
        Assert.Equal(HttpStatusCode.NotAcceptable, raw.StatusCode);
        using var fine = await PostAsync(node, "SELECT count(*) AS n FROM readings", "reader", accept: "text/csv");
        Assert.Equal("n\n10\n", (await fine.Content.ReadAsStringAsync()).ReplaceLineEndings("\n"));
    }

    private static Task<GatewayFixture> StartAsync(NodeLimits? limits = null) => GatewayFixture.StartAsync(new NodeOptions
    {
        Access = new AccessPolicy().AddToken("reader", AccessRole.Read),
        Limits = limits ?? NodeLimits.Default,
    });

    private static PutStreamResult PutReadings(ContentRepository content, int rows)
    {
        var builder = new RecordBatchBuilder(Readings);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow($"s{i % 3}", (long)i);
        }

        return content.PutStream(Readings, [builder.Build()], new PutOptions { Name = "readings" });
    }

    private static async Task<HttpResponseMessage> PostAsync(GatewayFixture node, string body, string? token, string path = "/api/v1/sql", string? accept = null, string contentType = "text/plain")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return await node.Http.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : throw new Xunit.Sdk.XunitException($"no {name} header");
}
