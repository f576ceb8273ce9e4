using System.Net;
using System.Net.Sockets;
using ArrowCid.Http2;
using ArrowCid.Http2.Client;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// RFC 9113 from the server's side of the wire: the test plays a scripted server over a
/// TcpListener and checks what our <see cref="Http2ClientHandler"/> sends and how it takes what it gets.
/// </summary>
public sealed class Http2ClientConformanceTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private HttpClient _client = null!;

    private Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/test.Svc/Call");

    public Task InitializeAsync()
    {
        _listener.Start();
        _client = new HttpClient(new Http2ClientHandler()) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _client?.Dispose();
        _listener.Stop();
        _listener.Dispose();
    }

    /// <summary>Accepts the client's connection: preface, its SETTINGS, then ours (+ extra settings) and an ACK of its.</summary>
    private Task<RawHttp2Peer> AcceptAsync(params (Http2SettingId Id, uint Value)[] settings) => RawHttp2Peer.AcceptClientAsync(_listener, settings);

    private HttpRequestMessage Request(HttpContent? content = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Address)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content ?? new ByteArrayContent([1, 2, 3]),
        };
        request.Headers.TryAddWithoutValidation("X-Custom-Header", "Value");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        return request;
    }

    /// <summary>Reads the request's HEADERS (skipping SETTINGS ACK, WINDOW_UPDATE...); returns the decoded fields.</summary>
    private static async Task<(RawFrame Frame, List<KeyValuePair<string, string>> Fields)> ReadRequestHeadersAsync(RawHttp2Peer peer)
    {
        RawFrame headers = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers) ?? throw new IOException("closed");
        Assert.True(headers.Has(Http2FrameFlags.EndHeaders));
        var fields = new List<KeyValuePair<string, string>>();
        peer.Decoder.Decode(headers.Payload, fields);
        return (headers, fields);
    }

    private static Task SendResponseHeadersAsync(RawHttp2Peer peer, int streamId, bool endStream, params KeyValuePair<string, string>[] extra) =>
        peer.WriteHeadersAsync(streamId, [new(":status", "200"), new("content-type", "application/grpc"), .. extra], endStream);

    private static Task SendTrailersAsync(RawHttp2Peer peer, int streamId) =>
        peer.WriteHeadersAsync(streamId, [new("grpc-status", "0"), new("grpc-message", "fine")], endStream: true);

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response)
    {
        Stream body = await response.Content.ReadAsStreamAsync();
        var all = new MemoryStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = await body.ReadAsync(buffer).AsTask().WaitAsync(Timeout)) > 0)
        {
            all.Write(buffer, 0, n);
        }

        // The body reported its end: the trailers must be there already.
        Assert.Equal("0", response.TrailingHeaders.GetValues("grpc-status").Single());
        return all.ToArray();
    }

    /// <summary>Content known whole; counts how often it was serialised the usual way.</summary>
    private sealed class WholeContent : ByteArrayContent, IWholeHttpContent
    {
        private readonly byte[] _body;

        public WholeContent(byte[] body)
            : base(body) => _body = body;

        public int Serialisations { get; private set; }

        public bool TryGetWhole(int maxLength, out ReadOnlyMemory<byte> whole)
        {
            whole = _body;
            return _body.Length <= maxLength;
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            Serialisations++;
            return base.SerializeToStreamAsync(stream, context);
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            Serialisations++;
            return base.SerializeToStreamAsync(stream, context, cancellationToken);
        }
    }

    [Fact]
    public async Task A_body_known_whole_follows_its_headers_as_one_data_frame_with_end_stream()
    {
        var content = new WholeContent([1, 2, 3, 4, 5]);
        Task<HttpResponseMessage> call = _client.SendAsync(Request(content));
        await using RawHttp2Peer peer = await AcceptAsync();
        (RawFrame headers, _) = await ReadRequestHeadersAsync(peer);
        Assert.False(headers.Has(Http2FrameFlags.EndStream));

        RawFrame data = await peer.ReadUntilAsync(f => f.StreamId == headers.StreamId) ?? throw new IOException("closed");
        Assert.Equal(Http2FrameType.Data, data.Type);
        Assert.True(data.Has(Http2FrameFlags.EndStream));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, data.Payload);

        await SendResponseHeadersAsync(peer, headers.StreamId, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(0, content.Serialisations);
    }

    [Fact]
    public async Task A_body_known_whole_waits_for_credit_like_any_other_when_the_window_is_closed()
    {
        // A first request opens the connection; once the client has acknowledged our SETTINGS (a
        // stream window of 0), the second, known whole, finds no credit.
        Task<HttpResponseMessage> first = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync((Http2SettingId.InitialWindowSize, 0));
        _ = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Settings && f.Has(Http2FrameFlags.Ack)) ?? throw new IOException("closed");
        await SendResponseHeadersAsync(peer, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage firstResponse = await first.WaitAsync(Timeout);

        var content = new WholeContent([1, 2, 3, 4, 5]);
        Task<HttpResponseMessage> call = _client.SendAsync(Request(content));
        RawFrame headers = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers) ?? throw new IOException("closed");
        Assert.Equal(3, headers.StreamId);
        Assert.False(headers.Has(Http2FrameFlags.EndStream));

        await peer.WriteWindowUpdateAsync(headers.StreamId, 5);
        RawFrame data = await peer.ReadUntilAsync(f => f.StreamId == headers.StreamId && f.Payload.Length > 0) ?? throw new IOException("closed");
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, data.Payload);
        RawFrame end = data.Has(Http2FrameFlags.EndStream) ? data : await peer.ReadUntilAsync(f => f.StreamId == headers.StreamId) ?? throw new IOException("closed");
        Assert.True(end.Has(Http2FrameFlags.EndStream));

        await SendResponseHeadersAsync(peer, headers.StreamId, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.NotEqual(0, content.Serialisations);
    }

    [Fact]
    public async Task Request_header_block_has_pseudo_headers_first_and_lower_case_names_and_trailers_only_response_works()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        (RawFrame frame, List<KeyValuePair<string, string>> fields) = await ReadRequestHeadersAsync(peer);
        Assert.Equal(1, frame.StreamId);
        Assert.Equal(new[] { ":authority", ":method", ":path", ":scheme" }, fields.Take(4).Select(f => f.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.All(fields.Take(4), f => Assert.StartsWith(":", f.Key, StringComparison.Ordinal));
        Assert.All(fields.Skip(4), f =>
        {
            Assert.False(f.Key.StartsWith(':'), $"pseudo-header {f.Key} after a regular one");
            Assert.Equal(f.Key.ToLowerInvariant(), f.Key);
            Assert.DoesNotContain(f.Key, new[] { "host", "connection", "transfer-encoding", "keep-alive", "upgrade" });
        });
        Assert.Contains(new KeyValuePair<string, string>(":method", "POST"), fields);
        Assert.Contains(new KeyValuePair<string, string>(":path", "/test.Svc/Call"), fields);
        Assert.Contains(new KeyValuePair<string, string>("x-custom-header", "Value"), fields);
        Assert.Contains(new KeyValuePair<string, string>("te", "trailers"), fields);

        RawFrame data = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Data && f.Has(Http2FrameFlags.EndStream) || f.Type == Http2FrameType.Data && f.Payload.Length > 0) ?? throw new IOException("closed");
        Assert.Equal(new byte[] { 1, 2, 3 }, data.Payload);

        // Trailers-only: one HEADERS with END_STREAM.
        await SendResponseHeadersAsync(peer, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "5"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("5", response.Headers.GetValues("grpc-status").Single());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync().WaitAsync(Timeout));
    }

    [Fact]
    public async Task Small_request_body_goes_in_the_data_frame_that_ends_the_stream()
    {
        // One DATA frame with the body and END_STREAM, not the body and then an empty END_STREAM
        // frame: a small request (a DoPut's last message) costs one frame, one write, fewer wake-ups.
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        RawFrame data = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Data) ?? throw new IOException("closed");
        Assert.Equal(new byte[] { 1, 2, 3 }, data.Payload);
        Assert.True(data.Has(Http2FrameFlags.EndStream), "the body's DATA frame does not end the stream");

        await SendResponseHeadersAsync(peer, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("one")]
    [InlineData("tiny")]
    [InlineData("mebibyte")]
    [InlineData("padded")]
    public async Task Headers_data_and_trailers_deliver_body_and_trailers_before_the_end(string shape)
    {
        byte[] expected = new byte[shape == "mebibyte" ? 1 << 20 : 3000];
        new Random(42).NextBytes(expected);
        Task<HttpResponseMessage> call = _client.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await SendResponseHeadersAsync(peer, 1, endStream: false);
        switch (shape)
        {
            case "one":
            case "mebibyte":
                await peer.WriteDataAsync(1, expected, endStream: false);
                break;
            case "tiny":
                for (int i = 0; i < expected.Length; i += 3)
                {
                    await peer.WriteDataAsync(1, expected.AsMemory(i, Math.Min(3, expected.Length - i)), endStream: false);
                }

                break;
            case "padded":
                for (int i = 0; i < expected.Length; i += 1000)
                {
                    byte pad = (byte)(i / 10);
                    byte[] payload = [pad, .. expected.AsSpan(i, 1000), .. new byte[pad]];
                    await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded, 1, payload);
                }

                break;
        }

        await SendTrailersAsync(peer, 1);
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(expected, await ReadBodyAsync(response));
        Assert.Equal("fine", response.TrailingHeaders.GetValues("grpc-message").Single());
    }

    [Fact]
    public async Task Padding_is_given_back_to_the_stream_window_so_a_padded_body_longer_than_the_window_flows()
    {
        // RFC 9113 §6.1: the pad length octet and the padding count against flow control. The
        // receiver must give them back like the data, or the stream's window shrinks with every
        // padded frame until the sender, waiting for credit that never comes, stalls.
        const int window = 16_384;
        const int frames = 200;
        const int dataPerFrame = 100;
        const int padding = 155;
        const int frameLength = 1 + dataPerFrame + padding;
        using var client = new HttpClient(new Http2ClientHandler(new Http2ClientOptions { InitialStreamWindowSize = window })) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        Task<HttpResponseMessage> call = client.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await SendResponseHeadersAsync(peer, 1, endStream: false);
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Task<byte[]> body = ReadBodyAsync(response);

        byte[] expected = new byte[frames * dataPerFrame];
        new Random(11).NextBytes(expected);
        long credit = window;
        for (int i = 0; i < frames; i++)
        {
            while (credit < frameLength)
            {
                // A sender that keeps to the window waits for the client to reopen it.
                RawFrame update = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.WindowUpdate && f.StreamId == 1)
                    ?? throw new IOException("the client closed the connection");
                credit += System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(update.Payload);
            }

            byte[] payload = [padding, .. expected.AsSpan(i * dataPerFrame, dataPerFrame), .. new byte[padding]];
            await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded, 1, payload);
            credit -= frameLength;
        }

        await SendTrailersAsync(peer, 1);
        Assert.Equal(expected, await body.WaitAsync(Timeout));
    }

    /// <summary>Content that waits for a signal before writing its body.</summary>
    private sealed class GatedContent(byte[] body, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await gate;
            await stream.WriteAsync(body);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = body.Length;
            return true;
        }
    }

    [Fact]
    public async Task Lowered_initial_window_and_max_frame_size_are_obeyed_when_sending_a_large_body()
    {
        byte[] body = new byte[100_000];
        new Random(7).NextBytes(body);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<HttpResponseMessage> call = _client.SendAsync(Request(new GatedContent(body, gate.Task)), HttpCompletionOption.ResponseHeadersRead);
        const int window = 1000;
        await using RawHttp2Peer peer = await AcceptAsync((Http2SettingId.InitialWindowSize, window), (Http2SettingId.MaxFrameSize, 16_384));

        // The client's ACK of our SETTINGS means it applies them; only then does the body start.
        bool acked = false, headers = false;
        while (!(acked && headers))
        {
            RawFrame frame = await peer.ReadFrameAsync() ?? throw new IOException("closed");
            acked |= frame.Type == Http2FrameType.Settings && frame.Has(Http2FrameFlags.Ack);
            headers |= frame.Type == Http2FrameType.Headers;
        }

        gate.SetResult();

        var received = new MemoryStream();
        while (received.Length < window)
        {
            RawFrame frame = await peer.ReadFrameAsync() ?? throw new IOException("closed");
            if (frame.Type == Http2FrameType.Data)
            {
                received.Write(frame.Payload);
            }
        }

        Assert.Equal(window, received.Length);

        // Nothing more until credit arrives (a PING round trip shows the client had its chance to send).
        await Task.Delay(100);
        await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
        RawFrame? pong = await peer.ReadUntilAsync(f => f.Type is Http2FrameType.Ping or Http2FrameType.Data);
        Assert.Equal(Http2FrameType.Ping, pong!.Type);

        await peer.WriteWindowUpdateAsync(0, 1 << 20);
        await peer.WriteWindowUpdateAsync(1, 1 << 20);
        bool ended = false;
        while (!ended)
        {
            RawFrame frame = await peer.ReadFrameAsync() ?? throw new IOException("closed");
            if (frame.Type == Http2FrameType.Data)
            {
                Assert.True(frame.Payload.Length <= 16_384, $"a DATA frame of {frame.Payload.Length} octets");
                received.Write(frame.Payload);
                ended = frame.Has(Http2FrameFlags.EndStream);
            }
        }

        Assert.Equal(body, received.ToArray());
        await SendResponseHeadersAsync(peer, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Goaway_below_an_open_stream_fails_it_and_the_next_request_uses_a_new_connection()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await peer.WriteGoAwayAsync(0, Http2ErrorCode.NoError);
        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));

        Task<HttpResponseMessage> next = _client.SendAsync(Request());
        await using RawHttp2Peer second = await AcceptAsync();
        (RawFrame frame, _) = await ReadRequestHeadersAsync(second);
        Assert.Equal(1, frame.StreamId);
        await SendResponseHeadersAsync(second, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await next.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Goaway_at_or_above_an_open_stream_lets_it_finish()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await peer.WriteGoAwayAsync(1, Http2ErrorCode.NoError);
        await SendResponseHeadersAsync(peer, 1, endStream: false);
        await peer.WriteDataAsync(1, new byte[] { 9, 8, 7 }, endStream: false);
        await SendTrailersAsync(peer, 1);
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(new byte[] { 9, 8, 7 }, await ReadBodyAsync(response));
    }

    [Fact]
    public async Task Server_reset_fails_the_request()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await peer.WriteRstAsync(1, Http2ErrorCode.InternalError);
        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));

        // Mid-body: the body read fails, it does not look complete.
        Task<HttpResponseMessage> second = _client.SendAsync(Request(), HttpCompletionOption.ResponseHeadersRead);
        (RawFrame frame, _) = await ReadRequestHeadersAsync(peer);
        await SendResponseHeadersAsync(peer, frame.StreamId, endStream: false);
        await peer.WriteDataAsync(frame.StreamId, new byte[10], endStream: false);
        await peer.WriteRstAsync(frame.StreamId, Http2ErrorCode.Cancel);
        using HttpResponseMessage response = await second.WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<IOException>(() => ReadBodyAsync(response));
    }

    [Fact]
    public async Task Reset_with_no_error_after_a_complete_response_keeps_the_response()
    {
        // The request body never ends: the server answers early and resets with NO_ERROR (RFC 9113 §8.1).
        var never = new TaskCompletionSource();
        Task<HttpResponseMessage> call = _client.SendAsync(Request(new GatedContent([1], never.Task)), HttpCompletionOption.ResponseHeadersRead);
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await SendResponseHeadersAsync(peer, 1, endStream: false);
        await peer.WriteDataAsync(1, new byte[] { 5, 6, 7 }, endStream: false);
        await SendTrailersAsync(peer, 1);
        await peer.WriteRstAsync(1, Http2ErrorCode.NoError);

        // A PING round trip: the reset has been processed before the body is read.
        await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
        Assert.NotNull(await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(new byte[] { 5, 6, 7 }, await ReadBodyAsync(response));
        never.SetResult();
    }

    [Fact]
    public async Task Response_header_list_over_the_limit_fails_only_its_request_and_the_connection_goes_on()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);

        // The client accepts 64 KiB: a 120-octet field into its dynamic table, one-octet references to
        // it (157 octets each) past that, then "x-after" as the newest entry.
        byte[] status = RawHttp2Peer.Encode([new(":status", "200"), new("content-type", "application/grpc")]);
        byte[] oversized =
        [
            .. status, .. RawHttp2Peer.EncodeWithIndexing("x-big", new string('b', 120)),
            .. Enumerable.Repeat((byte)0xBE, (new Http2ClientOptions().MaxHeaderListSize / 157) + 1),
            .. RawHttp2Peer.EncodeWithIndexing("x-after", "in step"),
        ];
        await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1, oversized);
        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));
        RawFrame? reset = await peer.ReadUntilAsync(f => f.Type is Http2FrameType.RstStream or Http2FrameType.GoAway);
        Assert.Equal(Http2FrameType.RstStream, reset?.Type);
        Assert.Equal(Http2ErrorCode.EnhanceYourCalm, reset!.ErrorCode);

        // The same connection: a response naming the newest dynamic entry (index 62) by reference.
        Task<HttpResponseMessage> next = _client.SendAsync(Request());
        (RawFrame frame, _) = await ReadRequestHeadersAsync(peer);
        Assert.Equal(3, frame.StreamId);
        byte[] byReference = [.. status, .. RawHttp2Peer.Encode([new("grpc-status", "0")]), 0xBE];
        await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, 3, byReference);
        using HttpResponseMessage response = await next.WaitAsync(Timeout);
        Assert.Equal("in step", response.Headers.GetValues("x-after").Single());
    }

    [Theory]
    [InlineData("data-on-stream-0")]
    [InlineData("ping-on-stream-1")]
    [InlineData("headers-on-idle-stream")]
    [InlineData("bad-hpack")]
    [InlineData("push-promise")]
    [InlineData("bad-settings")]
    public async Task Malformed_frame_from_the_server_fails_the_requests_and_the_client_sends_goaway(string kind)
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        switch (kind)
        {
            case "data-on-stream-0":
                await peer.WriteDataAsync(0, new byte[4], endStream: false);
                break;
            case "ping-on-stream-1":
                await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 1, new byte[8]);
                break;
            case "headers-on-idle-stream":
                await SendResponseHeadersAsync(peer, 7, endStream: true);
                break;
            case "bad-hpack":
                await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1, new byte[] { 0x80 });
                break;
            case "push-promise":
                await peer.WriteFrameAsync(Http2FrameType.PushPromise, Http2FrameFlags.EndHeaders, 1, new byte[] { 0, 0, 0, 2, 0x82 });
                break;
            case "bad-settings":
                await peer.WriteSettingsAsync((Http2SettingId.MaxFrameSize, 100));
                break;
        }

        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));
        Http2ErrorCode? code = await peer.ReadGoAwayAsync();
        Assert.Equal(kind == "bad-hpack" ? Http2ErrorCode.CompressionError : Http2ErrorCode.ProtocolError, code);
    }

    [Fact]
    public async Task Ping_is_answered()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        await using RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        byte[] payload = [8, 7, 6, 5, 4, 3, 2, 1];
        await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, payload);
        RawFrame? pong = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping);
        Assert.True(pong!.Has(Http2FrameFlags.Ack));
        Assert.Equal(payload, pong.Payload);
        await SendResponseHeadersAsync(peer, 1, endStream: true, new KeyValuePair<string, string>("grpc-status", "0"));
        using HttpResponseMessage response = await call.WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Connection_closed_by_the_server_fails_open_requests_without_hanging()
    {
        Task<HttpResponseMessage> call = _client.SendAsync(Request());
        RawHttp2Peer peer = await AcceptAsync();
        await ReadRequestHeadersAsync(peer);
        await peer.DisposeAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => call.WaitAsync(Timeout));
    }
}
