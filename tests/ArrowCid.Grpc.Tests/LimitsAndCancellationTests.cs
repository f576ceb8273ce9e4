using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using ArrowCid.TestSupport;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests;

/// <summary>Deadlines, cancellation and message size limits, on both sides.</summary>
public sealed class LimitsAndCancellationTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static Flight.Protocol.Action Act(string type, string body) => new() { Type = type, Body = ByteString.CopyFromUtf8(body) };

    [Fact]
    public async Task Deadline_ends_the_call_with_deadline_exceeded_saying_what_it_waited_for()
    {
        // The client's side alone: the "wait" handler never answers, and the server's clock never
        // moves, so the server never ends the call for its grpc-timeout (on a busy machine it
        // could otherwise answer DEADLINE_EXCEEDED before the client's own timer ran): only the
        // client's deadline ends it.
        var frozen = new ManualTimeProvider();
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { TimeProvider = frozen });
        new EchoService().Register(registry);
        await using var unhurried = await GrpcServer.StartAsync(registry);
        using var channel = new GrpcChannel(unhurried.Address);
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, Act("wait", ""), new CallOptions(Deadline: DateTime.UtcNow.AddMilliseconds(300))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("while waiting for the server's response headers", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_handler_learns_the_deadline_from_grpc_timeout_and_its_token_fires_when_it_passes()
    {
        // The server's side, on a clock the test moves: the deadline passes after the handler has
        // started (the gate), however slow the machine; the client's own deadline is an hour away.
        var clock = new ManualTimeProvider();
        var echo = new EchoService();
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { TimeProvider = clock });
        echo.Register(registry);
        await using var clocked = await GrpcServer.StartAsync(registry);
        using var channel = new GrpcChannel(clocked.Address);
        var call = channel.UnaryAsync(EchoService.Unary, Act("wait", ""), new CallOptions(Deadline: DateTime.UtcNow.AddHours(1)));

        DateTime learnt = await echo.WaitStarted.Task.WaitAsync(Patience);
        DateTime now = clock.GetUtcNow().UtcDateTime;
        Assert.InRange(learnt, now.AddMinutes(55), now.AddHours(1));
        Assert.False(echo.WaitCancelled.Task.IsCompleted);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(learnt, await echo.WaitCancelled.Task.WaitAsync(Patience));
        var error = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(Patience));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Idle_timeout_ends_a_call_on_which_nothing_moves_with_deadline_exceeded_saying_what_it_waited_for()
    {
        using var channel = server.CreateChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, Act("wait", ""), new CallOptions(IdleTimeout: TimeSpan.FromMilliseconds(300))));

        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Contains("while waiting for the server's response headers", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deadline_already_past_fails_without_waiting()
    {
        using var channel = server.CreateChannel();
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, Act("echo", ""), new CallOptions(Deadline: DateTime.UtcNow.AddSeconds(-1))));
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
    }

    [Fact]
    public async Task Client_cancellation_resets_the_stream_and_the_handler_sees_it()
    {
        server.Echo.ResetSignals();
        using var channel = server.CreateChannel();
        using var cts = new CancellationTokenSource();
        Task<Result> call = channel.UnaryAsync(EchoService.Unary, Act("wait", ""), new CallOptions(CancellationToken: cts.Token));
        await server.Echo.WaitStarted.Task.WaitAsync(Patience);
        await cts.CancelAsync();
        var error = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.Equal(StatusCode.Cancelled, error.StatusCode);
        DateTime deadline = await server.Echo.WaitCancelled.Task.WaitAsync(Patience);
        Assert.Equal(DateTime.MaxValue, deadline);
    }

    [Fact]
    public async Task Disposing_an_unfinished_stream_call_cancels_the_handler()
    {
        server.Echo.ResetSignals();
        using var channel = server.CreateChannel();
        var call = channel.ServerStreaming(EchoService.Unary, Act("wait", ""));
        await server.Echo.WaitStarted.Task.WaitAsync(Patience);
        call.Dispose();
        await server.Echo.WaitCancelled.Task.WaitAsync(Patience);
        Assert.Equal(StatusCode.Cancelled, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Oversize_request_is_resource_exhausted_and_the_server_keeps_serving()
    {
        // The client may send it (its send limit is larger): the server must enforce its own limit.
        using var channel = server.CreateChannel();
        var big = new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFrom(new byte[EchoServer.MaxReceive + 1]) };
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, big));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("larger than the limit of 1048576 bytes", error.Status.Detail, StringComparison.Ordinal);

        Result ok = await channel.UnaryAsync(EchoService.Unary, Act("echo", "fine"));
        Assert.Equal("fine", ok.Body.ToStringUtf8());
    }

    [Fact]
    public async Task Oversize_response_is_resource_exhausted_on_the_client()
    {
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 1000 });
        var error = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, Act("big", "5000")));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Result small = await channel.UnaryAsync(EchoService.Unary, Act("big", "10"));
        Assert.Equal(10, small.Body.Length);
    }

    [Fact]
    public async Task Oversize_large_response_is_resource_exhausted_before_its_body_is_read()
    {
        // 1 MiB FlightData messages take the reader's large-message path; the limit must still hold there.
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxReceiveMessageSize = 512 * 1024 });
        using var call = channel.ServerStreaming(EchoService.Bulk, new Ticket { Ticket_ = ByteString.CopyFromUtf8("3") });
        var error = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains("larger than the limit of 524288 bytes", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task Oversize_send_is_refused_before_anything_is_sent()
    {
        using var channel = server.CreateChannel(new GrpcChannelOptions { MaxSendMessageSize = 100 });
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            channel.UnaryAsync(EchoService.Unary, Act("echo", new string('x', 200))));
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
    }

    [Fact]
    public async Task A_100_MiB_server_stream_completes()
    {
        using var channel = server.CreateChannel();
        using var call = channel.ServerStreaming(EchoService.Bulk, new Ticket { Ticket_ = ByteString.CopyFromUtf8("100") });
        long total = 0;
        int messages = 0;
        await foreach (FlightData data in call.ResponseStream.ReadAllAsync())
        {
            Assert.Equal((byte)messages, data.DataBody[0]);
            total += data.DataBody.Length;
            messages++;
        }

        Assert.Equal(100L * 1024 * 1024, total);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }
}
