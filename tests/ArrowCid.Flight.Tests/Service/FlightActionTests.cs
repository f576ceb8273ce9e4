using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>DoAction verbs and ListActions.</summary>
public sealed class FlightActionTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task ListActions_describes_every_verb()
    {
        using var client = Node.Client();
        var actions = await client.ListActionsAsync();
        Assert.Equal(["ClosePreparedStatement", "CreatePreparedStatement", "block", "delete", "names", "pin", "stats", "tag", "unpin", "verify", "versions"], actions.Select(a => a.Type).Order(StringComparer.Ordinal));
        Assert.All(actions, a => Assert.False(string.IsNullOrWhiteSpace(a.Description)));
    }

    [Fact]
    public async Task Pin_unpin_and_tag_change_the_registry()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(20);
        var put = await client.PutAsync(a.Schema, [a]);
        var cid = put.Batches[0].Cid;
        var registry = Node.Content.Repository;

        await client.ActionAsync("unpin", cid.ToString());
        Assert.False(registry.GetRecord(cid)!.Pinned);
        await client.ActionAsync("pin", cid.ToString());
        Assert.True(registry.GetRecord(cid)!.Pinned);

        await client.ActionAsync("tag", $"{{\"cid\":\"{cid}\",\"key\":\"stage\",\"value\":\"gold\"}}");
        Assert.Equal("gold", registry.GetRecord(cid)!.Tags["stage"]);
        await client.ActionAsync("tag", $"{{\"cid\":\"{cid}\",\"key\":\"stage\",\"value\":null}}");
        Assert.False(registry.GetRecord(cid)!.Tags.ContainsKey("stage"));

        var unknown = Cid.ForRaw("nothing"u8).ToString();
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("pin", unknown))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("tag", "{\"cid\":1}"))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("explode", ""))).StatusCode);
    }

    [Fact]
    public async Task Verify_stats_and_block_report_what_is_stored()
    {
        using var client = Node.Client();
        using var a = TestBatches.Large(2L << 20, seed: 21);
        using var b = TestBatches.Large(1L << 20, seed: 22);
        var put = await client.PutAsync(a.Schema, [a, b]);

        // A table of several chunks: its tree's nodes (the root at least) and its chunks.
        var table = Node.Content.OpenTable(put.Table);
        int nodes = table.Nodes().Count();
        int chunks = put.Batches.Select(c => c.Cid).Distinct().Count();
        Assert.True(chunks > 2, $"{chunks} chunks");
        using (var verify = JsonDocument.Parse((await client.ActionAsync("verify", put.Table.ToString())).Single()))
        {
            Assert.True(verify.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(nodes + chunks, verify.RootElement.GetProperty("blocks").GetInt32());
        }

        using (var all = JsonDocument.Parse((await client.ActionAsync("verify")).Single()))
        {
            Assert.True(all.RootElement.GetProperty("ok").GetBoolean());
            Assert.Equal(nodes + chunks, all.RootElement.GetProperty("records").GetInt32());
        }

        using (var stats = JsonDocument.Parse((await client.ActionAsync("stats")).Single()))
        {
            Assert.Equal(chunks, stats.RootElement.GetProperty("batches").GetInt32());
            Assert.Equal(1, stats.RootElement.GetProperty("datasets").GetInt32());
            Assert.Equal(a.Length + b.Length, stats.RootElement.GetProperty("rows").GetInt64());
            Assert.Equal(Node.Location, stats.RootElement.GetProperty("location").GetString());
        }

        byte[] manifest = await client.GetBlockAsync(put.Table);
        Assert.Equal(put.Table, Cid.ForDagCbor(manifest));
    }

    [Fact]
    public async Task Delete_removes_a_batch_unless_a_pinned_dataset_links_it()
    {
        using var client = Node.Client();
        using var a = TestBatches.Large(2L << 20, seed: 23);
        var put = await client.PutAsync(a.Schema, [a]);
        Assert.NotEqual(put.Batches[0].Cid, put.Table);
        var batch = put.Batches[0].Cid;

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("delete", batch.ToString()));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);

        await client.ActionAsync("delete", put.Table.ToString());
        await client.ActionAsync("delete", batch.ToString());
        Assert.Null(Node.Content.Repository.GetRecord(batch));
        Assert.False(Node.Content.Repository.Blocks.Has(batch));
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(batch))).StatusCode);
    }
}
