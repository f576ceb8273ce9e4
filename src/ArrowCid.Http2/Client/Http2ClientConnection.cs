using System.Net.Security;
using System.Net.Sockets;

namespace ArrowCid.Http2.Client;

/// <summary>
/// The client end of one HTTP/2 connection (cleartext with prior knowledge, or TLS with ALPN h2):
/// opens streams in id order and routes the server's header blocks to them.
/// </summary>
internal sealed class Http2ClientConnection : Http2Connection
{
    private readonly Stream _transport;
    private readonly Action<Http2Stream>? _streamOpeningGate;
    private readonly SemaphoreSlim _openGate = new(1, 1);
    private readonly object _gate = new();
    private int _nextStreamId = 1;
    private int _goAwayLastStreamId = int.MaxValue;
    private long _idleSince = Environment.TickCount64;
    private bool _goingAway;
    private Task? _readLoop;

    private Http2ClientConnection(Stream transport, Http2ClientOptions options)
        : base(transport, transport, options.ToSettings(), options.InitialConnectionWindowSize, options.KeepAlive)
    {
        _transport = transport;
        _streamOpeningGate = options.StreamOpeningGate;
    }

    /// <summary>Whether a new stream may be opened here.</summary>
    public bool CanOpenStream
    {
        get
        {
            lock (_gate)
            {
                return !_goingAway && !Aborted.IsCancellationRequested
                    && StreamCount < PeerSettings.MaxConcurrentStreams && _nextStreamId < int.MaxValue - 2;
            }
        }
    }

