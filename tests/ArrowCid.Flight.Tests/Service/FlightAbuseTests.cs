using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc;
using Google.Protobuf;
using ArrowCid.Node;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>
/// What a penetration test sent the Flight face (issue 35): deletes deep in a pinned or named
/// table, oversized tags, and what a put records of its client.
/// </summary>
public sealed class FlightAbuseTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task Delete_refuses_a_chunk_and_an_inner_node_deep_in_a_named_table_whatever_its_pin()
    {
        using var client = Node.Client();
        using var table = TestBatches.Large(24L << 20, seed: 35);
        var put = await client.PutAsync(FlightClient.PutDescriptor(name: "sensors"), table.Schema, [table]);
        var registry = Node.Content.Repository.Registry;

        // A chunk whose parent is an inner node of the tree, not the root: the table has two levels.
        var deep = put.Batches.Select(b => b.Cid).First(c => registry.GetLinkingDatasets(c).Any(p => p != put.Table));
        var inner = registry.GetLinkingDatasets(deep).First(p => p != put.Table);
        await client.ActionAsync("unpin", put.Table.ToString());

        foreach (var target in new[] { deep, inner })
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("delete", target.ToString()));
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        }

        // Nothing of the named table was lost: it is fetched whole and verified.
        var fetched = await client.GetByNameAsync("sensors");
        Assert.Equal(put.Table, fetched.Cid);
        Assert.Equal(put.Batches.Count, fetched.Batches.Count);
    }

    [Fact]
    public async Task A_decompression_bomb_put_is_refused_before_it_is_inflated()
    {
        using var client = Node.Client();
        byte[] bomb = Arrow.Tests.IpcFuzz.CompressedZeros.Stream(10_000_000, batches: 1, Arrow.Compression.CompressionCodec.Zstd);

        var refused = await Assert.ThrowsAsync<RpcException>(() => client.PutStreamAsync(bomb));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("max_decompressed_bytes_per_message", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(Node.Content.Repository.Registry.ListCids());
    }

    [Fact]
    public async Task Oversized_tags_are_refused_naming_the_limit()
    {
        using var client = Node.Client();
        using var batch = TestBatches.Small(seed: 1);
        var put = await client.PutAsync(batch.Schema, [batch]);

        string body = $"{{\"cid\":\"{put.Table}\",\"key\":\"k\",\"value\":\"{new string('v', 3 << 20)}\"}}";
        var tooLong = await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("tag", body));
        Assert.Equal(StatusCode.InvalidArgument, tooLong.StatusCode);
        Assert.Contains("max_tag_value_bytes", tooLong.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(Node.Content.Repository.GetRecord(put.Table)!.Tags);

        var many = Enumerable.Range(0, 65).ToDictionary(i => $"k{i}", _ => "v");
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(FlightClient.PutDescriptor(many), batch.Schema, [TestBatches.Small(seed: 2)]));
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("max_tags", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Single(Node.Content.Repository.Registry.ListCids());
    }

    [Fact]
    public async Task One_users_flood_of_logins_never_evicts_anothers_session_and_guessing_is_throttled()
    {
        var access = new ArrowCid.Node.AccessPolicy().AddUser("reader", "r", ArrowCid.Node.AccessRole.Read).AddUser("writer", "w", ArrowCid.Node.AccessRole.Write);
        await using var node = await FlightNodeFixture.StartAsync(new NodeOptions { Access = access });
        using var writer = node.Client();
        await writer.AuthenticateBasicAsync("writer", "w");

        using (var reader = node.Client())
        {
            for (int i = 0; i <= ArrowCid.Node.AccessPolicy.MaxSessionsPerUser + 10; i++)
            {
                await reader.AuthenticateBasicAsync("reader", "r");
            }
        }

        using var batch = TestBatches.Small(seed: 4);
        await writer.PutAsync(batch.Schema, [batch]);

        // Guessing: five wrong passwords, then even the right one is refused unchecked for a while.
        using var guesser = node.Client();
        for (int i = 0; i < ArrowCid.Node.LoginThrottle.FreeFailures; i++)
        {
            var wrong = await Assert.ThrowsAsync<RpcException>(() => guesser.AuthenticateBasicAsync("reader", $"guess{i}"));
            Assert.Equal(StatusCode.Unauthenticated, wrong.StatusCode);
        }

        var throttled = await Assert.ThrowsAsync<RpcException>(() => guesser.AuthenticateBasicAsync("reader", "r"));
        Assert.Equal(StatusCode.ResourceExhausted, throttled.StatusCode);
        Assert.Contains("too many failed logins", throttled.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_past_the_limit_are_refused_naming_it()
    {
        var limits = new ArrowCid.Node.NodeLimits { MaxSubscribersPerToken = 2 };
        await using var node = await FlightNodeFixture.StartAsync(new NodeOptions { Limits = limits });
        using var client = node.Client();
        using var first = await client.SubscribeAsync();
        using var second = await client.SubscribeAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(async () => (await client.SubscribeAsync()).Dispose());

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("max_subscribers_per_token", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2, node.Node.Node.Subscribers.Count);
    }

    [Fact]
    public async Task A_put_records_flight_as_its_producer_without_the_clients_address()
    {
        using var client = Node.Client();
        using var batch = TestBatches.Small(seed: 3);
        var put = await client.PutAsync(batch.Schema, [batch]);

        Assert.Equal("flight", Node.Content.Repository.GetRecord(put.Table)!.Producer);
    }
}
