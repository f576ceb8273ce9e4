namespace ArrowCid.Http2;

/// <summary>
/// A flow-control window for receiving (RFC 9113 §5.2, §6.9), the mirror of <see cref="Http2SendWindow"/>:
/// the credit this side granted the peer on the connection (stream 0) or one stream. Each DATA
/// frame takes its whole payload, pad length octet and padding included (§6.1). Octets come back
/// when this side is done with them — read by the consumer, or dropped unread (padding, the body
/// of a reset or discarded stream, DATA for a stream already closed) — and are granted again by
/// one WINDOW_UPDATE once half the window is waiting: the peer never runs dry, small reads do not
/// each cost a frame, and no octet is lost from the window for good.
/// </summary>
internal sealed class Http2ReceiveWindow
{
    private readonly object _gate = new();
    private readonly Http2ReceiveWindow? _connection;
    private readonly Action<int, int> _sendUpdate;
    private long _available;
    private int _pending;
    private bool _granting = true;

    /// <summary>The connection's window.</summary>
    /// <param name="size">The credit kept open (at least the protocol's 65,535).</param>
    /// <param name="sendUpdate">Sends WINDOW_UPDATE (stream id, increment) without blocking the caller.</param>
    public Http2ReceiveWindow(int size, Action<int, int> sendUpdate)
        : this(0, size, null, sendUpdate)
    {
    }

    /// <summary>A stream's window inside <paramref name="connection"/>'s: what the stream consumes, the connection consumes too.</summary>
    /// <param name="streamId">The stream (not 0).</param>
    /// <param name="size">The credit kept open: this side's SETTINGS_INITIAL_WINDOW_SIZE.</param>
    /// <param name="connection">The connection's window.</param>
    public Http2ReceiveWindow(int streamId, int size, Http2ReceiveWindow connection)
        : this(streamId, size, connection, connection._sendUpdate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(streamId, 1);
    }

    private Http2ReceiveWindow(int streamId, int size, Http2ReceiveWindow? connection, Action<int, int> sendUpdate)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        StreamId = streamId;
        Size = size;
        _available = size;
        _connection = connection;
        _sendUpdate = sendUpdate;
    }

    /// <summary>The stream the window belongs to; 0 for the connection.</summary>
    public int StreamId { get; }

    /// <summary>The credit kept open.</summary>
    public int Size { get; }

    /// <summary>Octets the peer may still send before the next WINDOW_UPDATE.</summary>
    public long Available
    {
        get
        {
            lock (_gate)
            {
                return _available;
            }
        }
    }

    /// <summary>Octets consumed and not yet granted back.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _pending;
            }
        }
    }

    /// <summary>Takes the credit of a DATA frame of <paramref name="length"/> octets (its whole payload); false, taking nothing, when the frame overran the window.</summary>
    public bool TryReceive(int length)
    {
        lock (_gate)
        {
            if (length > _available)
            {
                return false;
            }

            _available -= length;
            return true;
        }
    }

    /// <summary>
    /// The FLOW_CONTROL_ERROR for a DATA frame of <paramref name="length"/> octets that
    /// <see cref="TryReceive"/> refused: a connection error (<see cref="Http2ConnectionException"/>,
    /// the connection ends with GOAWAY) on the connection's window, a stream error
    /// (<see cref="Http2StreamException"/>, the stream is reset) on a stream's.
    /// </summary>
    public IOException Overrun(int length) => StreamId == 0
        ? new Http2ConnectionException(Http2ErrorCode.FlowControlError, $"a DATA frame of {length} octets overran the connection's receive window of {Available}")
        : new Http2StreamException(StreamId, Http2ErrorCode.FlowControlError, $"a DATA frame of {length} octets overran stream {StreamId}'s receive window");

    /// <summary>
    /// This side is done with <paramref name="count"/> received octets (read, or dropped unread).
    /// A stream's octets count for the connection too. Sends WINDOW_UPDATE for each window once
    /// half of it is waiting to be granted.
    /// </summary>
    public void Consume(int count)
    {
        if (count <= 0)
        {
            return;
        }

        _connection?.Consume(count);
        int increment = 0;
        lock (_gate)
        {
            _pending += count;
            if (_granting && _pending >= Size / 2)
            {
                increment = _pending;
                _pending = 0;
                _available += increment;
            }
        }

        if (increment > 0)
        {
            _sendUpdate(StreamId, increment);
        }
    }

    /// <summary>
    /// The peer will send nothing more on this window (END_STREAM, or the stream closed): later
    /// consumption still reaches the connection's window, but this one is no longer reopened.
    /// </summary>
    public void StopGranting()
    {
        lock (_gate)
        {
            _granting = false;
        }
    }
}
