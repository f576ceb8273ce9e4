using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ArrowCid.Http2;

/// <summary>
/// Writes frames to a connection's transport, one writer at a time so frames never interleave. A
/// large DATA payload is written from where it lies (for a mapped block: straight from the mapping
/// into the socket), a small frame is assembled into one write.
/// </summary>
internal sealed class Http2FrameWriter : IAsyncDisposable
{
    /// <summary>DATA payloads up to this size are copied next to their header so the frame is one write.</summary>
    private const int CoalesceLimit = 16 * 1024;

    /// <summary>The most DATA frames <see cref="WriteDataRunAsync"/> sends in one system call.</summary>
    internal const int MaxRunFrames = 32;

    private readonly Stream _transport;
    private readonly Socket? _socket;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly byte[] _scratch = new byte[Http2FrameHeader.Size + CoalesceLimit];

    // The two pieces of a gathered write (frame header and head, then the payload), reused under the lock.
    private readonly ArraySegment<byte>[] _gather = new ArraySegment<byte>[2];

    // A run of DATA frames (WriteDataRunAsync): each frame's front (header, and the head for the
    // first) in one buffer. And where every piece of a gathered send lies (SendPiecesLockedAsync),
    // reused under the lock.
    private readonly byte[] _runFronts = new byte[(MaxRunFrames * Http2FrameHeader.Size) + CoalesceLimit];
    private readonly GatheredSend.Piece[] _pieces = new GatheredSend.Piece[2 * MaxRunFrames];
    private readonly CancellationToken _connectionAborted;
    private Exception? _failure;

    /// <param name="transport">Where frames go.</param>
    /// <param name="connectionAborted">
    /// Ends a transport write in progress. A caller's token only stops the wait for the writer: a
    /// frame half written would leave the connection's framing broken.
    /// </param>
    public Http2FrameWriter(Stream transport, CancellationToken connectionAborted)
    {
        _transport = transport;
        _socket = (transport as NetworkStream)?.Socket ?? (transport as Client.FirstBytesCheck)?.Socket;
        _connectionAborted = connectionAborted;
    }

