namespace ArrowCid.Http2;

/// <summary>
/// One HTTP/2 stream as both sides see it: the receiving half (<see cref="Inbound"/> and its
/// window), the sending half (DATA under both send windows) and its end: both halves closed, or a reset.
/// The client and server streams add what their side does with header blocks.
/// </summary>
internal abstract class Http2Stream
{
    /// <summary>
    /// Credit taken at once for a run of DATA frames written in one system call: 16 frames of the
    /// default 16 KiB frame size (<see cref="Http2FrameWriter.MaxRunFrames"/> bounds it).
    /// </summary>
    internal const int RunBytes = 256 * 1024;

    private readonly object _gate = new();
    private readonly TaskCompletionSource _closedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _localEnded;
    private bool _remoteEnded;
    private bool _closed;
    private Exception? _aborted;
    private long _lastActivity = Environment.TickCount64;
    private long _octetsSent;
    private long _octetsReceived;

    protected Http2Stream(Http2Connection connection, int id)
    {
        Connection = connection;
        Id = id;
        SendWindow = new Http2SendWindow(connection.PeerSettings);
        ReceiveWindow = new Http2ReceiveWindow(id, connection.LocalSettings.InitialWindowSize, connection.ReceiveWindow);
        Inbound = new Http2InboundBody(ReceiveWindow.Consume);
    }

    /// <summary>The stream identifier.</summary>
    public int Id { get; }

    /// <summary>The connection carrying the stream.</summary>
    public Http2Connection Connection { get; }

    /// <summary>Credit for sending DATA on this stream.</summary>
    public Http2SendWindow SendWindow { get; }

    /// <summary>Credit granted to the peer for DATA on this stream (inside the connection's).</summary>
    public Http2ReceiveWindow ReceiveWindow { get; }

    /// <summary>The DATA received.</summary>
    public Http2InboundBody Inbound { get; }

    /// <summary>Completes when the stream has closed (both sides ended, or a reset).</summary>
    public Task Closed => _closedSignal.Task;

    /// <summary>When octets last moved on the stream, either way (<see cref="Environment.TickCount64"/>).</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>DATA octets sent so far.</summary>
    public long OctetsSent => Volatile.Read(ref _octetsSent);

    /// <summary>DATA octets received so far.</summary>
    public long OctetsReceived => Volatile.Read(ref _octetsReceived);

    /// <summary>The body length the peer declared in content-length, checked against the DATA it sends (RFC 9113 §8.1.1); null when it declared none.</summary>
    internal long? DeclaredBodyLength { get; init; }

    /// <summary>True once the stream closed by a reset, from either side or with its connection, rather than with both sides ended.</summary>
    internal bool WasReset { get; private set; }

    /// <summary>
    /// What is wrong with the body against its content-length once <paramref name="more"/> octets
    /// of DATA arrive, the body ending there when <paramref name="ending"/> (RFC 9113 §8.1.1: a
    /// request whose DATA does not add up to its content-length is malformed); null when nothing is.
    /// </summary>
    internal string? BodyLengthProblem(int more, bool ending)
    {
        if (DeclaredBodyLength is not { } declared)
        {
            return null;
        }

        long total = OctetsReceived + more;
        return total > declared ? $"{total} octets of DATA, more than its content-length of {declared}"
            : ending && total < declared ? $"the body ended after {total} octets, short of its content-length of {declared}"
            : null;
    }

    /// <summary>Octets of DATA (or a header block, with 0) arrived: the stream is moving.</summary>
    internal void Received(int octets)
    {
        if (octets > 0)
        {
            Interlocked.Add(ref _octetsReceived, octets);
        }

        Volatile.Write(ref _lastActivity, Environment.TickCount64);
    }

    private void Sent(int octets)
    {
        Interlocked.Add(ref _octetsSent, octets);
        Volatile.Write(ref _lastActivity, Environment.TickCount64);
    }

    // A write after this side has ended: the reset or the connection's failure that ended it, when
    // one did (a caller then sees why, not that the stream is over), else a misuse.
    private void ThrowIfLocalEnded()
    {
        Exception? aborted;
        lock (_gate)
        {
            if (!_localEnded && !_closed)
            {
                return;
            }

            aborted = _aborted;
        }

        if (aborted is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(aborted);
        }

        throw new InvalidOperationException($"stream {Id} has already ended its side");
    }

