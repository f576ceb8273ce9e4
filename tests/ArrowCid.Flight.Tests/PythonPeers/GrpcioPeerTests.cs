using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Registry;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>
/// Two `arrowcid serve` nodes for the gRPC C-core peer: one with tokens and a Basic-auth user
/// holding a small batch and a 64 MiB batch, one serving TLS with a self-signed certificate.
/// </summary>
public sealed class GrpcioPeerNodes : IAsyncLifetime, IDisposable
{
    private const string WriteToken = "py-writer";
    private readonly PythonPeerFiles _files = new();
    private ServeProcess? _node;
    private ServeProcess? _tlsNode;

    /// <summary>The SKIPPED line when python3-grpcio or python3-protobuf is missing (outside CI).</summary>
    public string? Skip { get; private set; }

    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public ServeProcess Node => _node ?? throw new InvalidOperationException("not started");

    public ServeProcess TlsNode => _tlsNode ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        Skip = await PythonPeerFiles.SkipUnlessAvailableAsync("grpc", "google.protobuf");
        if (Skip is not null)
        {
            return;
        }

        _node = await ServeProcess.StartAsync("--token", WriteToken + ":write", "--token", "py-reader:read", "--user", "py:secret:write");
        using (var certificate = TestCertificates.SelfSigned())
        {
            var (pem, key) = TestCertificates.WritePem(certificate, _files.Folder);
            _tlsNode = await ServeProcess.StartAsync("--tls-cert", pem, "--tls-key", key);
        }

        using var client = new FlightClient(Node.Location, new FlightClientOptions { Token = WriteToken });
        using var small = TestBatches.Small(101);
        var smallPut = await client.PutAsync(small.Schema, [small], new Dictionary<string, string> { ["size"] = "small" });
        FlightPutBatch largeBatch;
        using (var large = TestBatches.Large(64L << 20, seed: 7))
        {
            largeBatch = (await client.PutAsync(large.Schema, [large], new Dictionary<string, string> { ["size"] = "large" })).Batches.Single();
        }

        var streams = new Dictionary<string, object>();
        foreach (var (name, seed, rows) in new[] { ("cmd", 201, 5), ("path_tag", 202, 6), ("path_name", 203, 7), ("subscribe", 204, 3), ("tls", 205, 4) })
        {
            using var batch = TestBatches.Small(seed, rows);
            streams[name] = _files.WriteStream(name, batch);
        }

        Environment = _files.WriteConfig(new Dictionary<string, object>
        {
            ["target"] = Node.HostAndPort,
            ["token"] = WriteToken,
            ["read_token"] = "py-reader",
            ["user"] = "py",
            ["password"] = "secret",
            ["small"] = new Dictionary<string, object> { ["cid"] = smallPut.Batches.Single().Cid.ToString(), ["rows"] = small.Length },
            ["large"] = new Dictionary<string, object> { ["cid"] = largeBatch.Cid.ToString(), ["bytes"] = largeBatch.Bytes },
            ["streams"] = streams,
            ["tls_target"] = TlsNode.HostAndPort,
            ["tls_root"] = Path.Combine(_files.Folder, "server.crt.pem"),
        });
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }

        if (_tlsNode is not null)
        {
            await _tlsNode.DisposeAsync();
        }
    }

    /// <summary>After <see cref="DisposeAsync"/> (xunit calls both): the files go once the nodes have stopped.</summary>
    public void Dispose() => _files.Dispose();
}

/// <summary>
/// Runs interop/python/grpc_peer (Debian's python3-grpcio: gRPC C-core, the transport of
/// pyarrow.flight) against `arrowcid serve`. Skipped with the reason printed when the packages are
/// missing, except in CI (CI=true), where that fails.
/// </summary>
public sealed class GrpcioPeerTests(GrpcioPeerNodes nodes, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<GrpcioPeerNodes>
{
    [Fact]
    public async Task Grpc_core_client_calls_every_Flight_method_verifies_what_it_gets_and_meets_the_4_MiB_default()
    {
        var result = await RunAsync("grpc_peer.test_grpcio");
        if (result is null)
        {
            return;
        }

        Assert.True(result.ExitCode == 0, $"python3 -m unittest failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal((13, 0, 0), (result.Passed, result.Failed, result.Skipped));
    }

    [Fact]
    public async Task Grpc_core_client_puts_under_a_plain_PATH_name_and_gets_its_FlightInfo_by_that_name()
    {
        var result = await RunAsync("grpc_peer.test_grpcio_names");
        if (result is null)
        {
            return;
        }

        Assert.True(result.ExitCode == 0, $"python3 -m unittest failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal((1, 0, 0), (result.Passed, result.Failed, result.Skipped));
    }

    private async Task<PythonResult?> RunAsync(string module)
    {
        if (nodes.Skip is { } skip)
        {
            output.WriteLine(skip);
            return null;
        }

        var result = await PythonInteropRunner.RunUnittestAsync([module], TimeSpan.FromMinutes(3), nodes.Environment);
        output.WriteLine(result.Log);
        Assert.False(nodes.Node.HasExited, $"the node died:\n{nodes.Node.Output}");
        Assert.False(nodes.TlsNode.HasExited, $"the TLS node died:\n{nodes.TlsNode.Output}");
        return result;
    }
}
