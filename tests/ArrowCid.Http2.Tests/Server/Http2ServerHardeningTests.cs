using System.Net.Sockets;
using ArrowCid.Grpc;
using ArrowCid.Http2;
using ArrowCid.Http2.Tests;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Http2.Tests.Server;

/// <summary>
/// What keeps one client from holding a server's resources: handlers still running count against
/// MAX_CONCURRENT_STREAMS even after their streams were reset ("rapid reset"), and idle or silent
/// connections are closed.
/// </summary>
public sealed class Http2ServerHardeningTests
{
    private static readonly GrpcMethod<Flight.Protocol.Action, Result> Stuck = new("test.Stuck", "Unary", MethodType.Unary);

    [Fact]
    public async Task Streams_reset_at_once_still_count_while_their_handlers_run()
    {
        var release = new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        var registry = new GrpcServiceRegistry(new GrpcServerOptions());
        new EchoService().Register(registry);

        // A handler that ignores cancellation: it keeps running after its stream is reset.
        registry.AddUnary(Stuck, (_, _) =>
        {
            Interlocked.Increment(ref started);
            return release.Task;
        });
        await using GrpcServer server = await GrpcServer.StartAsync(registry);
        (RawHttp2Peer peer, RawFrame settings) = await RawHttp2Peer.HandshakeAsync(server.Address);
        await using (peer)
        {
            const int limit = 100;
            for (int i = 0; i < limit; i++)
            {
                int id = 1 + (2 * i);
                await peer.WriteHeadersAsync(id, RawRequests.Unary("/test.Stuck/Unary"), endStream: false);
                await peer.WriteDataAsync(id, RawRequests.EchoMessage("x"), endStream: true);
            }

            // Once every handler has its request, the client resets every stream.
            await WaitUntilAsync(() => Volatile.Read(ref started) == limit);
            for (int i = 0; i < limit; i++)
            {
                await peer.WriteRstAsync(1 + (2 * i), Http2ErrorCode.Cancel);
            }

            // Every stream is closed, but 100 handlers still run: the next stream is refused.
            int next = 1 + (2 * limit);
            await peer.WriteHeadersAsync(next, RawRequests.Unary(), endStream: false);
            RawFrame? refused = await peer.ReadUntilAsync(f => f.StreamId == next);
            Assert.NotNull(refused);
            Assert.Equal(Http2FrameType.RstStream, refused.Type);
            Assert.Equal(Http2ErrorCode.RefusedStream, refused.ErrorCode);

            release.SetResult(new Result());
            for (int attempt = 0; ; attempt++)
            {
                // Handlers finish asynchronously after the release; a refused attempt is retried on a new id.
                int id = next + (2 * (attempt + 1));
                await peer.WriteHeadersAsync(id, RawRequests.Unary(), endStream: false);
                await peer.WriteDataAsync(id, RawRequests.EchoMessage("after"), endStream: true);
                RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(id);
                if (result.Reset == Http2ErrorCode.RefusedStream && attempt < 50)
                {
                    await Task.Delay(20);
                    continue;
                }

                Assert.Null(result.Reset);
                Assert.Equal("after", RawRequests.ReadEcho(result.Body.ToArray()));
                break;
            }
        }
    }

    [Fact]
    public async Task An_idle_connection_gets_goaway_and_is_closed()
    {
        // The idle timeout runs on a clock the test moves: a connection goes idle when the test
        // says, never because a loaded machine was slow between a handshake and its first call.
        var clock = new ManualTimeProvider();
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            IdleConnectionTimeout = TimeSpan.FromMilliseconds(300),
            KeepAlive = Http2KeepAlive.Off with { Clock = clock },
        });
        new EchoService().Register(registry);
        await using GrpcServer server = await GrpcServer.StartAsync(registry);
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(server.Address);
        await using (peer)
        {
            await RawRequests.EchoAsync(peer, 1, "before going idle");

            // Idle once the server has finished the call as well, which the test cannot see: the
            // clock moves on, past the timeout each time, until the GOAWAY comes.
            Task<RawFrame?> goAway = peer.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);
            for (int moves = 0; !goAway.IsCompleted; moves++)
            {
                Assert.True(moves < 1000, "no GOAWAY after 400 s of idle time");
                clock.Advance(TimeSpan.FromMilliseconds(400));
                await Task.WhenAny(goAway, Task.Delay(10));
            }

            Assert.NotNull(await goAway);
            Assert.Equal(Http2ErrorCode.NoError, (await goAway)!.ErrorCode);
            Assert.Null(await peer.ReadUntilAsync(_ => false));
        }

        // A connection that is in use is not idle: a call open for three timeouts completes.
        (RawHttp2Peer busy, _) = await RawHttp2Peer.HandshakeAsync(server.Address);
        await using (busy)
        {
            await busy.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);

            // The gate: frames are read in order, so a PING answered means the stream is open on the server.
            await busy.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.None, 0, new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 });
            Assert.NotNull(await busy.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && f.Has(Http2FrameFlags.Ack)));
            clock.Advance(TimeSpan.FromMilliseconds(900));

            await busy.WriteDataAsync(1, RawRequests.EchoMessage("slow"), endStream: true);
            RawHttp2Peer.StreamResult result = await busy.ReadStreamAsync(1);
            Assert.Null(result.Reset);
            Assert.Null(result.GoAway);
            Assert.Equal("slow", RawRequests.ReadEcho(result.Body.ToArray()));
        }
    }

    [Fact]
    public async Task A_client_that_answers_no_ping_is_taken_for_dead_and_its_connection_closed()
    {
        var echo = new EchoService();
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { KeepAlive = new Http2KeepAlive(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200)) });
        echo.Register(registry);
        await using GrpcServer server = await GrpcServer.StartAsync(registry);
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(server.Address);
        await using (peer)
        {
            // A call left open (its request never ends), then silence: the server PINGs, gets no
            // answer, and ends the connection; the handler sees its call cancelled.
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            RawFrame? ping = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && !f.Has(Http2FrameFlags.Ack));
            Assert.NotNull(ping);
            Assert.Null(await peer.ReadUntilAsync(f => f.Type != Http2FrameType.GoAway && f.Type != Http2FrameType.Ping));
        }

        await RawRequests.FreshCallWorksAsync(server.Address);
    }

    [Fact]
    public async Task A_connection_that_never_sends_the_preface_is_closed()
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { IdleConnectionTimeout = TimeSpan.FromMilliseconds(300) });
        new EchoService().Register(registry);
        await using GrpcServer server = await GrpcServer.StartAsync(registry);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Address.Host, server.Address.Port);
        byte[] buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        do
        {
            // Whatever the server sends before closing (nothing, or a GOAWAY), the socket must reach its end.
            read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }
        while (read > 0);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