    /// <summary>How long the connection has had no open stream (zero while one is open).</summary>
    public TimeSpan IdleFor
    {
        get
        {
            lock (_gate)
            {
                return StreamCount > 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - _idleSince);
            }
        }
    }

    /// <summary>Whether the connection has ended (it can be dropped from the pool).</summary>
    public bool IsClosed => Aborted.IsCancellationRequested;

    /// <summary>Connects to <paramref name="address"/>'s host and port and starts the connection.</summary>
    public static async Task<Http2ClientConnection> ConnectAsync(Uri address, Http2ClientOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream transport;
        try
        {
            await socket.ConnectAsync(address.IdnHost, address.Port, timeout.Token).ConfigureAwait(false);
            bool useTls = address.Scheme == Uri.UriSchemeHttps;
            transport = new FirstBytesCheck(new NetworkStream(socket, ownsSocket: true), address.Authority, expectTls: useTls);
            if (useTls)
            {
                var tls = new SslStream(transport, leaveInnerStreamOpen: false);
                transport = tls;
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = address.IdnHost,
                        ApplicationProtocols = [SslApplicationProtocol.Http2],
                        RemoteCertificateValidationCallback = options.ServerCertificateValidation,
                    },
                    timeout.Token).ConfigureAwait(false);
                if (tls.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
                {
                    throw new HttpRequestException($"{address.Authority} did not agree to HTTP/2 over TLS (ALPN h2)");
                }
            }
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new HttpRequestException($"connecting to {address.Authority} took longer than {options.ConnectTimeout}", e);
            }

            // TLS against a plaintext node: say so, not what the TLS layer made of an HTTP/2 frame.
            for (Exception? cause = e; cause is not null; cause = cause.InnerException)
            {
                if (cause is ProtocolMismatchException mismatch)
                {
                    throw new HttpRequestException(mismatch.Message, mismatch);
                }
            }

            throw e is HttpRequestException or OperationCanceledException ? e : new HttpRequestException($"cannot connect to {address.Authority}: {e.Message}", e);
        }

        var connection = new Http2ClientConnection(transport, options);
        try
        {
            await connection.Writer.WriteRawAsync(Http2Protocol.ClientPreface.ToArray(), cancellationToken).ConfigureAwait(false);
            await connection.SendInitialSettingsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        connection._readLoop = Task.Run(() => connection.RunReadLoopAsync(), CancellationToken.None);

        // Keep-alive PINGs and streams' idle timeouts (which a request may set small: checked at least 4 times a second).
        connection.StartWatchdog(TimeSpan.FromMilliseconds(Math.Min(connection.WatchdogPeriod().TotalMilliseconds, 250)));
        return connection;
    }

    /// <summary>
    /// Allocates the next stream id and sends the request's header block, in id order with other
    /// openers; with <paramref name="whole"/> (a body known whole, not empty) the body and
    /// END_STREAM too, in the same write when it fits.
    /// </summary>
    /// <returns>The stream, or null when this connection can take no more (try another).</returns>
    public async Task<Http2ClientStream?> OpenStreamAsync(
        HttpRequestMessage request, List<KeyValuePair<string, string>> fields, bool endStream, ReadOnlyMemory<byte> whole, CancellationToken cancellationToken)
    {
        await _openGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!CanOpenStream)
            {
                return null;
            }

            int id;
            lock (_gate)
            {
                id = _nextStreamId;
                _nextStreamId += 2;
            }

            // Frames for the id before it is in the table are dropped as for a closed stream; the
            // server sends none before it has the HEADERS, which go after.
            var stream = new Http2ClientStream(this, id, request);
            _streamOpeningGate?.Invoke(stream);
            Streams[id] = stream;

            try
            {
                if (!whole.IsEmpty && whole.Length <= PeerSettings.MaxFrameSize
                    && stream.SendWindow.Available >= whole.Length && SendWindow.Available >= whole.Length)
                {
                    // The whole body fits one frame and the windows have room: HEADERS, DATA and
                    // END_STREAM in one write. (Should another stream take the connection's credit
                    // first, the headers go alone and the data once credit returns, as for any body.)
                    await stream.WriteDataAsync(
                        ReadOnlyMemory<byte>.Empty, whole, endStream: true, CancellationToken.None, headerBlock: EncodeHeaderBlock(fields)).ConfigureAwait(false);
                }
                else
                {
                    await stream.WriteHeadersAsync(fields, endStream, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e)
            {
                stream.Abort(e as IOException ?? new IOException(e.Message, e));
                throw;
            }

            return stream;
        }
        finally
        {
            _openGate.Release();
        }
    }

    /// <inheritdoc />
    protected override bool IsIdle(int streamId)
    {
        lock (_gate)
        {
            return streamId % 2 == 0 || streamId >= _nextStreamId;
        }
    }

    /// <inheritdoc />
    protected override async ValueTask OnHeadersAsync(int streamId, List<KeyValuePair<string, string>> fields, bool endStream, bool overLimit)
    {
        if (IsIdle(streamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"HEADERS on stream {streamId}, which this client never opened");
        }

        if (!Streams.TryGetValue(streamId, out Http2Stream? stream))
        {
            return;
        }

        if (overLimit)
        {
            // Only this response fails (RESOURCE_EXHAUSTED for a gRPC call); the block was decoded whole, so the connection goes on.
            await stream.ResetAsync(Http2ErrorCode.EnhanceYourCalm, $"the response header list is larger than SETTINGS_MAX_HEADER_LIST_SIZE ({LocalSettings.MaxHeaderListSize} octets)").ConfigureAwait(false);
            return;
        }

        stream.Received(0);
        await ((Http2ClientStream)stream).OnHeadersAsync(fields, endStream).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override void OnGoAway(int lastStreamId, Http2ErrorCode errorCode, string debug)
    {
        lock (_gate)
        {
            _goingAway = true;
            _goAwayLastStreamId = Math.Min(_goAwayLastStreamId, lastStreamId);
        }

        // Streams above the last id were never processed: they fail and may be retried elsewhere.
        foreach (Http2Stream stream in Streams.Values)
        {
            if (stream.Id > lastStreamId)
            {
                // Marked as refused: the request may be sent again elsewhere (Http2ClientHandler).
                stream.Abort(new Http2StreamException(
                    stream.Id,
                    Http2ErrorCode.RefusedStream,
                    $"the server is going away ({errorCode}{(debug.Length > 0 ? ": " + debug : string.Empty)}) and did not process this request"));
            }
        }

        if (errorCode != Http2ErrorCode.NoError || Streams.IsEmpty)
        {
            Abort(new IOException($"the server closed the connection: GOAWAY {errorCode}{(debug.Length > 0 ? " (" + debug + ")" : string.Empty)}"));
        }
    }

    /// <inheritdoc />
    internal override void OnStreamClosed(Http2Stream stream)
    {
        base.OnStreamClosed(stream);
        bool close;
        lock (_gate)
        {
            close = _goingAway && Streams.IsEmpty;
            _idleSince = Environment.TickCount64;
        }

        if (close)
        {
            Abort(new IOException("the connection closed after the server's GOAWAY"));
        }
    }

    /// <inheritdoc />
    protected override void OnAborted(Exception reason) => _transport.Dispose();

    /// <inheritdoc />
    protected override void OnWatchdog(long now)
    {
        foreach (Http2Stream stream in Streams.Values)
        {
            if (stream is Http2ClientStream { IdleTimeout: { } idle } client && now - client.LastActivity >= (long)idle.TotalMilliseconds)
            {
                _ = client.FailIdleAsync(idle).AsTask();
            }
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (!IsClosed)
        {
            await TrySendGoAwayAsync(Http2ErrorCode.NoError, null).ConfigureAwait(false);
        }

        await base.DisposeAsync().ConfigureAwait(false);
        if (_readLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        _openGate.Dispose();
    }
}
