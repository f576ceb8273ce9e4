using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using ArrowCid.Http2.Hpack;

namespace ArrowCid.Http2;

/// <summary>
/// What both ends of an HTTP/2 connection do alike (RFC 9113): the frame read loop with its checks,
/// SETTINGS, PING, WINDOW_UPDATE, RST_STREAM, GOAWAY, header block assembly and HPACK, the send
/// window and the table of open streams. The receive windows (credit, WINDOW_UPDATE, octets
/// consumed or dropped) are <see cref="Http2ReceiveWindow"/>'s. <see cref="Server.Http2ServerConnection"/>
/// and <see cref="Client.Http2ClientConnection"/> add what a header block means on their side.
/// </summary>
internal abstract class Http2Connection : IAsyncDisposable
{
    /// <summary>A header block (HEADERS + CONTINUATION) larger than this ends the connection.</summary>
    private const int MaxHeaderBlockSize = 256 * 1024;

    private readonly Http2FrameReader _reader;
    private readonly HpackDecoder _hpack;
    /// <summary>The opaque data of our keep-alive PINGs (an ACK carrying it answers one).</summary>
    private static readonly byte[] KeepAlivePayload = "arrowcid"u8.ToArray();

    private readonly CancellationTokenSource _aborted = new();
    private readonly Http2KeepAlive _keepAlive;
    private bool _peerSettingsReceived;
    private ITimer? _watchdog;
    private long _lastReceivedAt;
    private long _pingSentAt;

    protected Http2Connection(Stream transportIn, Stream transportOut, Http2Settings localSettings, int connectionWindow, Http2KeepAlive? keepAlive = null)
    {
        LocalSettings = localSettings;
        _keepAlive = keepAlive ?? Http2KeepAlive.Off;
        _lastReceivedAt = _keepAlive.NowMilliseconds();
        _reader = new Http2FrameReader(transportIn);
        Writer = new Http2FrameWriter(transportOut, _aborted.Token);
        ReceiveWindow = new Http2ReceiveWindow(Math.Max(connectionWindow, Http2Protocol.DefaultWindowSize), Writer.WriteWindowUpdateInBackground);
        _hpack = new HpackDecoder(localSettings.HeaderTableSize, localSettings.MaxHeaderListSize);
    }

    /// <summary>What this side announced.</summary>
    public Http2Settings LocalSettings { get; }

    /// <summary>Lets the frame reader give its buffer back while the connection waits with no open stream (<see cref="Http2FrameReader.ReleaseWhileIdle"/>): only for a transport whose zero-byte read waits for data.</summary>
    protected void ReleaseReadBufferWhileIdle() => _reader.ReleaseWhileIdle(() => Streams.IsEmpty);

    /// <summary>What the peer announced (defaults until its SETTINGS arrive).</summary>
    public Http2Settings PeerSettings { get; } = new();

    /// <summary>Writes frames.</summary>
    public Http2FrameWriter Writer { get; }

    /// <summary>Connection-level credit for sending DATA.</summary>
    public Http2SendWindow SendWindow { get; } = new(Http2Protocol.DefaultWindowSize);

    /// <summary>Connection-level credit granted to the peer for DATA; each stream's window reports to it.</summary>
    public Http2ReceiveWindow ReceiveWindow { get; }

    /// <summary>Open streams by id.</summary>
    protected ConcurrentDictionary<int, Http2Stream> Streams { get; } = new();

    /// <summary>Cancelled when the connection ends for any reason.</summary>
    public CancellationToken Aborted => _aborted.Token;

    /// <summary>Open streams.</summary>
    public int StreamCount => Streams.Count;