    /// <summary>Whether this side has sent END_STREAM (or reset the stream).</summary>
    public bool LocalEnded
    {
        get
        {
            lock (_gate)
            {
                return _localEnded || _closed;
            }
        }
    }

    /// <summary>Whether the peer has sent END_STREAM.</summary>
    public bool RemoteEnded
    {
        get
        {
            lock (_gate)
            {
                return _remoteEnded;
            }
        }
    }

    /// <summary>Sends <paramref name="data"/> as DATA frames, each within the peer's frame size and both send windows; the memory is written from where it lies.</summary>
    public ValueTask WriteDataAsync(ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken) =>
        WriteDataAsync(ReadOnlyMemory<byte>.Empty, data, endStream, cancellationToken);

    /// <summary>
    /// Sends <paramref name="head"/> then <paramref name="data"/> as DATA frames, each within the
    /// peer's frame size and both send windows, the head at the front of the first: a small head
    /// (a gRPC message's prefix and fields) and the large payload after it go as one frame rather
    /// than two, each written from where it lies. A <paramref name="headerBlock"/> (a response's
    /// headers, HPACK-encoded) goes first, with the first frame when the windows have credit at once;
    /// a <paramref name="trailerBlock"/> goes last, with the last frame, and ends the stream
    /// (<paramref name="endStream"/> must then be true).
    /// </summary>
    public async ValueTask WriteDataAsync(
        ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> data, bool endStream, CancellationToken cancellationToken,
        ReadOnlyMemory<byte> headerBlock = default, ReadOnlyMemory<byte> trailerBlock = default)
    {
        if (!trailerBlock.IsEmpty && !endStream)
        {
            throw new ArgumentException("trailers end the stream", nameof(endStream));
        }

        ThrowIfLocalEnded();

        while (!head.IsEmpty || !data.IsEmpty)
        {
            int total = head.Length + data.Length;
            int maxFrameSize = Connection.PeerSettings.MaxFrameSize;
            // Without headers or trailers to place, a run of frames goes in one write (WriteDataRunAsync).
            bool run = headerBlock.IsEmpty && trailerBlock.IsEmpty;
            int wanted = Math.Min(total, run ? Math.Max(maxFrameSize, RunBytes) : maxFrameSize);
            ValueTask<int> streamAcquire = SendWindow.AcquireAsync(wanted, cancellationToken);
            if (!headerBlock.IsEmpty && !streamAcquire.IsCompleted)
            {
                // No credit yet: the headers must not wait for it.
                await WriteHeaderBlockAsync(headerBlock, endStream: false, cancellationToken).ConfigureAwait(false);
                headerBlock = default;
            }

            int streamCredit = await streamAcquire.ConfigureAwait(false);
            int credit;
            try
            {
                ValueTask<int> connectionAcquire = Connection.SendWindow.AcquireAsync(streamCredit, cancellationToken);
                if (!headerBlock.IsEmpty && !connectionAcquire.IsCompleted)
                {
                    await WriteHeaderBlockAsync(headerBlock, endStream: false, cancellationToken).ConfigureAwait(false);
                    headerBlock = default;
                }

                credit = await connectionAcquire.ConfigureAwait(false);
            }
            catch
            {
                SendWindow.Return(streamCredit);
                throw;
            }

            if (credit < streamCredit)
            {
                SendWindow.Return(streamCredit - credit);
            }

            bool last = endStream && credit == total;
            int fromHead = Math.Min(head.Length, credit);
            ReadOnlyMemory<byte> trailers = last ? trailerBlock : default;
            if (headerBlock.IsEmpty && trailers.IsEmpty)
            {
                await Connection.Writer.WriteDataRunAsync(Id, head[..fromHead], data[..(credit - fromHead)], maxFrameSize, last, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                try
                {
                    await Connection.Writer.WriteHeadersAndDataAsync(
                        Id, headerBlock, Connection.PeerSettings.MaxFrameSize, head[..fromHead], data[..(credit - fromHead)], last, trailers, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!LocalEnded && !headerBlock.IsEmpty)
                {
                    // Cancelled while waiting for the connection's writer, before anything was written:
                    // the headers were promised (the response has started), so they still go, alone.
                    SendWindow.Return(credit);
                    Connection.SendWindow.Return(credit);
                    await WriteHeaderBlockAsync(headerBlock, endStream: false, CancellationToken.None).ConfigureAwait(false);
                    throw;
                }

                headerBlock = default;
            }

            Sent(credit);
            head = head[fromHead..];
            data = data[(credit - fromHead)..];
            if (last)
            {
                EndLocal();
                return;
            }
        }

        if (!trailerBlock.IsEmpty)
        {
            // Nothing to send but the trailers (and the headers, when not sent yet).
            if (!headerBlock.IsEmpty)
            {
                await WriteHeaderBlockAsync(headerBlock, endStream: false, cancellationToken).ConfigureAwait(false);
            }

            await WriteHeaderBlockAsync(trailerBlock, endStream: true, cancellationToken).ConfigureAwait(false);
        }
        else if (endStream)
        {
            if (headerBlock.IsEmpty)
            {
                await Connection.Writer.WriteDataAsync(Id, ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Connection.Writer.WriteHeadersAndDataAsync(
                    Id, headerBlock, Connection.PeerSettings.MaxFrameSize, ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, endStream: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            EndLocal();
        }
        else if (!headerBlock.IsEmpty)
        {
            await WriteHeaderBlockAsync(headerBlock, endStream: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Sends a header block HPACK-encoded already (<see cref="Http2Connection.EncodeHeaderBlock"/>).</summary>
    public async ValueTask WriteHeaderBlockAsync(ReadOnlyMemory<byte> block, bool endStream, CancellationToken cancellationToken)
    {
        ThrowIfLocalEnded();

        await Connection.Writer.WriteHeadersAsync(Id, block, endStream, Connection.PeerSettings.MaxFrameSize, cancellationToken).ConfigureAwait(false);
        if (endStream)
        {
            EndLocal();
        }
    }

    /// <summary>Sends a header block (headers or trailers).</summary>
    public async ValueTask WriteHeadersAsync(IEnumerable<KeyValuePair<string, string>> fields, bool endStream, CancellationToken cancellationToken)
    {
        ThrowIfLocalEnded();

        await Connection.WriteHeaderBlockAsync(Id, fields, endStream, cancellationToken).ConfigureAwait(false);
        if (endStream)
        {
            EndLocal();
        }
    }

    /// <summary>Resets the stream from this side (RST_STREAM) unless it has already closed.</summary>
    public ValueTask ResetAsync(Http2ErrorCode errorCode, string reason) =>
        ResetAsync(errorCode, new Http2StreamException(Id, errorCode, reason));

    /// <summary>Resets the stream from this side (RST_STREAM with <paramref name="errorCode"/>) unless it has already closed; what waits on it fails with <paramref name="error"/>.</summary>
    public async ValueTask ResetAsync(Http2ErrorCode errorCode, IOException error)
    {
        if (!Close(reset: true, error))
        {
            return;
        }

        Inbound.Fail(error);
        SendWindow.Close(error);
        OnAborted(error);
        try
        {
            await Connection.Writer.WriteResetAsync(Id, errorCode).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The connection is gone; the stream is over either way.
        }
    }

    /// <summary>END_STREAM from the peer.</summary>
    public void EndRemote()
    {
        Inbound.End();
        bool done;
        lock (_gate)
        {
            _remoteEnded = true;
            ReceiveWindow.StopGranting();
            done = _localEnded;
        }

        if (done)
        {
            Close();
        }
    }

    /// <summary>RST_STREAM from the peer, or the connection's end: every waiting read and write fails with <paramref name="error"/>.</summary>
    public void Abort(Exception error)
    {
        if (!Close(reset: true, error))
        {
            return;
        }

        Inbound.Fail(error);
        SendWindow.Close(error);
        OnAborted(error);
    }

    /// <summary>Told once, when the stream is reset or its connection is lost.</summary>
    protected virtual void OnAborted(Exception error)
    {
    }

    private void EndLocal()
    {
        bool done;
        lock (_gate)
        {
            _localEnded = true;
            done = _remoteEnded;
        }

        if (done)
        {
            Close();
        }
    }

    /// <summary>Marks the stream closed and takes it off the connection; false when it already was.</summary>
    private bool Close(bool reset = false, Exception? error = null)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return false;
            }

            _closed = true;
            _aborted = error;
            WasReset = reset;
            ReceiveWindow.StopGranting();
        }

        Connection.OnStreamClosed(this);
        OnClosed();
        _closedSignal.TrySetResult();
        return true;
    }

    /// <summary>Told once, when the stream has closed (both sides ended, or a reset), on the thread that closed it.</summary>
    protected virtual void OnClosed()
    {
    }
}