    /// <summary>Writes a frame whose payload is small (control frames, small DATA).</summary>
    public async ValueTask WriteFrameAsync(Http2FrameType type, Http2FrameFlags flags, int streamId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteLockedAsync(new Http2FrameHeader(payload.Length, type, flags, streamId), payload).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Writes a header block as HEADERS plus as many CONTINUATION frames as <paramref name="maxFrameSize"/> needs, with nothing in between.</summary>
    public async ValueTask WriteHeadersAsync(int streamId, ReadOnlyMemory<byte> block, bool endStream, int maxFrameSize, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteHeadersLockedAsync(streamId, block, endStream, maxFrameSize).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Writes, on one stream and with nothing in between, a header block (a response's headers; may be
    /// empty), one DATA frame and a trailer block (may be empty): a response's headers and first
    /// message, or its last message and trailers. When the blocks fit one frame each and the payload
    /// is small (copied anyway) they go in one transport write, not one each. With trailers,
    /// <paramref name="endStream"/> goes on the trailers, else on the DATA.
    /// </summary>
    public async ValueTask WriteHeadersAndDataAsync(
        int streamId, ReadOnlyMemory<byte> headers, int maxFrameSize, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> rest, bool endStream,
        ReadOnlyMemory<byte> trailers = default, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool dataEnds = endStream && trailers.IsEmpty;
            var data = new Http2FrameHeader(head.Length + rest.Length, Http2FrameType.Data, dataEnds ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId);
            int total = FrameLength(headers) + Http2FrameHeader.Size + data.Length + FrameLength(trailers);
            if (headers.Length <= maxFrameSize && trailers.Length <= maxFrameSize && total <= _scratch.Length)
            {
                int at = 0;
                if (!headers.IsEmpty)
                {
                    at = WriteFrame(new Http2FrameHeader(headers.Length, Http2FrameType.Headers, Http2FrameFlags.EndHeaders, streamId), headers.Span, default, at);
                }

                at = WriteFrame(data, head.Span, rest.Span, at);
                if (!trailers.IsEmpty)
                {
                    Http2FrameFlags flags = Http2FrameFlags.EndHeaders | (endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None);
                    at = WriteFrame(new Http2FrameHeader(trailers.Length, Http2FrameType.Headers, flags, streamId), trailers.Span, default, at);
                }

                await _transport.WriteAsync(_scratch.AsMemory(0, at), _connectionAborted).ConfigureAwait(false);
                await _transport.FlushAsync(_connectionAborted).ConfigureAwait(false);
            }
            else
            {
                if (!headers.IsEmpty)
                {
                    await WriteHeadersLockedAsync(streamId, headers, endStream: false, maxFrameSize).ConfigureAwait(false);
                }

                await WriteLockedAsync(data, head, rest).ConfigureAwait(false);
                if (!trailers.IsEmpty)
                {
                    await WriteHeadersLockedAsync(streamId, trailers, endStream, maxFrameSize).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }

        static int FrameLength(ReadOnlyMemory<byte> block) => block.IsEmpty ? 0 : Http2FrameHeader.Size + block.Length;
    }

    /// <summary>Writes one DATA frame; <paramref name="payload"/> fits the peer's frame size and flow-control windows (the caller acquired them).</summary>
    public ValueTask WriteDataAsync(int streamId, ReadOnlyMemory<byte> payload, bool endStream, CancellationToken cancellationToken = default) =>
        WriteFrameAsync(Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId, payload, cancellationToken);

    /// <summary>
    /// Writes one DATA frame whose payload is <paramref name="head"/> then <paramref name="rest"/>
    /// (together within the peer's frame size and windows): a small head goes in one write with the
    /// frame header, the rest from where it lies.
    /// </summary>
    public async ValueTask WriteDataAsync(int streamId, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> rest, bool endStream, CancellationToken cancellationToken = default)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var header = new Http2FrameHeader(head.Length + rest.Length, Http2FrameType.Data, endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None, streamId);
            await WriteLockedAsync(header, head, rest).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Writes <paramref name="head"/> then <paramref name="rest"/> (within both flow-control windows:
    /// the caller acquired them) as DATA frames of at most <paramref name="maxFrameSize"/>, all of
    /// them in one <c>sendmsg(2)</c> where the transport is a Linux socket, each payload from where
    /// it lies. A peer that keeps the default 16 KiB frame size (gRPC's C core, Go, Java and .NET
    /// clients do) otherwise costs a system call, a copy and a turn of the writer's lock for every
    /// 16 KiB sent. Only the last frame carries END_STREAM, when <paramref name="endStream"/> is set.
    /// </summary>
    public async ValueTask WriteDataRunAsync(int streamId, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> rest, int maxFrameSize, bool endStream, CancellationToken cancellationToken = default)
    {
        int total = head.Length + rest.Length;
        int frames = Math.Max(1, (total + maxFrameSize - 1) / maxFrameSize);
        if (frames == 1 || frames > MaxRunFrames || head.Length > Math.Min(CoalesceLimit, maxFrameSize))
        {
            await WriteDataFramesAsync(streamId, head, rest, maxFrameSize, endStream, cancellationToken).ConfigureAwait(false);
            return;
        }

        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int pieces = 0;
            int front = 0;
            int from = 0;
            for (int frame = 0; frame < frames; frame++)
            {
                int inHead = frame == 0 ? head.Length : 0;
                int length = Math.Min(maxFrameSize, total - (frame * maxFrameSize));
                var flags = endStream && frame == frames - 1 ? Http2FrameFlags.EndStream : Http2FrameFlags.None;
                new Http2FrameHeader(length, Http2FrameType.Data, flags, streamId).Write(_runFronts.AsSpan(front));
                head.Span[..inHead].CopyTo(_runFronts.AsSpan(front + Http2FrameHeader.Size));
                _pieces[pieces++] = new GatheredSend.Piece(InFront: true, front, Http2FrameHeader.Size + inHead);
                front += Http2FrameHeader.Size + inHead;
                if (length > inHead)
                {
                    _pieces[pieces++] = new GatheredSend.Piece(InFront: false, from, length - inHead);
                    from += length - inHead;
                }
            }

            await SendPiecesLockedAsync(_runFronts, rest, pieces).ConfigureAwait(false);
            await _transport.FlushAsync(_connectionAborted).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    // The frames of a run one write at a time (a run too long for one call, a large head).
    private async ValueTask WriteDataFramesAsync(int streamId, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> rest, int maxFrameSize, bool endStream, CancellationToken cancellationToken)
    {
        do
        {
            int fromHead = Math.Min(head.Length, maxFrameSize);
            int fromRest = Math.Min(rest.Length, maxFrameSize - fromHead);
            bool last = fromHead == head.Length && fromRest == rest.Length;
            await WriteDataAsync(streamId, head[..fromHead], rest[..fromRest], endStream && last, cancellationToken).ConfigureAwait(false);
            head = head[fromHead..];
            rest = rest[fromRest..];
        }
        while (!head.IsEmpty || !rest.IsEmpty);
    }

    /// <summary>Writes a GOAWAY frame (last stream id, error code, optional debug text).</summary>
    public ValueTask WriteGoAwayAsync(int lastStreamId, Http2ErrorCode errorCode, string? debug, CancellationToken cancellationToken = default)
    {
        int debugLength = debug is null ? 0 : Math.Min(System.Text.Encoding.UTF8.GetByteCount(debug), 256);
        byte[] payload = new byte[8 + debugLength];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)lastStreamId);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(4), (uint)errorCode);
        if (debug is not null)
        {
            byte[] text = System.Text.Encoding.UTF8.GetBytes(debug);
            text.AsSpan(0, debugLength).CopyTo(payload.AsSpan(8));
        }

        return WriteFrameAsync(Http2FrameType.GoAway, Http2FrameFlags.None, 0, payload, cancellationToken);
    }

    /// <summary>Writes RST_STREAM.</summary>
    public ValueTask WriteResetAsync(int streamId, Http2ErrorCode errorCode)
    {
        byte[] payload = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)errorCode);
        return WriteFrameAsync(Http2FrameType.RstStream, Http2FrameFlags.None, streamId, payload);
    }

    /// <summary>Writes WINDOW_UPDATE for a stream (or the connection, id 0).</summary>
    public ValueTask WriteWindowUpdateAsync(int streamId, int increment)
    {
        byte[] payload = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)increment);
        return WriteFrameAsync(Http2FrameType.WindowUpdate, Http2FrameFlags.None, streamId, payload);
    }

    /// <summary>Writes WINDOW_UPDATE without making the caller (a reader giving octets back) wait for the writer; a failure means the connection is ending, which its read loop reports.</summary>
    public void WriteWindowUpdateInBackground(int streamId, int increment)
    {
        ValueTask write = WriteWindowUpdateAsync(streamId, increment);
        if (!write.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(write);
        }

        static async Task ObserveAsync(ValueTask write)
        {
            try
            {
                await write.ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The connection is ending; its read loop reports that.
            }
        }
    }

    /// <summary>Writes raw octets (the client preface) before any frame.</summary>
    public async ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _transport.WriteAsync(bytes, _connectionAborted).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw Fail(e);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Closes the writer with its connection: later writes fail at once with "the connection is closed".</summary>
    public ValueTask DisposeAsync()
    {
        _failure ??= new ObjectDisposedException(nameof(Http2FrameWriter), "the connection is closed");
        return ValueTask.CompletedTask;
    }

    private async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_failure is { } failure)
        {
            _lock.Release();
            throw new IOException("the HTTP/2 connection can no longer be written to", failure);
        }
    }

    /// <summary>
    /// Puts a frame header and <paramref name="head"/> then <paramref name="rest"/> (all or the front
    /// of its payload) into the scratch buffer at <paramref name="at"/>; returns where the next goes.
    /// </summary>
    private int WriteFrame(Http2FrameHeader header, ReadOnlySpan<byte> head, ReadOnlySpan<byte> rest, int at)
    {
        header.Write(_scratch.AsSpan(at));
        head.CopyTo(_scratch.AsSpan(at + Http2FrameHeader.Size));
        rest.CopyTo(_scratch.AsSpan(at + Http2FrameHeader.Size + head.Length));
        return at + Http2FrameHeader.Size + head.Length + rest.Length;
    }

    /// <summary>A header block as HEADERS plus as many CONTINUATION frames as <paramref name="maxFrameSize"/> needs.</summary>
    private async ValueTask WriteHeadersLockedAsync(int streamId, ReadOnlyMemory<byte> block, bool endStream, int maxFrameSize)
    {
        Http2FrameType type = Http2FrameType.Headers;
        Http2FrameFlags flags = endStream ? Http2FrameFlags.EndStream : Http2FrameFlags.None;
        do
        {
            int length = Math.Min(block.Length, maxFrameSize);
            Http2FrameFlags last = length == block.Length ? Http2FrameFlags.EndHeaders : Http2FrameFlags.None;
            await WriteLockedAsync(new Http2FrameHeader(length, type, flags | last, streamId), block[..length]).ConfigureAwait(false);
            block = block[length..];
            type = Http2FrameType.Continuation;
            flags = Http2FrameFlags.None;
        }
        while (!block.IsEmpty);
    }

    private ValueTask WriteLockedAsync(Http2FrameHeader header, ReadOnlyMemory<byte> payload) =>
        WriteLockedAsync(header, payload, ReadOnlyMemory<byte>.Empty);

    /// <summary>Writes a frame whose payload is <paramref name="head"/> then <paramref name="rest"/>: what is small is copied next to the frame header and goes in one write, the rest from where it lies.</summary>
    private async ValueTask WriteLockedAsync(Http2FrameHeader header, ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> rest)
    {
        if (head.Length + rest.Length <= CoalesceLimit)
        {
            int length = WriteFrame(header, head.Span, rest.Span, 0);
            await _transport.WriteAsync(_scratch.AsMemory(0, length), _connectionAborted).ConfigureAwait(false);
        }
        else if (head.Length <= CoalesceLimit)
        {
            int front = WriteFrame(header, head.Span, default, 0);
            if (_socket is not null && MemoryMarshal.TryGetArray(rest, out ArraySegment<byte> payload))
            {
                // One sendmsg for the whole frame: a separate write of the small front would go out as
                // a segment of its own (no Nagle here), and the peer would wake for it and again for
                // the payload.
                _gather[0] = new ArraySegment<byte>(_scratch, 0, front);
                _gather[1] = payload;
                try
                {
                    // This send takes no token: an aborted connection shuts the socket down, which ends it.
                    using CancellationTokenRegistration abort = _connectionAborted.UnsafeRegister(static s => ShutDown((Socket)s!), _socket);
                    await _socket.SendAsync(_gather, SocketFlags.None).ConfigureAwait(false);
                }
                finally
                {
                    _gather[1] = default;
                }
            }
            else
            {
                // A payload that is not an array (a mapped chunk): one non-blocking sendmsg of both
                // parts where the transport is a Linux socket, and the stream writes the rest.
                _pieces[0] = new GatheredSend.Piece(InFront: true, 0, front);
                _pieces[1] = new GatheredSend.Piece(InFront: false, 0, rest.Length);
                await SendPiecesLockedAsync(_scratch, rest, 2).ConfigureAwait(false);
            }
        }
        else
        {
            int front = WriteFrame(header, default, default, 0);
            await _transport.WriteAsync(_scratch.AsMemory(0, front), _connectionAborted).ConfigureAwait(false);
            await _transport.WriteAsync(head, _connectionAborted).ConfigureAwait(false);
            if (!rest.IsEmpty)
            {
                await _transport.WriteAsync(rest, _connectionAborted).ConfigureAwait(false);
            }
        }

        await _transport.FlushAsync(_connectionAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends the first <paramref name="count"/> of <see cref="_pieces"/> (ranges of
    /// <paramref name="fronts"/> or of <paramref name="payload"/>, in order): as much as the
    /// socket's buffer takes now in one gathered <c>sendmsg</c> (Linux sockets), then the rest
    /// through the stream, from the piece and byte where that send stopped.
    /// </summary>
    private async ValueTask SendPiecesLockedAsync(byte[] fronts, ReadOnlyMemory<byte> payload, int count)
    {
        long sent = _socket is not null ? GatheredSend.TrySend(_socket, fronts, payload, _pieces.AsSpan(0, count)) : 0;
        for (int i = 0; i < count; i++)
        {
            var piece = _pieces[i];
            long skip = Math.Min(sent, piece.Length);
            sent -= skip;
            if (skip < piece.Length)
            {
                var bytes = piece.InFront ? fronts.AsMemory(piece.Offset, piece.Length) : payload.Slice(piece.Offset, piece.Length);
                await _transport.WriteAsync(bytes[(int)skip..], _connectionAborted).ConfigureAwait(false);
            }
        }
    }

    private static void ShutDown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or reset: the send has ended too.
        }
    }

    /// <summary>A write that failed part way leaves the framing broken: every later write fails too.</summary>
    private Exception Fail(Exception e)
    {
        _failure ??= e;
        return e as IOException ?? new IOException("writing to the HTTP/2 connection failed", e);
    }
}
