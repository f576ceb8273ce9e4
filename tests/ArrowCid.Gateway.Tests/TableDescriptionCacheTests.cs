using System.Net;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// <c>GET /api/v1/tables/{cid}</c> reads a table's manifest tree once per CID: a repeated request
/// reads no manifest node and answers the same, a collected table is still not found, and
/// versions compare as they did when read afresh.
/// </summary>
[Collection(SharedTrustlessNode.Name)]
public sealed class TableDescriptionCacheTests(TrustlessFixture fixture)
{
    [Fact]
    public async Task A_table_described_again_answers_the_same_without_reading_a_manifest_node()
    {
        await using var node = await GatewayFixture.StartAsync();
        var put = ApiTests.PutMixed(node, 30_000, new());
        var tables = node.Gateway.Context.Tables;

        string path = $"/api/v1/tables/{put.Table.Cid}?chunkLimit=3&chunkOffset=1";
        string first = await GetTextAsync(node, path);
        long readByFirst = tables.NodesRead;
        Assert.True(readByFirst >= 1, "the first description reads the table's root");

        string second = await GetTextAsync(node, path);
        Assert.Equal(first, second);
        Assert.Equal(readByFirst, tables.NodesRead);

        // Another page of the same table comes from the same read.
        using var all = await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{put.Table.Cid}");
        Assert.Equal(readByFirst, tables.NodesRead);
        var expected = node.Content.OpenTable(put.Table.Cid).Chunks().Select(c => c.Cid.ToString());
        Assert.Equal(expected, all.RootElement.GetProperty("chunks").GetProperty("items").EnumerateArray().Select(c => c.GetProperty("cid").GetString()));
    }

    [Fact]
    public async Task A_two_level_table_has_the_same_totals_and_chunks_on_every_request()
    {
        var node = fixture.Node;
        var blocks = TableBlocks.Read(node.Content, fixture.TwoLevelTable);
        var chunks = node.Content.OpenTable(fixture.TwoLevelTable).Chunks().ToList();
        string path = $"/api/v1/tables/{fixture.TwoLevelTable}?chunkOffset=60&chunkLimit=10";
        string first = await GetTextAsync(node, path);
        long read = node.Gateway.Context.Tables.NodesRead;
        Assert.Equal(first, await GetTextAsync(node, path));
        Assert.Equal(read, node.Gateway.Context.Tables.NodesRead);

        using var detail = await ApiTests.GetJsonAsync(node, path);
        var root = detail.RootElement;
        Assert.Equal(blocks.Blocks.Count, root.GetProperty("blocks").GetProperty("count").GetInt64());
        Assert.Equal(blocks.Bytes, root.GetProperty("blocks").GetProperty("bytes").GetInt64());
        var page = root.GetProperty("chunks");
        Assert.Equal(chunks.Count, page.GetProperty("count").GetInt64());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(chunks.Skip(60).Take(10).Select(c => c.Cid.ToString()), items.Select(i => i.GetProperty("cid").GetString()));
        Assert.Equal(chunks.Take(60).Sum(c => c.Rows), items[0].GetProperty("first_row").GetInt64());
    }

    [Fact]
    public async Task A_table_collected_after_it_was_described_is_not_found()
    {
        await using var node = await GatewayFixture.StartAsync();
        var put = ApiTests.PutMixed(node, 20_000, new());
        using (await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{put.Table.Cid}"))
        {
        }

        Assert.True(node.Content.Repository.Unpin(put.Table.Cid));
        node.Content.Repository.Gc();
        Assert.False(node.Content.Repository.Blocks.Has(put.Table.Cid));

        using var response = await node.Http.GetAsync($"/api/v1/tables/{put.Table.Cid}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Versions_compare_the_same_whichever_is_described_first_and_however_often()
    {
        await using var node = await GatewayFixture.StartAsync();
        var first = ApiTests.PutMixed(node, 30_000, new PutOptions { Name = "sensors" });
        var second = ApiTests.PutMixed(node, 30_100, new PutOptions { Name = "sensors" });
        var difference = TableDifference.Between(TableBlocks.Read(node.Content, first.Table.Cid), TableBlocks.Read(node.Content, second.Table.Cid));
        Assert.NotEmpty(difference.SharedBlocks);
        Assert.NotEmpty(difference.NewBlocks);

        // The first version's tree, read for its own page, serves the second's comparison.
        using (await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{first.Table.Cid}"))
        {
        }

        for (int request = 0; request < 2; request++)
        {
            using var detail = await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{second.Table.Cid}");
            var version = detail.RootElement.GetProperty("versions").EnumerateArray().Single();
            AssertTotals(version.GetProperty("shared"), difference.SharedBlocks.Count, difference.SharedBytes);
            AssertTotals(version.GetProperty("new"), difference.NewBlocks.Count, difference.NewBytes);
            AssertTotals(version.GetProperty("removed"), difference.RemovedBlocks.Count, difference.RemovedBytes);
        }
    }

    [Fact]
    public void A_failed_walk_is_not_kept_and_a_table_over_the_cap_is_read_each_time()
    {
        var content = fixture.Node.Content;
        var table = fixture.TwoLevelTable;
        var missing = content.OpenTable(table).RootNode!.Entries[^1].Cid;
        bool failing = true;
        var tables = new TableTreeSummaries(cid => failing && cid == missing ? throw new BlockNotFoundException(cid) : content.GetBytes(cid));

        Assert.Throws<BlockNotFoundException>(() => tables.Get(table, CancellationToken.None));
        failing = false;
        var summary = tables.Get(table, CancellationToken.None);
        long read = tables.NodesRead;
        Assert.Same(summary, tables.Get(table, CancellationToken.None));
        Assert.Equal(read, tables.NodesRead);
        var blocks = TableBlocks.Read(content, table);
        Assert.Equal(blocks.Blocks.ToHashSet(), summary.Blocks.Blocks.ToHashSet());
        Assert.Equal(blocks.Blocks.Count, summary.Blocks.Blocks.Count);

        // A cap below the table's blocks keeps nothing: each request reads the tree again.
        var small = new TableTreeSummaries(content.GetBytes, maxBlocks: summary.Chunks.Count);
        var once = small.Get(table, CancellationToken.None);
        long readOnce = small.NodesRead;
        Assert.NotSame(once, small.Get(table, CancellationToken.None));
        Assert.Equal(2 * readOnce, small.NodesRead);
    }

    private static async Task<string> GetTextAsync(GatewayFixture node, string path)
    {
        using var response = await node.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static void AssertTotals(System.Text.Json.JsonElement totals, long blocks, long bytes)
    {
        Assert.Equal(blocks, totals.GetProperty("count").GetInt64());
        Assert.Equal(bytes, totals.GetProperty("bytes").GetInt64());
    }
}
