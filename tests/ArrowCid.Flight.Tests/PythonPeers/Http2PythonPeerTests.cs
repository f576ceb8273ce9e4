using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>An open `arrowcid serve` node holding a small batch and an 8 MiB table (its chunk CIDs listed), for the hyper-h2 peer and the abuse tests.</summary>
[Trait("Category", "Peers")]
public sealed class Http2PeerNode() : PythonPeerFixture("h2", "hpack", "google.protobuf")
{
    protected override async Task StartAsync()
    {
        var node = await StartNodeAsync();
        using var client = new FlightClient(node.Location);
        using var small = TestBatches.Small(301);
        using var large = TestBatches.Large(8L << 20, seed: 302);
        var smallPut = (await client.PutAsync(small.Schema, [small])).Batches.Single();
        var largePut = await client.PutAsync(large.Schema, [large]);
        WriteConfig(new Dictionary<string, object>
        {
            ["target"] = node.HostAndPort,
            ["node_pid"] = node.Id,
            ["small"] = new Dictionary<string, object> { ["cid"] = smallPut.Cid.ToString(), ["rows"] = smallPut.Rows },
            ["large"] = new Dictionary<string, object>
            {
                ["cid"] = largePut.Table.ToString(),
                ["bytes"] = largePut.Batches.Sum(c => c.Bytes),
                ["chunks"] = largePut.Batches.Select(c => c.Cid.ToString()).ToArray(),
            },
        });
    }
}

/// <summary>
/// Runs interop/python/grpc_peer's hyper-h2 client (gRPC framed by hand over python3-h2) and its
/// raw-frame abuse of our HTTP/2 server against `arrowcid serve` in a child process, whose RSS the
/// Python reads from /proc.
/// </summary>
public sealed class Http2PythonPeerTests(Http2PeerNode node, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<Http2PeerNode>
{
    [Fact]
    public Task Hyper_h2_client_makes_unary_and_server_streaming_gRPC_calls_by_hand() =>
        node.RunAsync("grpc_peer.test_h2_client", expectedPassed: 4, output);

    [Fact]
    public Task Raw_frame_abuse_leaves_the_node_serving_with_bounded_memory() =>
        node.RunAsync("grpc_peer.test_h2_abuse", expectedPassed: 10, output);
}
