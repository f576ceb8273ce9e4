using System.Net;
using System.Net.Sockets;
using ArrowCid.Http2.Client;
using ArrowCid.TestSupport;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// No request waits for ever (issue 34): a stream on which nothing moves fails after its idle
/// timeout saying what it waited for, and a server that answers no PING is taken for dead. The
/// test plays a server that holds back exactly what the client waits for.
/// </summary>
public sealed class Http2StallTests : IDisposable
{
    private static readonly TimeSpan Idle = TimeSpan.FromMilliseconds(300);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public Http2StallTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _listener.Dispose();
    }

    private Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/test.Svc/Put");

    private HttpRequestMessage Request(byte[] body, TimeSpan? idle)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Address)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        if (idle is { } timeout)
        {
            request.Options.Set(Http2ClientHandler.IdleTimeout, timeout);
        }

        return request;
    }

    [Fact]
    public async Task A_request_the_server_gives_no_credit_fails_after_its_idle_timeout_saying_it_waited_for_credit()
    {
        // The hang as users met it: the server's window is small and it never grants more.
        using var client = new HttpClient(new Http2ClientHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        using HttpRequestMessage request = Request(new byte[100_000], Idle);
        Task<HttpResponseMessage> call = client.SendAsync(request);
        await using RawHttp2Peer peer = await RawHttp2Peer.AcceptClientAsync(_listener, (Http2SettingId.InitialWindowSize, 1000u));

        HttpRequestException error = await Assert.ThrowsAsync<HttpRequestException>(() => call);

        Http2StreamIdleException idle = Assert.IsType<Http2StreamIdleException>(error.InnerException);
        // The body may have started before the SETTINGS arrived (on the default 65,535), so what
        // was sent is at least the window; the window is used up either way.
        var said = System.Text.RegularExpressions.Regex.Match(idle.WaitingFor, @"flow-control credit .* send window is (-?\d+) octets after (\d+) sent");
        Assert.True(said.Success, idle.WaitingFor);
        Assert.True(long.Parse(said.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 0, idle.WaitingFor);
        Assert.True(long.Parse(said.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1000, idle.WaitingFor);
        RawFrame? reset = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.RstStream);
        Assert.Equal(Http2ErrorCode.Cancel, reset!.ErrorCode);
    }

    [Fact]
    public async Task A_request_whose_response_never_comes_fails_after_its_idle_timeout_saying_it_waited_for_the_headers()
    {
        using var client = new HttpClient(new Http2ClientHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        using HttpRequestMessage request = Request([1, 2, 3], Idle);
        Task<HttpResponseMessage> call = client.SendAsync(request);
        await using RawHttp2Peer peer = await RawHttp2Peer.AcceptClientAsync(_listener);
        Assert.NotNull(await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Data && f.Has(Http2FrameFlags.EndStream)));

        HttpRequestException error = await Assert.ThrowsAsync<HttpRequestException>(() => call);

        Http2StreamIdleException idle = Assert.IsType<Http2StreamIdleException>(error.InnerException);
        Assert.Contains("response headers", idle.WaitingFor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_response_body_that_stops_fails_the_read_after_the_idle_timeout()
    {
        using var client = new HttpClient(new Http2ClientHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        using HttpRequestMessage request = Request([1, 2, 3], Idle);
        Task<HttpResponseMessage> call = client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using RawHttp2Peer peer = await RawHttp2Peer.AcceptClientAsync(_listener);
        await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Data && f.Has(Http2FrameFlags.EndStream));
        await peer.WriteHeadersAsync(1, [new(":status", "200")], endStream: false);
        await peer.WriteDataAsync(1, new byte[10], endStream: false);
        using HttpResponseMessage response = await call;
        Stream body = await response.Content.ReadAsStreamAsync();
        byte[] buffer = new byte[100];
        Assert.Equal(10, await body.ReadAtLeastAsync(buffer, 10));

        IOException error = await Assert.ThrowsAsync<Http2StreamIdleException>(async () => await body.ReadExactlyAsync(buffer));

        Assert.Contains("more of the response", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_answers_no_ping_is_taken_for_dead_and_the_request_fails()
    {
        var options = new Http2ClientOptions { KeepAlive = new Http2KeepAlive(TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(200)) };
        using var client = new HttpClient(new Http2ClientHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        using HttpRequestMessage request = Request([1, 2, 3], idle: null);
        Task<HttpResponseMessage> call = client.SendAsync(request);
        await using RawHttp2Peer peer = await RawHttp2Peer.AcceptClientAsync(_listener);

        // The request arrives, then the client's PING, which this server never answers.
        RawFrame? ping = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && !f.Has(Http2FrameFlags.Ack));
        Assert.NotNull(ping);

        HttpRequestException error = await Assert.ThrowsAsync<HttpRequestException>(() => call);
        Assert.Contains("PING", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_answers_pings_keeps_a_quiet_request_alive()
    {
        // PINGs after 100 ms of quiet, each given 1 s, on a clock the test moves: fifteen answered
        // keep the request quiet for 1.5 s, longer than one PING's timeout, and still alive. No
        // wall-clock bound: a PING is due when the test moves the clock, never because the machine was slow.
        var clock = new ManualTimeProvider();
        var options = new Http2ClientOptions { KeepAlive = new Http2KeepAlive(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)) { Clock = clock } };
        using var client = new HttpClient(new Http2ClientHandler(options)) { Timeout = Timeout.InfiniteTimeSpan };
        using HttpRequestMessage request = Request([1, 2, 3], idle: null);
        Task<HttpResponseMessage> call = client.SendAsync(request);
        await using RawHttp2Peer peer = await RawHttp2Peer.AcceptClientAsync(_listener);
        // The request has arrived: whatever the client had to send is sent.
        Assert.NotNull(await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers));

        // The gate: a PING of ours, answered only once the client has read every frame before it
        // (its clock of "last heard from the server" is then now).
        async Task AllReadAsync(byte marker)
        {
            await peer.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.None, 0, new byte[] { marker, 0, 0, 0, 0, 0, 0, 0 });
            Assert.NotNull(await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && f.Has(Http2FrameFlags.Ack) && f.Payload[0] == marker));
        }

        for (int i = 0; i < 15; i++)
        {
            await AllReadAsync((byte)i);
            // 100 ms of quiet: the watchdog sends its PING, which this server answers.
            clock.Advance(TimeSpan.FromMilliseconds(100));
            RawFrame? ping = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping && !f.Has(Http2FrameFlags.Ack));
            Assert.NotNull(ping);
            await peer.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.Ack, 0, ping.Payload);
        }

        await AllReadAsync(100);
        Assert.False(call.IsCompleted);
        await peer.WriteHeadersAsync(1, [new(":status", "200")], endStream: true);
        using HttpResponseMessage response = await call;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
