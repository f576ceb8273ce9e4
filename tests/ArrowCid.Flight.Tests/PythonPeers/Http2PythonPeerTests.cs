using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Registry;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>An open `arrowcid serve` node holding a small batch and an 8 MiB batch, for the hyper-h2 peer and the abuse tests.</summary>
public sealed class Http2PeerNode : IAsyncLifetime, IDisposable
{
    private readonly PythonPeerFiles _files = new();
    private ServeProcess? _node;

    /// <summary>The SKIPPED line when python3-h2 or python3-protobuf is missing (outside CI).</summary>
    public string? Skip { get; private set; }

    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public ServeProcess Node => _node ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        Skip = await PythonPeerFiles.SkipUnlessAvailableAsync("h2", "hpack", "google.protobuf");
        if (Skip is not null)
        {
            return;
        }

        _node = await ServeProcess.StartAsync();
        using var client = new FlightClient(Node.Location);
        using var small = TestBatches.Small(301);
        using var large = TestBatches.Large(8L << 20, seed: 302);
        var smallPut = (await client.PutAsync(small.Schema, [small])).Batches.Single();
        var largePut = (await client.PutAsync(large.Schema, [large])).Batches.Single();
        Environment = _files.WriteConfig(new Dictionary<string, object>
        {
            ["target"] = Node.HostAndPort,
            ["node_pid"] = Node.Id,
            ["small"] = new Dictionary<string, object> { ["cid"] = smallPut.Cid.ToString(), ["rows"] = smallPut.Rows },
            ["large"] = new Dictionary<string, object> { ["cid"] = largePut.Cid.ToString(), ["bytes"] = largePut.Bytes },
        });
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit calls both): the files go once the node has stopped.</summary>
    public void Dispose() => _files.Dispose();
}

/// <summary>
/// Runs interop/python/grpc_peer's hyper-h2 client (gRPC framed by hand over python3-h2) and its
/// raw-frame abuse of our HTTP/2 server against `arrowcid serve` in a child process, whose RSS the
/// Python reads from /proc. Skipped with the reason printed when the packages are missing, except
/// in CI (CI=true), where that fails.
/// </summary>
public sealed class Http2PythonPeerTests(Http2PeerNode node, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<Http2PeerNode>
{
    [Fact]
    public async Task Hyper_h2_client_makes_unary_and_server_streaming_gRPC_calls_by_hand()
    {
        var result = await RunAsync("grpc_peer.test_h2_client");
        Assert.True(result is null || result.ExitCode == 0, $"python3 -m unittest failed with exit code {result?.ExitCode}:\n{result?.Log}");
        Assert.True(result is null || (result.Passed, result.Failed, result.Skipped) == (4, 0, 0), result?.Log);
    }

    [Fact]
    public async Task Raw_frame_abuse_leaves_the_node_serving_with_bounded_memory()
    {
        var result = await RunAsync("grpc_peer.test_h2_abuse");
        Assert.True(result is null || result.ExitCode == 0, $"python3 -m unittest failed with exit code {result?.ExitCode}:\n{result?.Log}");
        Assert.True(result is null || (result.Passed, result.Failed, result.Skipped) == (10, 0, 0), result?.Log);
    }

    private async Task<PythonResult?> RunAsync(string module)
    {
        if (node.Skip is { } skip)
        {
            output.WriteLine(skip);
            return null;
        }

        var before = node.Node.Memory();
        var result = await PythonInteropRunner.RunUnittestAsync([module], TimeSpan.FromMinutes(3), node.Environment);
        output.WriteLine(result.Log);
        Assert.False(node.Node.HasExited, $"the node died:\n{node.Node.Output}");
        var after = node.Node.Memory();
        output.WriteLine($"node RSS {before.Rss >> 20} MiB before, {after.Rss >> 20} MiB after (peak {after.Peak >> 20} MiB)");
        return result;
    }
}
