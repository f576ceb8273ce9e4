using System.Net;
using System.Net.Http.Headers;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests;

/// <summary>
/// A server bounds the large messages it receives at once (issue 65): a message's array is taken
/// only when the budget has room for its declared length; one that finds none fails at once with
/// RESOURCE_EXHAUSTED, and the room comes back when a message is received whole.
/// </summary>
public sealed class ReceiveBudgetTests
{
    private const int MessageBytes = 3 << 19; // 1.5 MiB: past the large-message threshold

    [Fact]
    public async Task A_message_past_the_budget_fails_resource_exhausted_until_the_one_in_reception_is_whole()
    {
        var budget = new GrpcReceiveBudget(2 << 20);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { ReceiveBudget = budget });
        new EchoService().Register(registry);
        await using var server = await GrpcServer.StartAsync(registry);
        var message = new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFrom(new byte[MessageBytes]) };
        byte[] body = message.ToByteArray();
        byte[] framed = RawGrpc.Frame(0, (uint)body.Length, body);

        // The first call sends its prefix and a part of its message, then waits at the gate.
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = new HttpClient(new SocketsHttpHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, EchoService.Unary.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GatedContent(framed, 100_000, rest.Task),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        var first = client.SendAsync(request);

        // The gate: the server has taken the first message's room (it declared MessageBytes).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (budget.InUse < body.Length)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the server never began to receive the first message");
            await Task.Delay(10);
        }

        using var channel = new GrpcChannel(server.Address);
        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, message, new CallOptions()));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("at most 2 MiB at once", refused.Status.Detail, StringComparison.Ordinal);

        rest.SetResult();
        using (var answered = await first)
        {
            _ = await answered.Content.ReadAsByteArrayAsync();
            Assert.Equal("0", answered.TrailingHeaders.GetValues("grpc-status").Single());
        }

        Assert.Equal(0, budget.InUse);
        Assert.Equal(MessageBytes, (await channel.UnaryAsync(EchoService.Unary, message, new CallOptions())).Body.Length);
    }

    [Fact]
    public async Task One_connection_holds_at_most_its_share_and_another_is_served_meanwhile()
    {
        // Room for five such messages in all, for one on a connection.
        var budget = new GrpcReceiveBudget(8 << 20, perConnection: 2 << 20);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { ReceiveBudget = budget });
        new EchoService().Register(registry);
        await using var server = await GrpcServer.StartAsync(registry);
        var message = new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFrom(new byte[MessageBytes]) };
        byte[] body = message.ToByteArray();
        byte[] framed = RawGrpc.Frame(0, (uint)body.Length, body);

        // One connection (one HttpClient speaking HTTP/2): its first call holds a message in reception at the gate.
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = new HttpClient(new SocketsHttpHandler());
        HttpRequestMessage Call(HttpContent content)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Address, EchoService.Unary.FullName))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = content,
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
            request.Headers.TryAddWithoutValidation("te", "trailers");
            return request;
        }

        using var held = Call(new GatedContent(framed, 100_000, rest.Task));
        var first = client.SendAsync(held);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (budget.InUse < body.Length)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the server never began to receive the first message");
            await Task.Delay(10);
        }

        // A second call on the same connection finds its share taken; the node's room is not.
        using (var second = await client.SendAsync(Call(new ByteArrayContent(framed))))
        {
            _ = await second.Content.ReadAsByteArrayAsync();
            string status = second.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.Single() : second.Headers.GetValues("grpc-status").Single();
            Assert.Equal(((int)StatusCode.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
        }

        // Another connection is served meanwhile.
        using var channel = new GrpcChannel(server.Address);
        Assert.Equal(MessageBytes, (await channel.UnaryAsync(EchoService.Unary, message, new CallOptions())).Body.Length);

        rest.SetResult();
        using (var answered = await first)
        {
            _ = await answered.Content.ReadAsByteArrayAsync();
            Assert.Equal("0", answered.TrailingHeaders.GetValues("grpc-status").Single());
        }

        Assert.Equal(0, budget.InUse);
    }

    // Writes the first bytes, then the rest once the gate opens.
    private sealed class GatedContent(byte[] bytes, int firstPart, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, firstPart));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(bytes.AsMemory(firstPart));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
