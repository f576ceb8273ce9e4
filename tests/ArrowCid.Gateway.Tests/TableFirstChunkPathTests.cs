using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// <c>GET /api/v1/tables/{cid}</c>'s <c>first_chunk_path</c>: the manifest nodes a reader of the first
/// rows fetches after the root (the explorer asks for them before its script has loaded).
/// </summary>
[Collection(SharedTrustlessNode.Name)]
public sealed class TableFirstChunkPathTests(TrustlessFixture fixture)
{
    [Fact]
    public async Task A_two_level_table_names_each_node_from_the_root_down_to_the_one_listing_its_first_chunk()
    {
        var node = fixture.Node;
        var table = node.Content.OpenTable(fixture.TwoLevelTable);
        Assert.True(table.Height >= 2, $"the fixture's table should have nodes below its root, not height {table.Height}");

        using var detail = await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{fixture.TwoLevelTable}?chunkLimit=1");
        var path = detail.RootElement.GetProperty("first_chunk_path").EnumerateArray().Select(e => Cid.Parse(e.GetString()!)).ToList();

        // One node for each level below the root, each the first entry of the node above it.
        Assert.Equal(table.Height - 1, path.Count);
        var above = table.RootNode!;
        foreach (var cid in path)
        {
            Assert.Equal(above.Entries[0].Cid, cid);
            above = TableManifest.ReadChild(above.Entries[0], above.Level - 1, node.Content.GetBytes(cid).Span);
        }

        // The last one lists the chunk the JSON names first.
        Assert.Equal(0, above.Level);
        Assert.Equal(table.Chunks().First().Cid, above.Entries[0].Cid);
        Assert.Equal(above.Entries[0].Cid.ToString(), detail.RootElement.GetProperty("chunks").GetProperty("items")[0].GetProperty("cid").GetString());
    }

    [Fact]
    public async Task A_table_whose_root_lists_its_chunks_has_an_empty_path()
    {
        var node = fixture.Node;
        var table = node.Content.OpenTable(fixture.RepeatingTable);
        Assert.Equal(1, table.Height);

        using var detail = await ApiTests.GetJsonAsync(node, $"/api/v1/tables/{fixture.RepeatingTable}");
        Assert.Empty(detail.RootElement.GetProperty("first_chunk_path").EnumerateArray());
    }
}
