using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ArrowCid.Http2.Server;

/// <summary>
/// The server end of one HTTP/2 connection, run as Kestrel connection middleware: Kestrel accepts,
/// does TLS and owns the connection's lifetime; this class speaks HTTP/2 and hands each request to
/// an ASP.NET Core <see cref="RequestDelegate"/>. On a cleartext connection, frames are written
/// straight to the socket, so a DATA payload goes from where it lies (a mapped block) into the
/// kernel without passing through Kestrel's output pipe.
/// </summary>
internal sealed class Http2ServerConnection : Http2Connection
{
    private readonly RequestDelegate _application;
    private readonly FeatureCollection _features;
    private readonly object _gate = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _lastStreamId;
    private readonly TimeSpan _idleTimeout;
    private readonly bool _checksIdle;
    private long _idleSince;
    private bool _prefaceReceived;
    private int _running;
    private int _abortedRunning;
    private bool _readLoopEnded;
    private bool _goingAway;

    // Streams this connection reset lately (or refused at their HEADERS), whose late frames are
    // let pass; and the ranges of odd ids a client skipped, which it may never open.
    private readonly int[] _recentlyReset = new int[RecentlyResetKept];
    private int _recentlyResetNext;
    private readonly List<(int From, int To)> _skipped = [];

    private Http2ServerConnection(Stream input, Stream output, ConnectionContext connection, RequestDelegate application, Http2ServerOptions options)
        : base(input, output, options.ToSettings(), options.InitialConnectionWindowSize, options.KeepAlive)
    {
        _application = application;
        _idleSince = NowMilliseconds();
        _idleTimeout = options.IdleTimeout;
        _checksIdle = _idleTimeout > TimeSpan.Zero && _idleTimeout != Timeout.InfiniteTimeSpan;
        if (_checksIdle || options.KeepAlive.Enabled)
        {
            StartWatchdog(WatchdogPeriod(_idleTimeout));
        }

        if (input is NetworkStream)
        {
            // A socket's zero-byte read waits for data: an idle connection holds no read buffer.
            ReleaseReadBufferWhileIdle();
        }

        _features = new FeatureCollection(connection.Features);
        _features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            LocalIpAddress = (connection.LocalEndPoint as IPEndPoint)?.Address,
            LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
            RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address,
            RemotePort = (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0,
        });
    }

    /// <inheritdoc />
    protected override int LastPeerStreamId => Volatile.Read(ref _lastStreamId);

    /// <summary>Serves <paramref name="connection"/> until it closes (a Kestrel connection delegate).</summary>
    public static async Task ServeAsync(ConnectionContext connection, RequestDelegate application, Http2ServerOptions options)
    {
        bool tls = connection.Features.Get<Microsoft.AspNetCore.Http.Features.ITlsConnectionFeature>() is not null
            || connection.Features.Get<Microsoft.AspNetCore.Connections.Features.ITlsHandshakeFeature>() is not null;
        Socket? socket = tls ? null : connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        DirectSocketConnection? direct = tls ? null : connection as DirectSocketConnection;

        // Cleartext: frames are written to the socket itself (Kestrel's send loop stays idle, nothing
        // is written to its pipe). On our own transport they are read from it too: no receive loop
        // copies them into a pipe first, and a DATA payload goes from the socket into its message.
        Stream input = direct?.Stream ?? connection.Transport.Input.AsStream(leaveOpen: true);
        Stream output = direct?.Stream
            ?? (socket is not null ? new NetworkStream(socket, ownsSocket: false) : connection.Transport.Output.AsStream(leaveOpen: true));
        var server = new Http2ServerConnection(input, output, connection, application, options);
        await using (server.ConfigureAwait(false))
        {
            CancellationToken closing = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
            using CancellationTokenRegistration shutdown = closing.UnsafeRegister(static s => ((Http2ServerConnection)s!).BeginShutdown(), server);
            using CancellationTokenRegistration closed = connection.ConnectionClosed.UnsafeRegister(
                static s => ((Http2ServerConnection)s!).Abort(new IOException("the connection was closed")), server);
            await server.RunReadLoopAsync(server.StartAsync).ConfigureAwait(false);
            await server.WaitForRequestsAsync().ConfigureAwait(false);
        }

        if (direct is null)
        {
            // Our transport's stream is the connection's, closed when Kestrel disposes it.
            await output.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// gRPC C-core (pyarrow.flight's transport; grpc/grpc#19655, #38758) gives a call a stream id
    /// before its HEADERS are written, and a call cancelled or past its deadline in that moment
    /// sends RST_STREAM for a stream the server never saw. Ending the connection for it, as
    /// RFC 9113 §6.4 asks, failed every other call on it ("Socket closed": found by the HTTP/2
    /// stress suite). A client's odd id is let pass: nothing was opened, so nothing is reset.
    /// </remarks>
    protected override bool ToleratesResetOfUnopenedStream(int streamId) => streamId % 2 == 1;

    /// <inheritdoc />
    protected override bool IsIdle(int streamId) => streamId % 2 == 0 || streamId > Volatile.Read(ref _lastStreamId);

    /// <inheritdoc />
    protected override async ValueTask OnHeadersAsync(int streamId, List<KeyValuePair<string, string>> fields, bool endStream, bool overLimit)
    {
        if (Streams.TryGetValue(streamId, out Http2Stream? open))
        {
            // A second block on an open stream is the request's trailers: it must end the stream.
            if (overLimit)
            {
                await open.ResetAsync(Http2ErrorCode.EnhanceYourCalm, $"request trailers larger than SETTINGS_MAX_HEADER_LIST_SIZE ({LocalSettings.MaxHeaderListSize} octets)").ConfigureAwait(false);
            }
            else if (!endStream)
            {
                await open.ResetAsync(Http2ErrorCode.ProtocolError, "request trailers without END_STREAM").ConfigureAwait(false);
            }
            else if (TrailerProblem(fields) is { } problem)
            {
                // RFC 9113 §8.1: trailers carry no pseudo-header; §8.2.1: their values are well formed.
                await open.ResetAsync(Http2ErrorCode.ProtocolError, $"malformed request trailers: {problem}").ConfigureAwait(false);
            }
            else if (open.BodyLengthProblem(0, ending: true) is { } lengthProblem)
            {
                await open.ResetAsync(Http2ErrorCode.ProtocolError, $"malformed request on stream {streamId}: {lengthProblem}").ConfigureAwait(false);
            }
            else
            {
                open.EndRemote();
            }

            return;
        }

        if (streamId % 2 == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a client opened even stream id {streamId}");
        }

        if (streamId <= _lastStreamId)
        {
            if (WasRecentlyReset(streamId))
            {
                // A stream reset here: a block the client sent before it knew (RFC 9113 §5.1, "closed").
                return;
            }

            // RFC 9113 §5.1.1: a new stream's id is above every id the client used; §5.1: after
            // END_STREAM both ways a stream takes no more frames.
            throw WasSkipped(streamId)
                ? new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"stream id {streamId} is below the last the client opened, {_lastStreamId}")
                : new Http2ConnectionException(Http2ErrorCode.StreamClosed, $"HEADERS on stream {streamId}, which has closed");
        }

        if (streamId > _lastStreamId + 2)
        {
            RecordSkipped(_lastStreamId + 2, streamId - 2);
        }

        Volatile.Write(ref _lastStreamId, streamId);
        bool refuse;
        lock (_gate)
        {
            // Handlers whose stream was reset but that still run count too: a client that opens and
            // at once resets streams ("rapid reset") must not get more concurrent work than
            // MAX_CONCURRENT_STREAMS. A handler whose stream simply ended is finishing and does not.
            refuse = _goingAway || Streams.Count + _abortedRunning >= LocalSettings.MaxConcurrentStreams;
        }

        if (refuse)
        {
            await RefuseAsync(streamId, Http2ErrorCode.RefusedStream).ConfigureAwait(false);
            return;
        }

        if (overLimit)
        {
            // RFC 9113 §10.5.1: the block was decoded whole (the HPACK context stays in step), so only this
            // request is refused. ENHANCE_YOUR_CALM, as gRPC C-core answers oversized metadata: gRPC
            // clients report it as RESOURCE_EXHAUSTED.
            await RefuseAsync(streamId, Http2ErrorCode.EnhanceYourCalm).ConfigureAwait(false);
            return;
        }

        RequestHead head;
        try
        {
            head = RequestHead.Parse(streamId, fields);
            if (endStream && head.ContentLength > 0)
            {
                throw new Http2StreamException(streamId, Http2ErrorCode.ProtocolError, $"malformed request on stream {streamId}: no body, and a content-length of {head.ContentLength}");
            }
        }
        catch (Http2StreamException e)
        {
            await RefuseAsync(streamId, e.ErrorCode).ConfigureAwait(false);
            return;
        }

        var stream = new Http2ServerStream(this, streamId, head);
        Streams[streamId] = stream;
        if (endStream)
        {
            stream.EndRemote();
        }

        lock (_gate)
        {
            _running++;
        }

        // Started once the frames that came with the headers are read: the request's DATA and
        // END_STREAM, when they came in the same read, are then delivered before the handler reads.
        RunAfterReceivedFrames(s => StartHandler((Http2ServerStream)s!), stream);
    }

    /// <summary>How many recent resets are remembered: late frames come within a round trip of one.</summary>
    private const int RecentlyResetKept = 256;

    /// <summary>Skipped id ranges remembered; past them the last range grows to cover the next (ids in it that were opened then count as skipped).</summary>
    private const int SkippedRangesKept = 64;

    /// <summary>Refuses a stream at its HEADERS (RST_STREAM), remembered so the frames the client sent on before it knew pass.</summary>
    private ValueTask RefuseAsync(int streamId, Http2ErrorCode errorCode)
    {
        RecordReset(streamId);
        return Writer.WriteResetAsync(streamId, errorCode);
    }

    private void RecordReset(int streamId)
    {
        lock (_gate)
        {
            _recentlyReset[_recentlyResetNext] = streamId;
            _recentlyResetNext = (_recentlyResetNext + 1) % RecentlyResetKept;
        }
    }

    private bool WasRecentlyReset(int streamId)
    {
        lock (_gate)
        {
            return Array.IndexOf(_recentlyReset, streamId) >= 0;
        }
    }

    // Only the read loop records and reads skipped ranges.
    private void RecordSkipped(int from, int to)
    {
        if (_skipped.Count < SkippedRangesKept)
        {
            _skipped.Add((from, to));
        }
        else
        {
            _skipped[^1] = (_skipped[^1].From, to);
        }
    }

    private bool WasSkipped(int streamId) => _skipped.Exists(range => streamId >= range.From && streamId <= range.To);

    private static string? TrailerProblem(List<KeyValuePair<string, string>> fields)
    {
        foreach ((string name, string value) in fields)
        {
            if (name.StartsWith(':'))
            {
                return $"pseudo-header {name}";
            }

            if (RequestHead.ValueProblem(value) is { } problem)
            {
                return $"the value of '{name}' {problem}";
            }
        }

        return null;
    }

    /// <inheritdoc />
    internal override void OnStreamClosed(Http2Stream stream)
    {
        base.OnStreamClosed(stream);
        if (stream.WasReset)
        {
            RecordReset(stream.Id);
        }

        bool close;
        lock (_gate)
        {
            close = _goingAway && Streams.IsEmpty;
            if (Streams.IsEmpty)
            {
                _idleSince = NowMilliseconds();
            }
        }

        if (close)
        {
            Abort(new IOException("the server closed the connection after its last stream (shutdown)"));
        }
    }

    /// <inheritdoc />
    protected override void OnGoAway(int lastStreamId, Http2ErrorCode errorCode, string debug)
    {
        // A client going away opens no more streams; the open ones finish.
        lock (_gate)
        {
            _goingAway = true;
        }
    }

    /// <summary>A stream was reset (or lost) while its handler runs: it counts against the stream limit until the handler ends.</summary>
    internal void HandlerOutlivesAbortedStream(int delta)
    {
        lock (_gate)
        {
            _abortedRunning += delta;
        }
    }

    private async ValueTask StartAsync()
    {
        byte[] preface = new byte[Http2Protocol.ClientPreface.Length];
        await ReadPrefaceAsync(preface).ConfigureAwait(false);
        if (!Http2Protocol.ClientPreface.SequenceEqual(preface))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "the connection did not start with the HTTP/2 client preface");
        }

        lock (_gate)
        {
            _prefaceReceived = true;
            _idleSince = NowMilliseconds();
        }

        await SendInitialSettingsAsync(Aborted).ConfigureAwait(false);
    }

    /// <summary>Runs a stream's request handler on the thread pool.</summary>
    private void StartHandler(Http2ServerStream stream) => _ = Task.Run(() => RunRequestAsync(stream));

    private async Task RunRequestAsync(Http2ServerStream stream)
    {
        try
        {
            await stream.ProcessAsync(_application, _features).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection went away while the response was ending.
        }
        finally
        {
            stream.HandlerEnded();
            bool drained;
            lock (_gate)
            {
                drained = --_running == 0 && _readLoopEnded;
                _idleSince = NowMilliseconds();
            }

            if (drained)
            {
                _drained.TrySetResult();
            }
        }
    }

    private async Task WaitForRequestsAsync()
    {
        lock (_gate)
        {
            _readLoopEnded = true;
            if (_running == 0)
            {
                return;
            }
        }

        await _drained.Task.ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void OnWatchdog(long now)
    {
        if (_checksIdle)
        {
            CheckIdle();
        }
    }

    /// <summary>Closes a connection that never sent its preface in time, or that has had no open stream for the idle timeout.</summary>
    private void CheckIdle()
    {
        bool silent;
        bool idle;
        lock (_gate)
        {
            bool expired = NowMilliseconds() - _idleSince >= (long)_idleTimeout.TotalMilliseconds;
            silent = expired && !_prefaceReceived;
            idle = expired && _prefaceReceived && Streams.IsEmpty && _running == 0 && !_goingAway;
        }

        if (silent)
        {
            Abort(new IOException($"no HTTP/2 client preface within {_idleTimeout}"));
        }
        else if (idle)
        {
            BeginShutdown();
        }
    }

    /// <summary>Kestrel is stopping, or the connection is idle: GOAWAY now, close once the open streams finish.</summary>
    private void BeginShutdown()
    {
        bool closeNow;
        lock (_gate)
        {
            if (_goingAway)
            {
                return;
            }

            _goingAway = true;
            closeNow = Streams.IsEmpty;
        }

        _ = Task.Run(async () =>
        {
            await TrySendGoAwayAsync(Http2ErrorCode.NoError, "server shutting down").ConfigureAwait(false);
            if (closeNow)
            {
                Abort(new IOException("the server closed the connection (shutdown)"));
            }
        });
    }
}
