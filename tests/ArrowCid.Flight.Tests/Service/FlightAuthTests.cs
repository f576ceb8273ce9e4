using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Node;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>Bearer tokens with roles, Basic credentials exchanged through Handshake, and TLS.</summary>
public sealed class FlightAuthTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync(new NodeOptions
    {
        Access = new AccessPolicy()
            .AddToken("reader-secret", AccessRole.Read)
            .AddToken("writer-secret", AccessRole.Write)
            .AddUser("alice", "wonderland", AccessRole.Write),
    });

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Fact]
    public async Task Without_a_token_every_call_is_UNAUTHENTICATED()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(40);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(a.Schema, [a]))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => FlightNodeServiceTests.ToListAsync(client.ListAsync()))).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("stats"))).StatusCode);

        using var forged = Node.Client("guessed");
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => forged.ActionAsync("stats"))).StatusCode);
    }

    [Fact]
    public async Task A_read_token_reads_but_writing_is_PERMISSION_DENIED()
    {
        using var writer = Node.Client("writer-secret");
        using var reader = Node.Client("reader-secret");
        using var a = TestBatches.Small(41);
        var put = await writer.PutAsync(a.Schema, [a]);

        Assert.Single((await reader.GetAsync(put.Batches[0].Cid)).Batches);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => reader.PutAsync(a.Schema, [a]))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => reader.ActionAsync("unpin", put.Table.ToString()))).StatusCode);
    }

    [Fact]
    public async Task Basic_credentials_are_exchanged_for_a_working_token()
    {
        using var client = Node.Client();
        string token = await client.AuthenticateBasicAsync("alice", "wonderland");
        Assert.False(string.IsNullOrEmpty(token));
        using var a = TestBatches.Small(42);
        var put = await client.PutAsync(a.Schema, [a]);
        Assert.Single((await client.GetAsync(put.Table)).Batches);

        using var wrong = Node.Client();
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => wrong.AuthenticateBasicAsync("alice", "looking-glass"))).StatusCode);
    }

    [Fact]
    public void Token_and_user_specs_parse_and_bad_ones_are_refused()
    {
        Assert.Equal(("abc:def", AccessRole.Write), AccessPolicy.ParseTokenSpec("abc:def:write"));
        Assert.Equal(("u", "p:w", AccessRole.Read), AccessPolicy.ParseUserSpec("u:p:w:read"));
        Assert.Throws<FormatException>(() => AccessPolicy.ParseTokenSpec("abc"));
        Assert.Throws<FormatException>(() => AccessPolicy.ParseTokenSpec("abc:admin"));
        Assert.Throws<FormatException>(() => AccessPolicy.ParseUserSpec("u:read"));
    }

    [Fact]
    public async Task A_node_with_a_certificate_speaks_TLS_at_a_grpc_tls_location()
    {
        using var certificate = TestCertificates.SelfSigned();

        string folder = Directory.CreateTempSubdirectory("arrowcid-flight-tls-").FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            await using var node = await FlightNode.StartAsync(content, new FlightNodeOptions { Certificate = certificate });
            Assert.StartsWith("grpc+tls://", node.Location, StringComparison.Ordinal);
            using var client = new FlightClient(node.Location, new FlightClientOptions
            {
                ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
            });
            using var a = TestBatches.Small(43);
            var put = await client.PutAsync(a.Schema, [a]);
            Assert.Equal(put.Batches[0].Cid, (await client.GetAsync(put.Batches[0].Cid)).Batches[0].Cid);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TLS_against_a_plaintext_node_and_plaintext_against_a_TLS_node_say_so()
    {
        using var certificate = TestCertificates.SelfSigned();
        string folder = Directory.CreateTempSubdirectory("arrowcid-flight-tls-mismatch-").FullName;
        try
        {
            using var plainContent = ContentRepository.Open(Path.Combine(folder, "plain"));
            using var tlsContent = ContentRepository.Open(Path.Combine(folder, "tls"));
            await using var plain = await FlightNode.StartAsync(plainContent);
            await using var tls = await FlightNode.StartAsync(tlsContent, new FlightNodeOptions { Certificate = certificate });

            using var tlsClient = new FlightClient(plain.Location.Replace("grpc+tcp://", "grpc+tls://", StringComparison.Ordinal), new FlightClientOptions
            {
                ServerCertificateValidation = (_, presented, _, _) => presented is not null && presented.GetCertHashString() == certificate.GetCertHashString(),
            });
            var toPlain = await Assert.ThrowsAnyAsync<Exception>(() => tlsClient.ListAsync().ToListAsync().AsTask());
            Assert.Contains("use grpc+tcp://", Messages(toPlain), StringComparison.Ordinal);

            using var plainClient = new FlightClient(tls.Location.Replace("grpc+tls://", "grpc+tcp://", StringComparison.Ordinal));
            var toTls = await Assert.ThrowsAnyAsync<Exception>(() => plainClient.ListAsync().ToListAsync().AsTask());
            Assert.Contains("use grpc+tls://", Messages(toTls), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        static string Messages(Exception e) => e.InnerException is null ? e.Message : e.Message + " <- " + Messages(e.InnerException);
    }
}