    /// <summary>Sends this side's SETTINGS and opens the connection window to its configured size.</summary>
    protected async ValueTask SendInitialSettingsAsync(CancellationToken cancellationToken)
    {
        byte[] payload = new byte[6 * 6];
        int length = LocalSettings.WritePayload(payload);
        await Writer.WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.None, 0, payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        if (ReceiveWindow.Size > Http2Protocol.DefaultWindowSize)
        {
            await Writer.WriteWindowUpdateAsync(0, ReceiveWindow.Size - Http2Protocol.DefaultWindowSize).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the connection's watchdog, which every <paramref name="period"/> sends or checks the
    /// keep-alive PING and then runs <see cref="OnWatchdog"/> (idle connections, idle streams).
    /// </summary>
    protected void StartWatchdog(TimeSpan period) =>
        _watchdog = _keepAlive.CreateTimer(static s => ((Http2Connection)s!).Watch(), this, period);

    /// <summary>Now in milliseconds on the clock the watchdog runs on (<see cref="Http2KeepAlive.Clock"/>), for timeouts it checks.</summary>
    protected long NowMilliseconds() => _keepAlive.NowMilliseconds();

    /// <summary>A watchdog period that notices <paramref name="timeouts"/> within about a quarter of the shortest.</summary>
    protected TimeSpan WatchdogPeriod(params TimeSpan[] timeouts)
    {
        double shortest = _keepAlive.Enabled ? Math.Min(_keepAlive.PingDelay.TotalMilliseconds, _keepAlive.PingTimeout.TotalMilliseconds) : 5000 * 4;
        foreach (TimeSpan timeout in timeouts)
        {
            if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            {
                shortest = Math.Min(shortest, timeout.TotalMilliseconds);
            }
        }

        return TimeSpan.FromMilliseconds(Math.Clamp(shortest / 4, 10, 5000));
    }

    /// <summary>Runs on the watchdog's timer after the keep-alive check (<paramref name="now"/> is <see cref="Environment.TickCount64"/>).</summary>
    protected virtual void OnWatchdog(long now)
    {
    }

    private void Watch()
    {
        if (Aborted.IsCancellationRequested)
        {
            return;
        }

        long now = Environment.TickCount64;
        if (_keepAlive.Enabled)
        {
            // PINGs are timed on the keep-alive's clock (a test's, by hand), idle checks on the system's.
            long pingNow = _keepAlive.NowMilliseconds();
            long sentAt = Volatile.Read(ref _pingSentAt);
            long quiet = pingNow - Volatile.Read(ref _lastReceivedAt);
            if (sentAt != 0 && pingNow - sentAt >= (long)_keepAlive.PingTimeout.TotalMilliseconds && quiet >= pingNow - sentAt)
            {
                var dead = new IOException($"the peer answered no PING within {_keepAlive.PingTimeout.TotalSeconds:0.###} s and sent nothing for {quiet / 1000.0:0.###} s: the connection is taken for dead");
                Abort(dead);
                return;
            }

            if (sentAt == 0 && !Streams.IsEmpty && quiet >= (long)_keepAlive.PingDelay.TotalMilliseconds)
            {
                Volatile.Write(ref _pingSentAt, pingNow);
                _ = SendKeepAlivePingAsync();
            }
        }

        OnWatchdog(now);
    }

    private async Task SendKeepAlivePingAsync()
    {
        try
        {
            await Writer.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.None, 0, KeepAlivePayload, Aborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection is ending; its read loop reports why.
        }
    }

    /// <summary>Reads raw octets before the first frame (the server reads the client preface).</summary>
    protected ValueTask ReadPrefaceAsync(Memory<byte> destination) => _reader.ReadPayloadAsync(destination, _aborted.Token);

    /// <summary>Reads frames until the peer closes or an error ends the connection; then aborts every stream.</summary>
    protected async Task RunReadLoopAsync(Func<ValueTask>? beforeFirstFrame = null)
    {
        Exception? failure = null;
        try
        {
            if (beforeFirstFrame is not null)
            {
                await beforeFirstFrame().ConfigureAwait(false);
            }

            await ReadFramesAsync().ConfigureAwait(false);
        }
        catch (Http2ConnectionException e)
        {
            failure = e;
            await TrySendGoAwayAsync(e.ErrorCode, e.Message).ConfigureAwait(false);
        }
        catch (HpackException e)
        {
            failure = new Http2ConnectionException(Http2ErrorCode.CompressionError, e.Message, e);
            await TrySendGoAwayAsync(Http2ErrorCode.CompressionError, e.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            failure = e;
        }
        finally
        {
            // What waited for the next read runs now (a handler started, a response handed over),
            // then fails with the connection as it would have had it run already.
            _reader.RunDeferred();
            Abort(failure ?? new IOException("the HTTP/2 connection was closed by the peer"));
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> once the frames already received are read, just before the
    /// read loop next waits for the transport (see <see cref="Http2FrameReader.RunBeforeNextWait"/>).
    /// Only code running on the read loop (a header block's handling) may call this.
    /// </summary>
    protected internal void RunAfterReceivedFrames(Action<object?> action, object? state) => _reader.RunBeforeNextWait(action, state);

    /// <summary>Ends the connection: every open stream fails with <paramref name="reason"/>, writes stop.</summary>
    public void Abort(Exception reason)
    {
        SendWindow.Close(reason);
        foreach (Http2Stream stream in Streams.Values)
        {
            stream.Abort(reason as IOException ?? new IOException(reason.Message, reason));
        }

        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        OnAborted(reason);
    }

    /// <summary>Sends GOAWAY when the connection can still be written; failures are ignored (it is ending).</summary>
    protected async ValueTask TrySendGoAwayAsync(Http2ErrorCode errorCode, string? debug)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Writer.WriteGoAwayAsync(LastPeerStreamId, errorCode, debug, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The highest stream id the peer opened that this side processed (GOAWAY's last stream id).</summary>
    protected virtual int LastPeerStreamId => 0;

    /// <summary>Encodes <paramref name="fields"/> with HPACK and sends them as one header block.</summary>
    public async ValueTask WriteHeaderBlockAsync(int streamId, IEnumerable<KeyValuePair<string, string>> fields, bool endStream, CancellationToken cancellationToken) =>
        await Writer.WriteHeadersAsync(streamId, EncodeHeaderBlock(fields), endStream, PeerSettings.MaxFrameSize, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// <paramref name="fields"/> as an HPACK header block, to send later (our encoder keeps no
    /// dynamic table, so a block does not depend on what was sent before it).
    /// </summary>
    public static ReadOnlyMemory<byte> EncodeHeaderBlock(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var block = new ArrayBufferWriter<byte>(256);
        foreach (KeyValuePair<string, string> field in fields)
        {
            HpackEncoder.Encode(field.Key, field.Value, block);
        }

        return block.WrittenMemory;
    }

    /// <summary>Called by a stream when it closes.</summary>
    internal virtual void OnStreamClosed(Http2Stream stream) => Streams.TryRemove(new KeyValuePair<int, Http2Stream>(stream.Id, stream));

    /// <summary>
    /// A complete header block arrived on <paramref name="streamId"/> (already HPACK-decoded). When
    /// <paramref name="overLimit"/> is true its decoded list was larger than this side's
    /// SETTINGS_MAX_HEADER_LIST_SIZE: <paramref name="fields"/> is incomplete and the stream is to be refused.
    /// </summary>
    protected abstract ValueTask OnHeadersAsync(int streamId, List<KeyValuePair<string, string>> fields, bool endStream, bool overLimit);

    /// <summary>DATA or a header block arrived for a stream id with no open stream; true when the id is one the peer may not use yet (a connection error).</summary>
    protected abstract bool IsIdle(int streamId);

    /// <summary>
    /// Whether RST_STREAM on <paramref name="streamId"/>, which the peer never opened, is let pass
    /// instead of ending the connection (RFC 9113 §6.4 makes it a PROTOCOL_ERROR). False here.
    /// </summary>
    protected virtual bool ToleratesResetOfUnopenedStream(int streamId) => false;

    /// <summary>The peer sent GOAWAY.</summary>
    protected virtual void OnGoAway(int lastStreamId, Http2ErrorCode errorCode, string debug)
    {
    }

    /// <summary>The connection ended (after every stream was aborted).</summary>
    protected virtual void OnAborted(Exception reason)
    {
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        _watchdog?.Dispose();
        Abort(new ObjectDisposedException(GetType().Name, "the HTTP/2 connection was closed"));
        _aborted.Dispose();
        return Writer.DisposeAsync();
    }

    private async Task ReadFramesAsync()
    {
        CancellationToken aborted = _aborted.Token;
        byte[] small = new byte[8];
        HeaderBlock? block = null;
        while (true)
        {
            Http2FrameHeader? next = await _reader.ReadHeaderAsync(aborted).ConfigureAwait(false);
            // Anything that arrives shows the peer alive, and answers an outstanding keep-alive PING.
            Volatile.Write(ref _lastReceivedAt, _keepAlive.NowMilliseconds());
            Volatile.Write(ref _pingSentAt, 0);
            if (next is not { } frame)
            {
                if (block is not null)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "the connection ended inside a header block");
                }

                return;
            }

            if (frame.Length > LocalSettings.MaxFrameSize)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a {frame.Type} frame of {frame.Length} octets is larger than SETTINGS_MAX_FRAME_SIZE {LocalSettings.MaxFrameSize}");
            }

            if (!_peerSettingsReceived && frame.Type != Http2FrameType.Settings)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"the first frame must be SETTINGS, not {frame.Type}");
            }

            if (block is not null && (frame.Type != Http2FrameType.Continuation || frame.StreamId != block.StreamId))
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a {frame.Type} frame on stream {frame.StreamId} interrupted the header block of stream {block.StreamId}");
            }

            switch (frame.Type)
            {
                case Http2FrameType.Data:
                    await ReadDataAsync(frame, small, aborted).ConfigureAwait(false);
                    break;
                case Http2FrameType.Headers:
                    block = await ReadHeadersAsync(frame, aborted).ConfigureAwait(false);
                    break;
                case Http2FrameType.Continuation:
                    if (block is null)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"CONTINUATION on stream {frame.StreamId} without a HEADERS frame before it");
                    }

                    await block.AppendAsync(_reader, frame.Length, aborted).ConfigureAwait(false);
                    if (frame.Has(Http2FrameFlags.EndHeaders))
                    {
                        await DispatchHeaders(block.StreamId, block.EndStream, block.Written).ConfigureAwait(false);
                        block = null;
                    }

                    break;
                case Http2FrameType.Priority:
                    RequireStream(frame);
                    if (frame.Length != 5)
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a PRIORITY frame must be 5 octets, not {frame.Length}");
                    }

                    await ReadExactAsync(frame, 5, small, aborted).ConfigureAwait(false);
                    if ((BinaryPrimitives.ReadUInt32BigEndian(small) & 0x7FFF_FFFF) == (uint)frame.StreamId)
                    {
                        // RFC 9113 §5.3.1: a stream cannot depend on itself, a stream error.
                        await ResetSelfDependentAsync(frame.StreamId).ConfigureAwait(false);
                    }

                    break;
                case Http2FrameType.RstStream:
                    RequireStream(frame);
                    await ReadExactAsync(frame, 4, small, aborted).ConfigureAwait(false);
                    if (IsIdle(frame.StreamId) && !ToleratesResetOfUnopenedStream(frame.StreamId))
                    {
                        throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"RST_STREAM on idle stream {frame.StreamId}");
                    }

                    if (Streams.TryGetValue(frame.StreamId, out Http2Stream? reset))
                    {
                        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(small);
                        reset.Abort(new Http2StreamException(frame.StreamId, code, $"the peer reset stream {frame.StreamId} ({code})"));
                    }

                    break;
                case Http2FrameType.Settings:
                    await ReadSettingsAsync(frame, aborted).ConfigureAwait(false);
                    break;
                case Http2FrameType.PushPromise:
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "PUSH_PROMISE is not allowed: push is disabled");
                case Http2FrameType.Ping:
                    RequireConnection(frame);
                    await ReadExactAsync(frame, 8, small, aborted).ConfigureAwait(false);
                    if (!frame.Has(Http2FrameFlags.Ack))
                    {
                        await Writer.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.Ack, 0, small.AsMemory(0, 8), aborted).ConfigureAwait(false);
                    }

                    break;
                case Http2FrameType.GoAway:
                    await ReadGoAwayAsync(frame, aborted).ConfigureAwait(false);
                    break;
                case Http2FrameType.WindowUpdate:
                    await ReadWindowUpdateAsync(frame, small, aborted).ConfigureAwait(false);
                    break;
                default:
                    // Unknown frame types are ignored (RFC 9113 §4.1).
                    await _reader.SkipAsync(frame.Length, aborted).ConfigureAwait(false);
                    break;
            }
        }
    }

    private async ValueTask ReadDataAsync(Http2FrameHeader frame, byte[] small, CancellationToken aborted)
    {
        RequireStream(frame);
        if (!ReceiveWindow.TryReceive(frame.Length))
        {
            throw ReceiveWindow.Overrun(frame.Length);
        }

        int padding = 0;
        int prefix = 0;
        if (frame.Has(Http2FrameFlags.Padded))
        {
            if (frame.Length < 1)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "a padded DATA frame has no pad length");
            }

            await _reader.ReadPayloadAsync(small.AsMemory(0, 1), aborted).ConfigureAwait(false);
            padding = small[0];
            prefix = 1;
            if (padding > frame.Length - 1)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"DATA padding of {padding} octets is longer than the frame");
            }
        }

        int dataLength = frame.Length - prefix - padding;
        if (!Streams.TryGetValue(frame.StreamId, out Http2Stream? stream) || stream.RemoteEnded)
        {
            if (IsIdle(frame.StreamId))
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"DATA on idle stream {frame.StreamId}");
            }

            // A stream that closed (or that this side reset) may still get frames the peer sent before it knew.
            await _reader.SkipAsync(dataLength + padding, aborted).ConfigureAwait(false);
            ReceiveWindow.Consume(frame.Length);
            if (stream is not null)
            {
                await stream.ResetAsync(Http2ErrorCode.StreamClosed, $"DATA after END_STREAM on stream {frame.StreamId}").ConfigureAwait(false);
            }

            return;
        }

        if (!stream.ReceiveWindow.TryReceive(frame.Length))
        {
            // A stream error: the octets still count for the connection's window, which goes on.
            await _reader.SkipAsync(dataLength + padding, aborted).ConfigureAwait(false);
            ReceiveWindow.Consume(frame.Length);
            await stream.ResetAsync(Http2ErrorCode.FlowControlError, stream.ReceiveWindow.Overrun(frame.Length).Message).ConfigureAwait(false);
            return;
        }

        if (stream.BodyLengthProblem(dataLength, frame.Has(Http2FrameFlags.EndStream)) is { } lengthProblem)
        {
            // A malformed request (RFC 9113 §8.1.1), a stream error; the connection's window goes on.
            await _reader.SkipAsync(dataLength + padding, aborted).ConfigureAwait(false);
            ReceiveWindow.Consume(frame.Length);
            await stream.ResetAsync(Http2ErrorCode.ProtocolError, $"malformed request on stream {frame.StreamId}: {lengthProblem}").ConfigureAwait(false);
            return;
        }

        if (dataLength > 0)
        {
            await stream.Inbound.DeliverAsync(_reader, dataLength, aborted).ConfigureAwait(false);
        }

        stream.Received(dataLength);

        if (padding > 0)
        {
            await _reader.SkipAsync(padding, aborted).ConfigureAwait(false);
        }

        // The pad length octet and padding count against both windows (RFC 9113 §6.1) and no
        // reader consumes them: the stream's window gets them back too, or it shrinks for good.
        stream.ReceiveWindow.Consume(prefix + padding);

        if (frame.Has(Http2FrameFlags.EndStream))
        {
            stream.EndRemote();
        }
    }

    private async ValueTask<HeaderBlock?> ReadHeadersAsync(Http2FrameHeader frame, CancellationToken aborted)
    {
        RequireStream(frame);
        if (frame.Length > MaxHeaderBlockSize)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a HEADERS frame of {frame.Length} octets is larger than {MaxHeaderBlockSize}");
        }

        // A pooled array: every request and response has two or three header blocks, and a block
        // in one frame (the usual case) is decoded from it without another copy.
        byte[] payload = ArrayPool<byte>.Shared.Rent(frame.Length);
        ValueTask dispatched;
        try
        {
            await _reader.ReadPayloadAsync(payload.AsMemory(0, frame.Length), aborted).ConfigureAwait(false);
            int start = 0;
            int end = frame.Length;
            if (frame.Has(Http2FrameFlags.Padded))
            {
                if (frame.Length < 1 || payload[0] > frame.Length - 1)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "HEADERS padding is longer than the frame");
                }

                start = 1;
                end -= payload[0];
            }

            if (frame.Has(Http2FrameFlags.Priority))
            {
                if (end - start < 5)
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "a HEADERS frame with PRIORITY is shorter than its priority fields");
                }

                // RFC 9113 §5.3.1: a stream that depends on itself is a stream error, once its block is decoded.
                _selfDependent = (BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(start)) & 0x7FFF_FFFF) == (uint)frame.StreamId ? frame.StreamId : 0;
                start += 5;
            }

            if (!frame.Has(Http2FrameFlags.EndHeaders))
            {
                var block = new HeaderBlock(frame.StreamId, frame.Has(Http2FrameFlags.EndStream));
                block.Append(payload.AsSpan(start, end - start));
                return block;
            }

            dispatched = DispatchHeaders(frame.StreamId, frame.Has(Http2FrameFlags.EndStream), payload.AsSpan(start, end - start));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }

        await dispatched.ConfigureAwait(false);
        return null;
    }

    /// <summary>Decodes a whole header block and hands it to <see cref="OnHeadersAsync"/> (the block's memory is not used after this returns).</summary>
    private ValueTask DispatchHeaders(int streamId, bool endStream, ReadOnlySpan<byte> block)
    {
        // Decoded even for a stream that will be refused: the HPACK table is the connection's.
        var fields = new List<KeyValuePair<string, string>>();
        bool withinLimit = _hpack.Decode(block, fields);
        if (streamId == _selfDependent)
        {
            _selfDependent = 0;
            return ResetSelfDependentAsync(streamId);
        }

        return OnHeadersAsync(streamId, fields, endStream, !withinLimit);
    }

    private async ValueTask ReadSettingsAsync(Http2FrameHeader frame, CancellationToken aborted)
    {
        RequireConnection(frame);
        if (frame.Has(Http2FrameFlags.Ack))
        {
            if (frame.Length != 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, "a SETTINGS acknowledgement must be empty");
            }

            return;
        }

        if (frame.Length > 6 * 64)
        {
            throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a SETTINGS frame of {frame.Length} octets");
        }

        byte[] payload = new byte[frame.Length];
        await _reader.ReadPayloadAsync(payload, aborted).ConfigureAwait(false);
        int oldWindow = PeerSettings.InitialWindowSize;
        PeerSettings.Apply(payload);
        _peerSettingsReceived = true;
        if (PeerSettings.InitialWindowSize != oldWindow)
        {
            // Every stream's window reads the new size itself (Http2SendWindow); the ones open now
            // are woken and checked. The fence orders the size's store before the table's reads, as
            // an opener's entry in the table comes before its first read of the size: a stream
            // missed here reads the new size.
            Interlocked.MemoryBarrier();
            foreach (Http2Stream stream in Streams.Values)
            {
                if (!stream.SendWindow.InitialSizeChanged())
                {
                    throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"SETTINGS_INITIAL_WINDOW_SIZE change pushed stream {stream.Id}'s window above 2^31-1");
                }
            }
        }

        await Writer.WriteFrameAsync(Http2FrameType.Settings, Http2FrameFlags.Ack, 0, ReadOnlyMemory<byte>.Empty, aborted).ConfigureAwait(false);
    }

    private async ValueTask ReadGoAwayAsync(Http2FrameHeader frame, CancellationToken aborted)
    {
        RequireConnection(frame);
        if (frame.Length < 8)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a GOAWAY frame of {frame.Length} octets is shorter than 8");
        }

        byte[] payload = new byte[Math.Min(frame.Length, 8 + 1024)];
        await _reader.ReadPayloadAsync(payload, aborted).ConfigureAwait(false);
        await _reader.SkipAsync(frame.Length - payload.Length, aborted).ConfigureAwait(false);
        int lastStreamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF);
        var code = (Http2ErrorCode)BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4));
        OnGoAway(lastStreamId, code, System.Text.Encoding.UTF8.GetString(payload, 8, payload.Length - 8));
    }

    private async ValueTask ReadWindowUpdateAsync(Http2FrameHeader frame, byte[] small, CancellationToken aborted)
    {
        await ReadExactAsync(frame, 4, small, aborted).ConfigureAwait(false);
        int increment = (int)(BinaryPrimitives.ReadUInt32BigEndian(small) & 0x7FFF_FFFF);
        if (frame.StreamId == 0)
        {
            if (increment == 0)
            {
                throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "a connection WINDOW_UPDATE with an increment of 0");
            }

            if (!SendWindow.TryAdd(increment))
            {
                throw new Http2ConnectionException(Http2ErrorCode.FlowControlError, "WINDOW_UPDATE pushed the connection window above 2^31-1");
            }

            return;
        }

        if (IsIdle(frame.StreamId))
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"WINDOW_UPDATE on idle stream {frame.StreamId}");
        }

        if (!Streams.TryGetValue(frame.StreamId, out Http2Stream? stream))
        {
            return;
        }

        if (increment == 0)
        {
            await stream.ResetAsync(Http2ErrorCode.ProtocolError, "a stream WINDOW_UPDATE with an increment of 0").ConfigureAwait(false);
        }
        else if (!stream.SendWindow.TryAdd(increment))
        {
            await stream.ResetAsync(Http2ErrorCode.FlowControlError, $"WINDOW_UPDATE pushed stream {frame.StreamId}'s window above 2^31-1").ConfigureAwait(false);
        }
    }

    // The stream of the HEADERS being read when it named itself as its dependency (0: none); only the read loop touches it.
    private int _selfDependent;

    /// <summary>Resets a stream that named itself as its dependency: the stream if open, else just RST_STREAM (the stream is then closed, §5.4.2).</summary>
    private ValueTask ResetSelfDependentAsync(int streamId) =>
        Streams.TryGetValue(streamId, out Http2Stream? stream)
            ? stream.ResetAsync(Http2ErrorCode.ProtocolError, $"stream {streamId} depends on itself")
            : Writer.WriteResetAsync(streamId, Http2ErrorCode.ProtocolError);

    private async ValueTask ReadExactAsync(Http2FrameHeader frame, int length, byte[] destination, CancellationToken aborted)
    {
        if (frame.Length != length)
        {
            throw new Http2ConnectionException(Http2ErrorCode.FrameSizeError, $"a {frame.Type} frame must be {length} octets, not {frame.Length}");
        }

        await _reader.ReadPayloadAsync(destination.AsMemory(0, length), aborted).ConfigureAwait(false);
    }

    private static void RequireStream(Http2FrameHeader frame)
    {
        if (frame.StreamId == 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a {frame.Type} frame must name a stream");
        }
    }

    private static void RequireConnection(Http2FrameHeader frame)
    {
        if (frame.StreamId != 0)
        {
            throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, $"a {frame.Type} frame must be on stream 0, not {frame.StreamId}");
        }
    }

    /// <summary>A header block being assembled from HEADERS and CONTINUATION payloads.</summary>
    private sealed class HeaderBlock(int streamId, bool endStream)
    {
        private byte[] _bytes = new byte[256];
        private int _length;

        public int StreamId { get; } = streamId;

        public bool EndStream { get; } = endStream;

        public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, _length);

        public void Append(ReadOnlySpan<byte> fragment)
        {
            Reserve(fragment.Length);
            fragment.CopyTo(_bytes.AsSpan(_length));
            _length += fragment.Length;
        }

        public async ValueTask AppendAsync(Http2FrameReader reader, int length, CancellationToken cancellationToken)
        {
            Reserve(length);
            await reader.ReadPayloadAsync(_bytes.AsMemory(_length, length), cancellationToken).ConfigureAwait(false);
            _length += length;
        }

        private void Reserve(int more)
        {
            if ((long)_length + more > MaxHeaderBlockSize)
            {
                throw new Http2ConnectionException(Http2ErrorCode.EnhanceYourCalm, $"a header block on stream {StreamId} is larger than {MaxHeaderBlockSize} octets");
            }

            if (_length + more > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_length + more, _bytes.Length * 2));
            }
        }
    }
}
