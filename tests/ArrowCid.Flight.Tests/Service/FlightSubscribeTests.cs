using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>DoExchange "subscribe": a remote consumer follows a producer without polling.</summary>
public sealed class FlightSubscribeTests : IAsyncLifetime
{
    // A hang guard only: a broken feed fails the test instead of blocking the run.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task A_subscriber_is_told_of_every_batch_and_dataset_put_after_it_started()
    {
        using var consumer = Node.Client();
        using var producer = Node.Client();
        using var guard = new CancellationTokenSource(Guard);
        using var subscription = await consumer.SubscribeAsync(cancellationToken: guard.Token);

        // A table of several chunks: each chunk is registered as it is stored, the root last
        // (inner tree nodes, if the tree has any, in between).
        using var a = TestBatches.Large(2L << 20, seed: 30);
        using var b = TestBatches.Large(1L << 20, seed: 31);
        var put = await producer.PutAsync(a.Schema, [a, b]);
        Assert.True(put.Batches.Count > 2, $"{put.Batches.Count} chunks");

        var registered = new List<string>();
        while (!registered.Contains(put.Table.ToString()))
        {
            var next = await subscription.NextAsync(guard.Token);
            Assert.NotNull(next);
            Assert.True(next.Sequence > subscription.StartSequence);
            if (next.Change == "registered")
            {
                registered.Add(next.Cid.ToString());
            }
        }

        var nodes = Node.Content.OpenTable(put.Table).Nodes().Select(n => n.ToString()).ToHashSet();
        Assert.Equal([.. put.Batches.Select(x => x.Cid.ToString()).Distinct(), put.Table.ToString()], registered.Where(c => !nodes.Contains(c) || c == put.Table.ToString()));
        Assert.Equal(put.Table.ToString(), registered[^1]);
    }

    [Fact]
    public async Task A_tag_filter_announces_only_matching_content()
    {
        using var client = Node.Client();
        using var guard = new CancellationTokenSource(Guard);
        using var subscription = await client.SubscribeAsync(new Dictionary<string, string> { ["feed"] = "wanted" }, guard.Token);
        using var a = TestBatches.Small(32);
        using var b = TestBatches.Small(33);
        await client.PutAsync(a.Schema, [a], new Dictionary<string, string> { ["feed"] = "other" });
        var wanted = await client.PutAsync(b.Schema, [b], new Dictionary<string, string> { ["feed"] = "wanted" });

        var first = await subscription.NextAsync(guard.Token);
        Assert.Equal(wanted.Batches[0].Cid, first!.Cid);
    }

    [Fact]
    public async Task An_exchange_that_is_not_a_subscription_is_INVALID_ARGUMENT()
    {
        using var client = Node.Client();
        foreach (var descriptor in new[]
        {
            new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("publish") },
            new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "subscribe" } },
            new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("{\"subscribe\":{\"after\":-1}}") },
        })
        {
            using var call = client.Service.DoExchange();
            await call.RequestStream.WriteAsync(new FlightData { FlightDescriptor = descriptor });
            await call.RequestStream.CompleteAsync();
            var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        }
    }
}
