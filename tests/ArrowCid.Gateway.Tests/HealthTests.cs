using System.Net;
using System.Text.Json;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Grpc.Health;
using ArrowCid.Node;
using ArrowCid.Registry;
using ServingStatus = ArrowCid.Grpc.Health.HealthCheckResponse.Types.ServingStatus;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// A node's health on both faces (issue 44): the gRPC Health Checking Protocol on the Flight port
/// and <c>/healthz</c>, <c>/readyz</c> on the HTTP port; open whatever the tokens, NOT_SERVING and
/// 503 once the node drains (with new calls refused), not ready while its registry does not answer.
/// </summary>
public sealed class HealthTests
{
    [Fact]
    public async Task A_ready_node_says_so_on_both_faces_and_its_probes_need_no_token()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access });

        using (var live = await node.Http.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("ok\n", await live.Content.ReadAsStringAsync());
        }

        var (status, body) = await ReadinessAsync(node);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("ready", "ok", "writable", "not served"), (Text(body, "status"), Text(body, "registry"), Text(body, "store"), Text(body, "shared_memory")));
        Assert.True(body.GetProperty("store_free_bytes").GetInt64() > NodeHealth.MinimumFreeBytes);

        // Everything else still needs the token.
        using (var listing = await node.Http.GetAsync("/api/v1/tables"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, listing.StatusCode);
        }

        using var channel = Channel(node);
        Assert.Equal(ServingStatus.Serving, (await CheckAsync(channel, "")).Status);
        Assert.Equal(ServingStatus.Serving, (await CheckAsync(channel, "arrow.flight.protocol.FlightService")).Status);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(channel, "no.such.Service"));
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);

        // A watch of a service not known here says so and stays open (it may become known).
        using var cancel = new CancellationTokenSource();
        using var watch = channel.ServerStreaming(GrpcHealthService.WatchMethod, new HealthCheckRequest { Service = "no.such.Service" }, new CallOptions { CancellationToken = cancel.Token });
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.ServiceUnknown, watch.ResponseStream.Current.Status);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task A_draining_node_reports_not_serving_and_503_at_once_and_refuses_new_calls()
    {
        await using var node = await GatewayFixture.StartAsync();
        using var channel = Channel(node);
        using var watch = channel.ServerStreaming(GrpcHealthService.WatchMethod, new HealthCheckRequest());
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.Serving, watch.ResponseStream.Current.Status);

        node.Flight.Node.Health.Drain();

        // The watch hears it and ends (so a graceful stop does not wait on it).
        Assert.True(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.NotServing, watch.ResponseStream.Current.Status);
        Assert.False(await watch.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(ServingStatus.NotServing, (await CheckAsync(channel, "")).Status);

        var (status, body) = await ReadinessAsync(node);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "draining"), (status, Text(body, "status")));
        using (var live = await node.Http.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        using (var listing = await node.Http.GetAsync("/api/v1/tables"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, listing.StatusCode);
        }

        using var client = new FlightClient(node.Flight.Location);
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.ListActionsAsync());
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
    }

    [Fact]
    public async Task A_node_whose_shared_registry_does_not_answer_is_not_ready()
    {
        using var away = new ConnectingRegistry(() => throw new RegistryUnavailableException("connection refused"), new RegistryUnavailableException("connection refused"));
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { SharedRegistry = away });

        var (status, body) = await ReadinessAsync(node);
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready"), (status, Text(body, "status")));
        Assert.StartsWith("not answering: ", Text(body, "registry"), StringComparison.Ordinal);
        using var channel = Channel(node);
        Assert.Equal(ServingStatus.NotServing, (await CheckAsync(channel, "")).Status);

        // Alive all the same.
        using var live = await node.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static GrpcChannel Channel(GatewayFixture node) => new(node.Flight.Address);

    private static Task<HealthCheckResponse> CheckAsync(GrpcChannel channel, string service) =>
        channel.UnaryAsync(GrpcHealthService.CheckMethod, new HealthCheckRequest { Service = service });

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadinessAsync(GatewayFixture node)
    {
        using var answer = await node.Http.GetAsync("/readyz");
        Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        return (answer.StatusCode, JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string? Text(JsonElement body, string property) => body.GetProperty(property).GetString();
}
