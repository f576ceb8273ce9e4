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

    private static readonly Flight.Protocol.Action Message = new() { Type = "echo", Body = ByteString.CopyFrom(new byte[MessageBytes]) };

    // The message as a gRPC body: its 5-byte prefix, then its bytes.
    private static readonly byte[] Framed = RawGrpc.Frame(0, (uint)Message.CalculateSize(), Message.ToByteArray());

    [Fact]
    public async Task A_message_past_the_budget_fails_resource_exhausted_until_the_one_in_reception_is_whole()
    {
        var budget = new GrpcReceiveBudget(2 << 20);
        await using var server = await StartEchoAsync(budget);

        // The first call sends its prefix and a part of its message, then waits at the gate.
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = new HttpClient(new SocketsHttpHandler());
        using var request = RawCall(server, new GatedContent(Framed, 100_000, rest.Task));
        var first = client.SendAsync(request);
        await ReceivingAsync(budget);

        using var channel = new GrpcChannel(server.Address);
        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, Message, new CallOptions()));
        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("at most 2 MiB at once", refused.Status.Detail, StringComparison.Ordinal);

        rest.SetResult();
        Assert.Equal("0", await StatusOfAsync(await first));
        Assert.Equal(0, budget.InUse);
        Assert.Equal(MessageBytes, (await channel.UnaryAsync(EchoService.Unary, Message, new CallOptions())).Body.Length);
    }

    [Fact]
    public async Task One_connection_holds_at_most_its_share_and_another_is_served_meanwhile()
    {
        // Room for five such messages in all, for one on a connection.
        var budget = new GrpcReceiveBudget(8 << 20, perConnection: 2 << 20);
        await using var server = await StartEchoAsync(budget);

        // One connection (one HttpClient speaking HTTP/2): its first call holds a message in reception at the gate.
        var rest = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = new HttpClient(new SocketsHttpHandler());
        using var held = RawCall(server, new GatedContent(Framed, 100_000, rest.Task));
        var first = client.SendAsync(held);
        await ReceivingAsync(budget);

        // A second call on the same connection finds its share taken; the node's room is not.
        using (var second = RawCall(server, new ByteArrayContent(Framed)))
        {
            Assert.Equal(((int)StatusCode.ResourceExhausted).ToString(System.Globalization.CultureInfo.InvariantCulture), await StatusOfAsync(await client.SendAsync(second)));
        }

        // Another connection is served meanwhile.
        using var channel = new GrpcChannel(server.Address);
        Assert.Equal(MessageBytes, (await channel.UnaryAsync(EchoService.Unary, Message, new CallOptions())).Body.Length);

        rest.SetResult();
        Assert.Equal("0", await StatusOfAsync(await first));
        Assert.Equal(0, budget.InUse);
    }

    private static async Task<GrpcServer> StartEchoAsync(GrpcReceiveBudget budget)
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { ReceiveBudget = budget });
        new EchoService().Register(registry);
        return await GrpcServer.StartAsync(registry);
    }

    // A unary echo call made by hand, so that its body can stop halfway.
    private static HttpRequestMessage RawCall(GrpcServer server, HttpContent content)
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

    // The gate: the server has taken the first message's room (it declared MessageBytes).
    private static async Task ReceivingAsync(GrpcReceiveBudget budget)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (budget.InUse < Framed.Length - 5)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the server never began to receive the first message");
            await Task.Delay(10);
        }
    }

    // The grpc-status of a raw call's answer (trailers, or headers for a trailers-only answer).
    private static async Task<string> StatusOfAsync(HttpResponseMessage answer)
    {
        using (answer)
        {
            _ = await answer.Content.ReadAsByteArrayAsync();
            return answer.TrailingHeaders.TryGetValues("grpc-status", out var trailer) ? trailer.Single() : answer.Headers.GetValues("grpc-status").Single();
        }
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
