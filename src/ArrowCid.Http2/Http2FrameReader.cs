using System.Buffers;

namespace ArrowCid.Http2;

/// <summary>
/// Reads frames from a connection's transport. Small reads go through one buffer; a payload read
/// into a caller's memory that the buffer does not already hold goes straight from the transport
/// into that memory, so a large DATA frame is copied once (by the kernel), not twice.
/// </summary>
internal sealed class Http2FrameReader
{
    /// <summary>Below this many wanted octets the buffer is refilled instead of reading directly.</summary>
    private const int DirectReadThreshold = 16 * 1024;

    /// <summary>A payload at least this large makes the next frame header's refill a short one (<see cref="ShortFill"/>).</summary>
    private const int LargePayload = 64 * 1024;

    /// <summary>
    /// How much a refill for a frame header reads after a large payload: enough for the header, a
    /// message's prefix and metadata and a small frame or two, but little of the next large payload,
    /// which then goes from the socket straight into its message instead of through this buffer.
    /// </summary>
    private const int ShortFill = 4 * 1024;

    private readonly Stream _transport;
    private readonly int _bufferSize;

    // Rented while the connection reads; given back while it waits idle (see ReleaseWhileIdle).
    private byte[]? _buffer;
    private Func<bool>? _idle;

    // What the connection put off until the frames already received are read (RunBeforeNextWait).
    private readonly List<(Action<object?> Action, object? State)> _beforeWait = [];
    private int _start;
    private int _end;
    private bool _largePayloads;

    public Http2FrameReader(Stream transport, int bufferSize = 64 * 1024)
    {
        _transport = transport;
        _bufferSize = bufferSize;
    }

    /// <summary>
    /// Gives the buffer back to the pool whenever the reader would wait with nothing buffered while
    /// <paramref name="idle"/> says the connection has no open stream, and waits with a zero-byte
    /// read instead, taking a buffer again once data has come: an idle connection then holds no
    /// 64 KiB buffer (issue 65: 111 KB per idle connection, Kestrel's HTTP/2 32 KB). Only for a
    /// transport whose zero-byte read waits for data (a socket's NetworkStream; a pipe's stream
    /// would answer it as the end).
    /// </summary>
    public void ReleaseWhileIdle(Func<bool> idle) => _idle = idle;

    /// <summary>Whether the reader holds a buffer now (a test's view of <see cref="ReleaseWhileIdle"/>).</summary>
    internal bool HoldsBuffer => _buffer is not null;

    /// <summary>
    /// Runs <paramref name="action"/> just before this reader next waits for the transport, that is
    /// once the frames already received have been read (or at once by <see cref="RunDeferred"/>).
    /// A request's handler or a response's reader started then finds the DATA and END_STREAM that
    /// came in the same read already delivered, instead of racing the read loop for them and
    /// waiting (a wake-up and a thread-pool hop more) for what was a few octets away.
    /// Only the read loop calls this.
    /// </summary>
    public void RunBeforeNextWait(Action<object?> action, object? state) => _beforeWait.Add((action, state));

    /// <summary>Runs what <see cref="RunBeforeNextWait"/> put off, in order.</summary>
    public void RunDeferred()
    {
        for (int i = 0; i < _beforeWait.Count; i++)
        {
            (Action<object?> action, object? state) = _beforeWait[i];
            action(state);
        }

        _beforeWait.Clear();
    }

    /// <summary>Reads the next frame header; null when the transport ended cleanly between frames.</summary>
    /// <exception cref="Http2ConnectionException">The transport ended inside a frame header.</exception>
    public async ValueTask<Http2FrameHeader?> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        while (_end - _start < Http2FrameHeader.Size)
        {
            if (!await FillAsync(_largePayloads ? ShortFill : _bufferSize, cancellationToken).ConfigureAwait(false))
            {
                return _end == _start
                    ? null
                    : throw new Http2ConnectionException(Http2ErrorCode.ProtocolError, "the connection ended inside a frame header");
            }
        }

        var header = Http2FrameHeader.Read(_buffer!.AsSpan(_start, Http2FrameHeader.Size));
        _start += Http2FrameHeader.Size;
        return header;
    }

    /// <summary>Reads the next <paramref name="destination"/>.Length payload octets.</summary>
    /// <exception cref="EndOfStreamException">The transport ended first.</exception>
    public async ValueTask ReadPayloadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        _largePayloads = destination.Length >= LargePayload;
        while (!destination.IsEmpty)
        {
            int buffered = _end - _start;
            if (buffered > 0)
            {
                int take = Math.Min(buffered, destination.Length);
                _buffer!.AsMemory(_start, take).CopyTo(destination);
                _start += take;
                destination = destination[take..];
            }
            else if (destination.Length >= DirectReadThreshold)
            {
                RunDeferred();
                int read = await _transport.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new EndOfStreamException("the connection ended inside a frame");
                }

                destination = destination[read..];
            }
            else if (!await FillAsync(_bufferSize, cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("the connection ended inside a frame");
            }
        }
    }

    /// <summary>Skips <paramref name="count"/> payload octets.</summary>
    public async ValueTask SkipAsync(int count, CancellationToken cancellationToken)
    {
        while (count > 0)
        {
            int buffered = _end - _start;
            if (buffered == 0)
            {
                if (!await FillAsync(_bufferSize, cancellationToken).ConfigureAwait(false))
                {
                    throw new EndOfStreamException("the connection ended inside a frame");
                }

                continue;
            }

            int take = Math.Min(buffered, count);
            _start += take;
            count -= take;
        }
    }

    /// <summary>Reads more from the transport after what is buffered, at most <paramref name="most"/> octets; false at the end of the transport.</summary>
    private async ValueTask<bool> FillAsync(int most, CancellationToken cancellationToken)
    {
        if (_start == _end)
        {
            _start = _end = 0;
            if (_idle is { } idle && idle())
            {
                RunDeferred();
                if (_buffer is { } held)
                {
                    _buffer = null;
                    ArrayPool<byte>.Shared.Return(held);
                }

                // Waits for data without a buffer; the read below takes it.
                await _transport.ReadAsync(Memory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            }
        }
        else if (_end == _buffer!.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        _buffer ??= ArrayPool<byte>.Shared.Rent(_bufferSize);
        RunDeferred();
        int read = await _transport.ReadAsync(_buffer.AsMemory(_end, Math.Min(most, _buffer.Length - _end)), cancellationToken).ConfigureAwait(false);
        _end += read;
        return read > 0;
    }
}
