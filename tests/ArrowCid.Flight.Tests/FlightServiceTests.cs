using System.Security.Cryptography.X509Certificates;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests;

/// <summary>A FlightServiceBase-derived service through FlightServiceClient, in cleartext and over TLS.</summary>
public sealed class FlightServiceTests(TestServer server) : IClassFixture<TestServer>
{
    [Fact]
    public async Task ListActions_DoAction_and_DoGet_reach_the_overridden_methods()
    {
        using var channel = server.CreateChannel();
        var client = new FlightServiceClient(channel);

        using var actions = client.ListActions();
        Assert.Equal(["echo", "fail"], await actions.ResponseStream.ReadAllAsync().Select(a => a.Type).ToArrayAsync());

        using var echo = client.DoAction(new Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("payload") });
        Assert.Equal(["payload", "done"], await echo.ResponseStream.ReadAllAsync().Select(r => r.Body.ToStringUtf8()).ToArrayAsync());

        using var get = client.DoGet(new Ticket { Ticket_ = ByteString.CopyFromUtf8("5") });
        FlightData[] data = await get.ResponseStream.ReadAllAsync().ToArrayAsync();
        Assert.Equal(["batch-0", "batch-1", "batch-2", "batch-3", "batch-4"], data.Select(d => d.AppMetadata.ToStringUtf8()));
        Assert.Equal(40, data[4].DataBody.Length);
    }

    [Fact]
    public async Task DoAction_failure_carries_code_and_unicode_message()
    {
        using var channel = server.CreateChannel();
        using var call = new FlightServiceClient(channel).DoAction(new Protocol.Action { Type = "fail" });
        var error = await Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.ReadAllAsync().ToArrayAsync());
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(TestFlightService.FailureMessage, error.Status.Detail);
    }

    [Fact]
    public async Task Methods_not_overridden_answer_unimplemented_for_every_call_kind()
    {
        using var channel = server.CreateChannel();
        var client = new FlightServiceClient(channel);
        var unary = await Assert.ThrowsAsync<RpcException>(() => client.GetFlightInfoAsync(new FlightDescriptor()));
        Assert.Equal(StatusCode.Unimplemented, unary.StatusCode);
        Assert.Contains("GetFlightInfo", unary.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => client.PollFlightInfoAsync(new FlightDescriptor()))).StatusCode);

        using var put = client.DoPut();
        await put.RequestStream.CompleteAsync();
        var duplex = await Assert.ThrowsAsync<RpcException>(() => put.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.Unimplemented, duplex.StatusCode);

        using var list = client.ListFlights(new Criteria());
        Assert.Equal(StatusCode.Unimplemented, (await Assert.ThrowsAsync<RpcException>(() => list.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);
    }

    [Fact]
    public async Task Tls_endpoint_with_a_certificate_serves_h2_via_alpn()
    {
        using X509Certificate2 certificate = TestCertificates.SelfSigned();
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { Certificate = certificate }).AddFlightService(new TestFlightService());
        await using GrpcServer tls = await GrpcServer.StartAsync(registry);
        Assert.Equal("https", tls.Address.Scheme);

        using var channel = new GrpcChannel(tls.Address, new GrpcChannelOptions
        {
            ServerCertificateValidation = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == certificate.GetCertHashString(),
        });
        using var actions = new FlightServiceClient(channel).ListActions();
        Assert.Equal(2, (await actions.ResponseStream.ReadAllAsync().ToArrayAsync()).Length);
    }
}
