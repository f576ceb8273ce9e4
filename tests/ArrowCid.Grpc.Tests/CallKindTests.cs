using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests;

/// <summary>The four call kinds, metadata and status delivery between our client and our server.</summary>
public sealed class CallKindTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static Flight.Protocol.Action Act(string type, string body) => new() { Type = type, Body = ByteString.CopyFromUtf8(body) };

    [Fact]
    public async Task Unary_call_echoes_the_request()
    {
        using var channel = server.CreateChannel();
        Result result = await channel.UnaryAsync(EchoService.Unary, Act("echo", "hello"));
        Assert.Equal("hello", result.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Server_streaming_call_delivers_every_message_then_ok()
    {
        using var channel = server.CreateChannel();
        using var call = channel.ServerStreaming(EchoService.ServerStream, Act("count", "50"));
        var bodies = new List<string>();
        await foreach (Result r in call.ResponseStream.ReadAllAsync())
        {
            bodies.Add(r.Body.ToStringUtf8());
        }

        Assert.Equal(Enumerable.Range(0, 50).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), bodies);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(1)]
    public async Task Server_streaming_buffered_messages_arrive_in_order_the_last_with_the_end_of_the_call(int count)
    {
        // A buffered write waits for the next write; the last message written buffered goes out when the call ends.
        using var channel = server.CreateChannel();
        using var call = channel.ServerStreaming(EchoService.ServerStream, Act("buffered", count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var bodies = new List<string>();
        await foreach (Result r in call.ResponseStream.ReadAllAsync())
        {
            bodies.Add(r.Body.ToStringUtf8());
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), bodies);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Server_streaming_error_after_messages_arrives_in_trailers()
    {
        using var channel = server.CreateChannel();
        using var call = channel.ServerStreaming(EchoService.ServerStream, Act("fail-after", "3"));
        int received = 0;
        var error = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (Result _ in call.ResponseStream.ReadAllAsync())
            {
                received++;
            }
        });
        Assert.Equal(3, received);
        Assert.Equal(StatusCode.DataLoss, error.StatusCode);
        Assert.Equal("failed after 3 messages", error.Status.Detail);
    }

    [Fact]
    public async Task Client_streaming_call_sends_messages_then_reads_one_response()
    {
        using var channel = server.CreateChannel();
        using var call = channel.StartCall(EchoService.ClientStream);
        foreach (string part in new[] { "a", "bb", "ccc" })
        {
            await call.RequestStream.WriteAsync(Act("part", part));
        }

        await call.RequestStream.CompleteAsync();
        Result result = await call.GetResponseAsync();
        Assert.Equal("abbccc", result.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Duplex_call_interleaves_requests_and_responses()
    {
        using var channel = server.CreateChannel();
        using var call = channel.StartCall(EchoService.Duplex);
        for (int i = 0; i < 5; i++)
        {
            // Each response must arrive before the next request is written: true duplex, not buffered.
            await call.RequestStream.WriteAsync(Act("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"n:{i}", call.ResponseStream.Current.Body.ToStringUtf8());
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(StatusCode.NotFound, "plain ascii")]
    [InlineData(StatusCode.InvalidArgument, "100% sure: ünïcödé, 日本語, emoji 😀, tab\tand newline\n")]
    [InlineData(StatusCode.FailedPrecondition, "%41 is not A, %%, %zz, trailing %")]
    [InlineData(StatusCode.PermissionDenied, "")]
    public async Task Status_code_and_message_survive_the_wire(StatusCode code, string detail)
    {
        using var channel = server.CreateChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, Act("status", $"{(int)code}|{detail}")));
        Assert.Equal(code, error.StatusCode);
        Assert.Equal(detail, error.Status.Detail);
    }

    [Fact]
    public async Task Custom_metadata_travels_both_ways_text_and_binary()
    {
        using var channel = server.CreateChannel();
        byte[] binary = [0, 1, 2, 254, 255, (byte)'=', 10];
        var headers = new Metadata();
        headers.Add("text-key", "some value");
        headers.Add("data-bin", binary);
        using var call = channel.ServerStreaming(EchoService.Unary, Act("metadata", ""), new CallOptions(headers));
        Metadata responseHeaders = await call.ResponseHeadersAsync;
        Assert.Equal("some value", responseHeaders.GetValue("echo-header"));
        Result result = await call.GetResponseAsync();
        Assert.StartsWith("ipv4:127.0.0.1:", result.Body.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Equal(binary, call.GetTrailers().GetValueBytes("echo-bin"));
    }

    [Fact]
    public async Task Unknown_method_is_unimplemented()
    {
        using var channel = server.CreateChannel();
        var missing = new GrpcMethod<Flight.Protocol.Action, Result>("test.Nowhere", "Nothing", MethodType.Unary);
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(missing, Act("echo", "x")));
        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("/test.Nowhere/Nothing", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handler_exception_becomes_unknown_and_the_server_keeps_serving()
    {
        using var channel = server.CreateChannel();
        for (int i = 0; i < 3; i++)
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, Act("throw", "")));
            Assert.Equal(StatusCode.Unknown, error.StatusCode);
            Assert.Contains("InvalidOperationException: handler exploded", error.Status.Detail, StringComparison.Ordinal);
        }

        Result ok = await channel.UnaryAsync(EchoService.Unary, Act("echo", "still here"));
        Assert.Equal("still here", ok.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Many_concurrent_calls_on_one_channel_all_succeed()
    {
        using var channel = server.CreateChannel();
        var calls = Enumerable.Range(0, 200).Select(async i =>
            (await channel.UnaryAsync(EchoService.Unary, Act("echo", $"m{i}"))).Body.ToStringUtf8());
        string[] results = await Task.WhenAll(calls);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"m{i}"), results);
    }
}
