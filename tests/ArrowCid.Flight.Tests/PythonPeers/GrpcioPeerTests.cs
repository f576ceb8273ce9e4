using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests.PythonPeers;

/// <summary>
/// Two `arrowcid serve` nodes for the gRPC C-core peer: one with tokens and a Basic-auth user
/// holding a small batch (a one-chunk table) and a 64 MiB table (chunks of at most 1 MiB under a
/// manifest tree, their CIDs listed for the suite), one serving TLS with a self-signed certificate.
/// </summary>
[Trait("Category", "Peers")]
public sealed class GrpcioPeerNodes() : PythonPeerFixture("grpc", "google.protobuf")
{
    private const string WriteToken = "py-writer";

    protected override async Task StartAsync()
    {
        var node = await StartNodeAsync("--token", WriteToken + ":write", "--token", "py-reader:read", "--user", "py:secret:write");
        ServeProcess tlsNode;
        using (var certificate = TestCertificates.SelfSigned())
        {
            var (pem, key) = TestCertificates.WritePem(certificate, Folder);
            tlsNode = await StartNodeAsync("--tls-cert", pem, "--tls-key", key);
        }

        using var client = new FlightClient(node.Location, new FlightClientOptions { Token = WriteToken });
        using var small = TestBatches.Small(101);
        var smallPut = (await client.PutAsync(small.Schema, [small], new Dictionary<string, string> { ["size"] = "small" })).Batches.Single();
        FlightPutSummary largePut;
        using (var large = TestBatches.Large(64L << 20, seed: 7))
        {
            largePut = await client.PutAsync(large.Schema, [large], new Dictionary<string, string> { ["size"] = "large" });
        }

        var streams = new Dictionary<string, object>();
        foreach (var (name, seed, rows) in new[] { ("cmd", 201, 5), ("path_tag", 202, 6), ("path_name", 203, 7), ("subscribe", 204, 3), ("tls", 205, 4) })
        {
            using var batch = TestBatches.Small(seed, rows);
            streams[name] = WriteStream(name, batch);
        }

        WriteConfig(new Dictionary<string, object>
        {
            ["target"] = node.HostAndPort,
            ["token"] = WriteToken,
            ["read_token"] = "py-reader",
            ["user"] = "py",
            ["password"] = "secret",
            ["small"] = new Dictionary<string, object> { ["cid"] = smallPut.Cid.ToString(), ["rows"] = smallPut.Rows },
            ["large"] = new Dictionary<string, object>
            {
                ["cid"] = largePut.Table.ToString(),
                ["bytes"] = largePut.Batches.Sum(c => c.Bytes),
                ["chunks"] = largePut.Batches.Select(c => c.Cid.ToString()).ToArray(),
            },
            ["streams"] = streams,
            ["tls_target"] = tlsNode.HostAndPort,
            ["tls_root"] = Path.Combine(Folder, "server.crt.pem"),
        });
    }
}

/// <summary>
/// Runs interop/python/grpc_peer's gRPC C-core suites (Debian's python3-grpcio, the transport of
/// pyarrow.flight) against `arrowcid serve`.
/// </summary>
public sealed class GrpcioPeerTests(GrpcioPeerNodes nodes, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<GrpcioPeerNodes>
{
    [Fact]
    public Task Grpc_core_client_calls_every_Flight_method_verifies_what_it_gets_and_meets_the_4_MiB_default() =>
        nodes.RunAsync("grpc_peer.test_grpcio", expectedPassed: 15, output);

    [Fact]
    public Task Grpc_core_client_puts_under_a_plain_PATH_name_and_gets_its_FlightInfo_by_that_name() =>
        nodes.RunAsync("grpc_peer.test_grpcio_names", expectedPassed: 1, output);
}
