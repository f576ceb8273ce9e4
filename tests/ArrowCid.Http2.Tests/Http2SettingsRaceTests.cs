using System.Net;
using System.Net.Sockets;
using ArrowCid.Http2.Client;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// The hang of issue 34: a client stream opened while the server's first SETTINGS frame was being
/// applied kept the protocol's default send window (65,535) while the server, which had announced
/// 16 MiB, waited for data before granting more, so both sides waited for ever. The test holds the
/// opener in the window between making the stream and entering it in the connection's table
/// (<see cref="Http2ClientOptions.StreamOpeningGate"/>) and, there, has the client apply a larger
/// SETTINGS_INITIAL_WINDOW_SIZE: the interleaving that lost the change, forced every time.
/// </summary>
public sealed class Http2SettingsRaceTests
{
    private const int AnnouncedWindow = 1 << 20;

    [Fact]
    public async Task A_stream_opened_while_the_peer_settings_are_applied_gets_the_announced_window()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var address = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/test.Svc/Put");
        Task<RawHttp2Peer> accepted = AcceptWithoutSettingsAsync(listener);
        var windowInTheGap = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new Http2ClientOptions
        {
            // On the opener's thread, inside the gap: the server's SETTINGS arrive and the client's
            // read loop applies them (its ACK is the proof) before the stream is in the table.
            StreamOpeningGate = stream =>
            {
                RawHttp2Peer server = accepted.GetAwaiter().GetResult();
                server.WriteSettingsAsync((Http2SettingId.InitialWindowSize, AnnouncedWindow)).GetAwaiter().GetResult();
                server.ReadUntilAsync(f => f.Type == Http2FrameType.Settings && f.Has(Http2FrameFlags.Ack)).GetAwaiter().GetResult();
                windowInTheGap.SetResult(stream.SendWindow.Available);
            },
        };

        // A body twice the default window, whole inside the announced one: a client that kept the
        // change sends all of it and END_STREAM without a stream WINDOW_UPDATE.
        byte[] body = new byte[2 * Http2Protocol.DefaultWindowSize + 1000];
        new Random(34).NextBytes(body);
        using var client = new HttpClient(new Http2ClientHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        Task<HttpResponseMessage> call = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using RawHttp2Peer peer = await accepted;

        // The change reached the stream: without it the stream stays at 65,535 for good.
        Assert.Equal(AnnouncedWindow, await windowInTheGap.Task);

        // And the body flows on that credit alone (the connection's window is opened wide).
        await peer.WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, ReadOnlyMemory<byte>.Empty);
        await peer.WriteWindowUpdateAsync(0, 1 << 24);
        var received = new MemoryStream();
        bool ended = false;
        while (!ended)
        {
            RawFrame frame = await peer.ReadUntilAsync(f => f.Type is Http2FrameType.Data or Http2FrameType.RstStream)
                ?? throw new IOException("the client closed the connection");
            Assert.Equal(Http2FrameType.Data, frame.Type);
            received.Write(frame.Payload);
            ended = frame.Has(Http2FrameFlags.EndStream);
        }

        Assert.Equal(body, received.ToArray());
        await peer.WriteHeadersAsync(1, [new(":status", "200"), new("grpc-status", "0")], endStream: true);
        using HttpResponseMessage response = await call.WaitAsync(RawHttp2Peer.DefaultTimeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Accepts the client and reads its preface and SETTINGS, sending nothing: the test decides when the server's SETTINGS go.</summary>
    private static async Task<RawHttp2Peer> AcceptWithoutSettingsAsync(TcpListener listener)
    {
        Socket socket = await listener.AcceptSocketAsync();
        var peer = new RawHttp2Peer(socket);
        Assert.Equal(Http2Protocol.ClientPreface.ToArray(), await peer.ReadRawAsync(24));
        RawFrame first = await peer.ReadFrameAsync() ?? throw new IOException("closed");
        Assert.Equal(Http2FrameType.Settings, first.Type);
        return peer;
    }
}
