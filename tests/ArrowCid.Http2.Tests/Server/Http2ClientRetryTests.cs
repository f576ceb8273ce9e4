using System.Net;
using System.Net.Sockets;
using ArrowCid.Grpc;
using ArrowCid.Http2;
using ArrowCid.Http2.Tests;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Http2.Tests.Server;

/// <summary>
/// A request the server refused without processing it (RST_STREAM REFUSED_STREAM, or GOAWAY below its
/// stream; RFC 9113 §8.7) is sent again by our client when its whole body is known; a streaming
/// request is not. The test plays the server by hand.
/// </summary>
public sealed class Http2ClientRetryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public Http2ClientRetryTests() => _listener.Start();

    private Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
    }

    [Fact]
    public async Task A_unary_call_refused_unprocessed_is_sent_again_on_a_new_stream()
    {
        using var channel = new GrpcChannel(Address);
        Task<Result> call = channel.UnaryAsync(EchoService.Unary, new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("again") });
        await using RawHttp2Peer peer = await AcceptAsync();

        RawHttp2Peer.StreamResult first = await peer.ReadStreamAsync(1);
        await peer.WriteRstAsync(1, Http2ErrorCode.RefusedStream);
        RawHttp2Peer.StreamResult second = await peer.ReadStreamAsync(3);
        Assert.Equal(first.Body.ToArray(), second.Body.ToArray());
        Assert.Equal("/test.Echo/Unary", second.Field(":path"));
        await RespondAsync(peer, 3, second);

        Result result = await call.WaitAsync(Timeout);
        Assert.Equal("again", result.Body.ToStringUtf8());
    }

    [Fact]
    public async Task A_call_above_a_goaway_is_sent_again_on_a_new_connection()
    {
        using var channel = new GrpcChannel(Address);
        Task<Result> call = channel.UnaryAsync(EchoService.Unary, new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("elsewhere") });
        await using (RawHttp2Peer going = await AcceptAsync())
        {
            await going.ReadStreamAsync(1);
            await going.WriteGoAwayAsync(0, Http2ErrorCode.NoError);
        }

        await using RawHttp2Peer peer = await AcceptAsync();
        RawHttp2Peer.StreamResult again = await peer.ReadStreamAsync(1);
        await RespondAsync(peer, 1, again);
        Assert.Equal("elsewhere", (await call.WaitAsync(Timeout)).Body.ToStringUtf8());
    }

    [Fact]
    public async Task A_streaming_request_that_is_still_open_is_not_sent_again()
    {
        using var channel = new GrpcChannel(Address);
        using GrpcCall<Flight.Protocol.Action, Result> call = channel.StartCall(EchoService.ClientStream);
        await call.RequestStream.WriteAsync(new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("one") });
        await using RawHttp2Peer peer = await AcceptAsync();
        RawFrame headers = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers) ?? throw new IOException("closed");
        peer.Decoder.Decode(headers.Payload, []);
        await peer.WriteRstAsync(1, Http2ErrorCode.RefusedStream);

        RpcException failed = await Assert.ThrowsAsync<RpcException>(() => call.GetResponseAsync().WaitAsync(Timeout));
        Assert.Equal(StatusCode.Unavailable, failed.StatusCode);

        // Nothing opens a second stream.
        // The read's TimeoutException is caught here: a ContinueWith that only looked at IsFaulted left
        // it unobserved, and the frame fuzz test (same process) counted it as one of our HTTP/2 code's.
        RawFrame? next;
        try
        {
            next = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers, TimeSpan.FromMilliseconds(300));
        }
        catch (TimeoutException)
        {
            next = null;
        }

        Assert.Null(next);
    }

    private Task<RawHttp2Peer> AcceptAsync() => RawHttp2Peer.AcceptClientAsync(_listener);

    /// <summary>Answers an echo request: its Action's body back as a Result, then OK trailers.</summary>
    private static async Task RespondAsync(RawHttp2Peer peer, int streamId, RawHttp2Peer.StreamResult request)
    {
        byte[] body = request.Body.ToArray();
        var action = Flight.Protocol.Action.Parser.ParseFrom(body.AsSpan(5));
        byte[] reply = new Result { Body = action.Body }.ToByteArray();
        await peer.WriteHeadersAsync(streamId, [new(":status", "200"), new("content-type", "application/grpc")], endStream: false);
        await peer.WriteDataAsync(streamId, RawGrpc.Frame(0, (uint)reply.Length, reply), endStream: false);
        await peer.WriteHeadersAsync(streamId, [new("grpc-status", "0")], endStream: true);
    }
}
