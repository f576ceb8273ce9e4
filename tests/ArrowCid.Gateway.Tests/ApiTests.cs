using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>The JSON API: the paged, filtered listing of tables and names, and a table described.</summary>
public sealed class ApiTests
{
    [Fact]
    public async Task The_listing_pages_with_cursors_through_every_table_once_oldest_first()
    {
        await using var node = await GatewayFixture.StartAsync();
        var put = Enumerable.Range(0, 7).Select(i => node.Content.PutBatch(Numbers(3, i * 100)).Cid.ToString()).ToList();

        var listed = new List<string>();
        var pages = new List<int>();
        string path = "/api/v1/tables?limit=3";
        while (true)
        {
            using var page = await GetJsonAsync(node, path);
            var items = page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("cid").GetString()!).ToList();
            pages.Add(items.Count);
            listed.AddRange(items);
            if (!page.RootElement.TryGetProperty("next", out var next))
            {
                break;
            }

            path = "/api/v1/tables?limit=3&after=" + Uri.EscapeDataString(next.GetString()!);
        }

        Assert.Equal([3, 3, 1], pages);
        Assert.Equal(put, listed);
    }

    [Fact]
    public async Task Filters_select_by_tag_kind_name_and_text_and_chunks_of_a_larger_table_are_not_listed()
    {
        await using var node = await GatewayFixture.StartAsync();
        var red = node.Content.PutBatch(Numbers(3, 0), new PutOptions { Tags = Tags(("color", "red"), ("team", "a")) }).Cid.ToString();
        var blue = node.Content.PutBatch(Numbers(3, 10), new PutOptions { Tags = Tags(("color", "blue"), ("team", "a")) }).Cid.ToString();
        var large = PutMixed(node, 30_000, new PutOptions { Tags = Tags(("team", "a")), Name = "sensors/large" });
        Assert.True(large.Batches.Count > 1);
        string dataset = large.Table.Cid.ToString();

        Assert.Equal([red, blue, dataset], await ListAsync(node, ""));
        Assert.Equal([red, blue, dataset], await ListAsync(node, "tag=team%3Da"));
        Assert.Equal([red], await ListAsync(node, "tag=team%3Da&tag=color%3Dred"));
        Assert.Equal([dataset], await ListAsync(node, "kind=table"));
        // What the kind was called before still selects it.
        Assert.Equal([dataset], await ListAsync(node, "kind=dataset"));
        Assert.Equal([red, blue], await ListAsync(node, "kind=batch"));
        Assert.Equal([dataset], await ListAsync(node, "name=sensors/large"));
        Assert.Empty(await ListAsync(node, "name=nothing"));
        Assert.Equal([blue], await ListAsync(node, "q=BLU"));
        Assert.Equal([dataset], await ListAsync(node, "q=sensors"));

        using var all = await GetJsonAsync(node, "/api/v1/tables?kind=dataset");
        var item = all.RootElement.GetProperty("items")[0];
        Assert.Equal("table", item.GetProperty("kind").GetString());
        Assert.Equal(30_000, item.GetProperty("rows").GetInt64());
        Assert.Equal(large.Table.Bytes, item.GetProperty("bytes").GetInt64());
        Assert.Equal("sensors/large", item.GetProperty("names")[0].GetProperty("name").GetString());
        Assert.Equal("a", item.GetProperty("tags").GetProperty("team").GetString());
    }

    [Fact]
    public async Task A_one_chunk_table_is_described_with_its_schema_rows_chunk_and_tags()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(Numbers(5, 0), new PutOptions { Tags = Tags(("color", "red")) });

        using var detail = await GetJsonAsync(node, $"/api/v1/tables/{stored.Cid}");
        var root = detail.RootElement;
        Assert.Equal(stored.Cid.ToString(), root.GetProperty("cid").GetString());
        Assert.Equal("batch", root.GetProperty("kind").GetString());
        Assert.Equal(5, root.GetProperty("rows").GetInt64());
        Assert.Equal(stored.Bytes, root.GetProperty("bytes").GetInt64());
        var field = root.GetProperty("schema").GetProperty("fields").EnumerateArray().Single();
        Assert.Equal("n", field.GetProperty("name").GetString());
        Assert.Equal("int64", field.GetProperty("type").GetString());
        Assert.False(field.GetProperty("nullable").GetBoolean());
        Assert.Equal("square", field.GetProperty("metadata").GetProperty("shape").GetString());
        Assert.Equal("test", root.GetProperty("schema").GetProperty("metadata").GetProperty("origin").GetString());
        var chunks = root.GetProperty("chunks");
        Assert.Equal(1, chunks.GetProperty("count").GetInt64());
        Assert.Equal(stored.Cid.ToString(), chunks.GetProperty("items")[0].GetProperty("cid").GetString());
        Assert.False(chunks.TryGetProperty("next_offset", out _));
        Assert.Equal("red", root.GetProperty("tags").GetProperty("color").GetString());
        Assert.Empty(root.GetProperty("versions").EnumerateArray());
    }

    [Fact]
    public async Task A_table_of_several_chunks_lists_them_in_row_order_a_page_at_a_time_with_its_nested_schema()
    {
        await using var node = await GatewayFixture.StartAsync();
        var put = PutMixed(node, 30_000, new PutOptions());
        var table = node.Content.OpenTable(put.Table.Cid);
        var expected = table.Chunks().ToList();
        Assert.True(expected.Count > 2, $"{expected.Count} chunks");

        using var detail = await GetJsonAsync(node, $"/api/v1/tables/{put.Table.Cid}?chunkLimit=2");
        var root = detail.RootElement;
        Assert.Equal("table", root.GetProperty("kind").GetString());
        Assert.Equal(30_000, root.GetProperty("rows").GetInt64());
        Assert.Equal(table.Bytes, root.GetProperty("bytes").GetInt64());
        var blocks = TableBlocks.Read(node.Content, put.Table.Cid);
        Assert.Equal(blocks.Blocks.Count, root.GetProperty("blocks").GetProperty("count").GetInt64());
        Assert.Equal(blocks.Bytes, root.GetProperty("blocks").GetProperty("bytes").GetInt64());

        var fields = root.GetProperty("schema").GetProperty("fields").EnumerateArray().ToList();
        Assert.Equal(MixedTable.Schema.Fields.Select(f => f.Type.ToString()), fields.Select(f => f.GetProperty("type").GetString()));
        Assert.Equal("list<item: int32>", fields[4].GetProperty("type").GetString());
        Assert.Equal("item", fields[4].GetProperty("children")[0].GetProperty("name").GetString());
        Assert.Equal("dictionary<values=string, indices=int32>", fields[5].GetProperty("type").GetString());
        Assert.Equal("mixed", root.GetProperty("schema").GetProperty("metadata").GetProperty("table").GetString());

        // Every chunk, two at a time, with the row each starts at.
        var listed = new List<(string Cid, long FirstRow, long Rows)>();
        long? offset = 0;
        while (offset is { } at)
        {
            using var page = await GetJsonAsync(node, $"/api/v1/tables/{put.Table.Cid}?chunkLimit=2&chunkOffset={at}");
            var chunks = page.RootElement.GetProperty("chunks");
            Assert.Equal(expected.Count, chunks.GetProperty("count").GetInt64());
            Assert.Equal(at, chunks.GetProperty("offset").GetInt64());
            listed.AddRange(chunks.GetProperty("items").EnumerateArray().Select(c => (c.GetProperty("cid").GetString()!, c.GetProperty("first_row").GetInt64(), c.GetProperty("rows").GetInt64())));
            offset = chunks.TryGetProperty("next_offset", out var next) ? next.GetInt64() : null;
        }

        Assert.Equal(expected.Select(c => c.Cid.ToString()), listed.Select(c => c.Cid));
        Assert.Equal(expected.Select(c => c.Rows), listed.Select(c => c.Rows));
        Assert.Equal(0, listed[0].FirstRow);
        Assert.All(listed.Skip(1).Select((c, i) => (c, before: listed[i])), p => Assert.Equal(p.before.FirstRow + p.before.Rows, p.c.FirstRow));
    }

    [Fact]
    public async Task Each_version_says_what_it_shares_with_the_version_before()
    {
        await using var node = await GatewayFixture.StartAsync();
        var first = PutMixed(node, 30_000, new PutOptions { Name = "sensors" });
        var second = PutMixed(node, 30_100, new PutOptions { Name = "sensors" });
        var difference = TableDifference.Between(TableBlocks.Read(node.Content, first.Table.Cid), TableBlocks.Read(node.Content, second.Table.Cid));
        Assert.NotEmpty(difference.SharedBlocks);

        using (var detail = await GetJsonAsync(node, $"/api/v1/tables/{second.Table.Cid}"))
        {
            var version = detail.RootElement.GetProperty("versions").EnumerateArray().Single();
            Assert.Equal("sensors", version.GetProperty("name").GetString());
            Assert.Equal(2, version.GetProperty("version").GetInt64());
            Assert.True(version.GetProperty("latest").GetBoolean());
            Assert.Equal(1, version.GetProperty("previous").GetProperty("version").GetInt64());
            Assert.Equal(first.Table.Cid.ToString(), version.GetProperty("previous").GetProperty("cid").GetString());
            AssertTotals(version.GetProperty("shared"), difference.SharedBlocks.Count, difference.SharedBytes);
            AssertTotals(version.GetProperty("new"), difference.NewBlocks.Count, difference.NewBytes);
            AssertTotals(version.GetProperty("removed"), difference.RemovedBlocks.Count, difference.RemovedBytes);
        }

        using (var detail = await GetJsonAsync(node, $"/api/v1/tables/{first.Table.Cid}"))
        {
            // Version 1 shares nothing: every block is new.
            var version = detail.RootElement.GetProperty("versions").EnumerateArray().Single();
            Assert.False(version.GetProperty("latest").GetBoolean());
            Assert.False(version.TryGetProperty("previous", out _));
            var blocks = TableBlocks.Read(node.Content, first.Table.Cid);
            AssertTotals(version.GetProperty("shared"), 0, 0);
            AssertTotals(version.GetProperty("new"), blocks.Blocks.Count, blocks.Bytes);
        }

        using var names = await GetJsonAsync(node, "/api/v1/names");
        var name = names.RootElement.GetProperty("items").EnumerateArray().Single();
        Assert.Equal("sensors", name.GetProperty("name").GetString());
        Assert.Equal(2, name.GetProperty("versions").GetInt64());
        Assert.Equal(second.Table.Cid.ToString(), name.GetProperty("cid").GetString());
    }

    [Fact]
    public async Task A_name_of_many_versions_lists_them_all_streamed_and_filters_the_table_listing()
    {
        // 1,500 versions: more than a page of the registry's walk, and a body of several flushes.
        await using var node = await GatewayFixture.StartAsync();
        var table = PutMixed(node, 10, new PutOptions { Name = "feed" }).Table.Cid;
        var other = PutMixed(node, 20, new PutOptions()).Table.Cid;
        for (int i = 1; i < 1_500; i++)
        {
            node.Content.Repository.AddVersion("feed", i == 699 ? other : table);
        }

        using var response = await node.Http.GetAsync("/names/feed/versions");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("versions-1500-1500", response.Headers.ETag!.Tag, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("feed", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(1_500, json.RootElement.GetProperty("latest").GetInt64());
        var versions = json.RootElement.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 1_500).Select(v => (long)v), versions.Select(v => v.GetProperty("version").GetInt64()));
        Assert.Equal(other.ToString(), versions[699].GetProperty("cid").GetString());
        Assert.All(versions.Where((_, i) => i != 699), v => Assert.Equal(table.ToString(), v.GetProperty("cid").GetString()));
        Assert.All(versions, v => Assert.True(v.GetProperty("rows").GetInt64() > 0));

        // The listing by name: each table a version points at, once.
        using var listed = await GetJsonAsync(node, "/api/v1/tables?name=feed");
        Assert.Equal(
            new[] { table.ToString(), other.ToString() }.Order(),
            listed.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("cid").GetString()!).Order());
    }

    [Fact]
    public async Task Names_page_in_name_order()
    {
        await using var node = await GatewayFixture.StartAsync();
        foreach (string name in new[] { "c", "a", "b/x" })
        {
            PutMixed(node, 10, new PutOptions { Name = name });
        }

        var listed = new List<string>();
        string path = "/api/v1/names?limit=2";
        while (true)
        {
            using var page = await GetJsonAsync(node, path);
            listed.AddRange(page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("name").GetString()!));
            if (!page.RootElement.TryGetProperty("next", out var next))
            {
                break;
            }

            path = "/api/v1/names?limit=2&after=" + Uri.EscapeDataString(next.GetString()!);
        }

        Assert.Equal(["a", "b/x", "c"], listed);
    }

    [Theory]
    [InlineData("/api/v1/tables?limit=0")]
    [InlineData("/api/v1/tables?limit=1001")]
    [InlineData("/api/v1/tables?limit=ten")]
    [InlineData("/api/v1/tables?limit=1&limit=2")]
    [InlineData("/api/v1/tables?after=garbage")]
    [InlineData("/api/v1/tables?after=99999999999999999999.bafkqaaa")]
    [InlineData("/api/v1/tables?tag=novalue")]
    [InlineData("/api/v1/tables?tag=%3Dv")]
    [InlineData("/api/v1/tables?tag=k%3Da&tag=k%3Db")]
    [InlineData("/api/v1/tables?kind=foreign")]
    [InlineData("/api/v1/tables?kind=tables")]
    [InlineData("/api/v1/tables?name=%2Fbad%2F")]
    [InlineData("/api/v1/tables/not-a-cid")]
    [InlineData("/api/v1/tables/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?chunkLimit=-1")]
    [InlineData("/api/v1/tables/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?chunkOffset=x")]
    [InlineData("/api/v1/names?limit=0")]
    [InlineData("/api/v1/events?after=-1")]
    [InlineData("/api/v1/events?after=x")]
    [InlineData("/api/v1/events?change=exploded")]
    [InlineData("/api/v1/events?kind=everything")]
    public async Task Bad_parameters_are_400(string path)
    {
        await using var node = await GatewayFixture.StartAsync();
        await AssertProblemAsync(node, path, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Tables_not_held_or_not_tables_are_404()
    {
        await using var node = await GatewayFixture.StartAsync();
        var absent = Cid.Parse("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy");
        await AssertProblemAsync(node, $"/api/v1/tables/{absent}", HttpStatusCode.NotFound);

        // A manifest node below a tree's root is held, but is not a table.
        var put = PutMixed(node, 30_000, new PutOptions());
        var table = node.Content.OpenTable(put.Table.Cid);
        Cid? inner = table.Nodes().Skip(1).FirstOrDefault();
        if (inner is not null)
        {
            await AssertProblemAsync(node, $"/api/v1/tables/{inner}", HttpStatusCode.NotFound);
        }

        // A block of raw bytes that is no Arrow.
        var foreign = Cid.ForRaw("not arrow"u8);
        node.Content.Repository.PutBlock(foreign, "not arrow"u8, new Registry.BlockRecord { Cid = foreign, Kind = Registry.BlockKind.Foreign });
        await AssertProblemAsync(node, $"/api/v1/tables/{foreign}", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task The_api_needs_the_read_role_and_only_the_event_feed_takes_a_token_in_the_query()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access });

        using (var anonymous = await node.Http.GetAsync("/api/v1/tables"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "reader");
            using var reader = await node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, reader.StatusCode);
        }

        using (var inQuery = await node.Http.GetAsync("/api/v1/tables?access_token=reader"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, inQuery.StatusCode);
        }

        using (var wrong = await node.Http.GetAsync("/api/v1/events?access_token=nope"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var events = await ServerSentEvents.OpenAsync(node.Http, "/api/v1/events?access_token=reader", guard.Token);
        Assert.Equal(HttpStatusCode.OK, events.Response.StatusCode);
        Assert.StartsWith("subscribed", (await events.NextAsync(guard.Token)).Comments[0], StringComparison.Ordinal);
    }

    internal static RecordBatch Numbers(int rows, long start)
    {
        var schema = new Schema(
            [new Field("n", ArrowType.Int64, nullable: false, [KeyValuePair.Create("shape", "square")])],
            [KeyValuePair.Create("origin", "test")]);
        var builder = new RecordBatchBuilder(schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow(start + i);
        }

        return builder.Build();
    }

    internal static Dictionary<string, string> Tags(params (string Key, string Value)[] tags) => tags.ToDictionary(t => t.Key, t => t.Value);

    internal static PutStreamResult PutMixed(GatewayFixture node, long rows, PutOptions options) =>
        node.Content.PutStream(MixedTable.Schema, MixedTable.Batches(7, 0, rows, 4096), options);

    internal static async Task<JsonDocument> GetJsonAsync(GatewayFixture node, string path)
    {
        using var response = await node.Http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        return JsonDocument.Parse(body);
    }

    private static async Task<List<string>> ListAsync(GatewayFixture node, string query)
    {
        using var page = await GetJsonAsync(node, "/api/v1/tables?" + query);
        return [.. page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("cid").GetString()!)];
    }

    private static async Task AssertProblemAsync(GatewayFixture node, string path, HttpStatusCode expected)
    {
        using var response = await node.Http.GetAsync(path);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
    }

    private static void AssertTotals(JsonElement totals, long blocks, long bytes)
    {
        Assert.Equal(blocks, totals.GetProperty("count").GetInt64());
        Assert.Equal(bytes, totals.GetProperty("bytes").GetInt64());
    }
}
