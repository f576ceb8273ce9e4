using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>
/// Reads length-prefixed protobuf messages from a byte stream (a request body on the server, a
/// response body on the client). Every malformation becomes an <see cref="RpcException"/>: a prefix
/// problem as the frame decoder says, a truncated stream or an unparseable message as
/// <see cref="StatusCode.Internal"/>. Once it has failed it keeps failing with the same exception.
/// </summary>
/// <remarks>
/// Small messages go through a pooled staging buffer and are parsed from it. A message larger than
/// <see cref="LargeMessageThreshold"/> is read straight from the stream into one array from
/// <see cref="GrpcBufferPool"/>
/// (the stream copies into it; nothing is staged), and parsed by the method's
/// <see cref="IGrpcMessageCodec{T}"/> where it has one, which may leave a large bytes field in place
/// as a slice of that array (Flight's <c>data_body</c>), so a 64 MiB batch costs one copy on this
/// side instead of a pipe copy and a parse copy. From our own HTTP/2 body it does better still:
/// it reads no further ahead than a message's prefix, so a message that came in one DATA frame is
/// parsed in the pooled array the frame was received into, copied by nobody but the kernel. The
/// array belongs to the message from then on, so
/// a caller may keep a message as long as it likes; a caller done with it says so
/// (<see cref="ReleaseCurrent"/>) and the array goes back to the pool. That matters for large
/// messages: a fresh array is fresh memory, which the kernel must fault in page by page (on a
/// virtual machine some 16,000 faults and hundreds of milliseconds of CPU per 64 MiB), and the
/// garbage collector gives the memory of large arrays back to the system rather than reusing it.
/// </remarks>
internal sealed class GrpcMessageReader<T> : IAsyncStreamReader<T>, IRequestByteCount
    where T : class, IMessage<T>
{
    /// <summary>Messages longer than this are read into an array of their own rather than through the staging buffer.</summary>
    internal const int LargeMessageThreshold = 64 * 1024;

    // Room for a whole small message and its prefix, so a small message never needs a second buffer.
    private const int StagingSize = LargeMessageThreshold + GrpcFrame.PrefixLength;

    private readonly Stream _stream;
    private readonly MessageParser<T> _parser;
    private readonly IGrpcMessageCodec<T>? _codec;
    private readonly int _maxMessageLength;
    private readonly CancellationToken _callToken;
    private readonly GrpcReceiveBudget? _budget;
    private readonly string? _connection;
    private byte[]? _staging;
    private int _start;
    private int _end;
    private T? _current;
    private byte[]? _currentArray;
    private IMemoryOwner<byte>? _currentPayload;
    private bool _released;
    private RpcException? _failure;
    private bool _ended;

    /// <summary>Reads from a stream; <paramref name="codec"/> (the method's, or null) parses large messages in place; <paramref name="budget"/> (a server's, or null) bounds the large messages in reception at once, in all and on <paramref name="connection"/> (the call's connection id).</summary>
    public GrpcMessageReader(Stream stream, MessageParser<T> parser, int maxMessageLength, CancellationToken callToken, IGrpcMessageCodec<T>? codec = null, GrpcReceiveBudget? budget = null, string? connection = null)
    {
        _budget = budget;
        _connection = connection;
        _stream = stream;
        _parser = parser;
        _codec = codec;
        _maxMessageLength = maxMessageLength;
        _callToken = callToken;
    }

    /// <summary>Reads from a pipe (through its stream view, which copies out of the pipe's segments once).</summary>
    public GrpcMessageReader(PipeReader reader, MessageParser<T> parser, int maxMessageLength, CancellationToken callToken, IGrpcMessageCodec<T>? codec = null)
        : this(reader.AsStream(), parser, maxMessageLength, callToken, codec)
    {
    }

    /// <summary>Message bytes read so far, length prefixes included.</summary>
    public long BytesRead { get; private set; }

    public T Current => _current ?? throw new InvalidOperationException(_released ? "the current message was released" : "MoveNext has not returned true yet.");

    /// <summary>Whether the stream has ended cleanly.</summary>
    public bool HasEnded => _ended;

    /// <inheritdoc />
    public bool IsReceivedWhole => _ended || _failure is not null || _stream is Http2.Http2BodyReadStream { IsReceivedWhole: true };

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_ended)
        {
            return false;
        }

        // Not released: the array stays with the message, which the caller may still hold.
        _currentArray = null;
        _currentPayload = null;

        // Link only when two different tokens can fire (a handler passing its call's own token is the
        // common case), so reading a message allocates no CancellationTokenSource.
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled && _callToken.CanBeCanceled && cancellationToken != _callToken
            ? CancellationTokenSource.CreateLinkedTokenSource(_callToken, cancellationToken)
            : null;
        CancellationToken token = linked?.Token ?? (cancellationToken.CanBeCanceled ? cancellationToken : _callToken);
        try
        {
            _staging ??= ArrayPool<byte>.Shared.Rent(StagingSize);
            if (_stream is Http2.Http2BodyReadStream http2Body)
            {
                return await MoveNextHttp2Async(http2Body, token).ConfigureAwait(false);
            }

            if (!await FillAsync(GrpcFrame.PrefixLength, token).ConfigureAwait(false))
            {
                if (_end > _start)
                {
                    throw Truncated(_end - _start);
                }

                _ended = true;
                ReleaseStaging();
                return false;
            }

            int length = GrpcFrame.ReadPrefix(_staging.AsSpan(_start, GrpcFrame.PrefixLength), _maxMessageLength);
            BytesRead += GrpcFrame.PrefixLength + length;
            _start += GrpcFrame.PrefixLength;
            if (length > LargeMessageThreshold)
            {
                (_current, _currentArray) = await ReadLargeAsync(length, token).ConfigureAwait(false);
                _released = false;
                return true;
            }

            if (!await FillAsync(length, token).ConfigureAwait(false))
            {
                throw Truncated(GrpcFrame.PrefixLength + _end - _start);
            }

            T message = Parse(_staging.AsSpan(_start, length));
            _start += length;
            _current = message;
            _released = false;
            return true;
        }
        catch (RpcException e)
        {
            _failure = e;
            ReleaseStaging();
            throw;
        }
    }

    /// <summary>
    /// Reads the next message from our HTTP/2 body without reading ahead: it waits for a DATA
    /// payload to arrive whole, takes the 5-byte prefix, and when the payload holds the whole
    /// message (one DATA frame per message, as our server and most peers send it) the message is
    /// parsed in the payload's own pooled array, with no copy after the kernel's. A message split
    /// over frames is read as from any stream, each frame landing in place.
    /// </summary>
    private async Task<bool> MoveNextHttp2Async(Http2.Http2BodyReadStream body, CancellationToken token)
    {
        byte[] staging = _staging!;
        await body.WaitForDataAsync(token).ConfigureAwait(false);
        int prefixRead = await body.ReadAtLeastAsync(staging.AsMemory(0, GrpcFrame.PrefixLength), GrpcFrame.PrefixLength, token).ConfigureAwait(false);
        if (prefixRead == 0)
        {
            _ended = true;
            ReleaseStaging();
            return false;
        }

        if (prefixRead < GrpcFrame.PrefixLength)
        {
            throw Truncated(prefixRead);
        }

        int length = GrpcFrame.ReadPrefix(staging.AsSpan(0, GrpcFrame.PrefixLength), _maxMessageLength);
        BytesRead += GrpcFrame.PrefixLength + length;
        if (length > LargeMessageThreshold)
        {
            if (body.TryTakeBuffered(length) is { } payload)
            {
                _current = ParseOwned(payload);
                _currentPayload = payload;
            }
            else
            {
                (_current, _currentArray) = await ReadLargeAsync(length, token).ConfigureAwait(false);
            }

            _released = false;
            return true;
        }

        int read = length == 0 ? 0 : await body.ReadAtLeastAsync(staging.AsMemory(0, length), length, token).ConfigureAwait(false);
        if (read < length)
        {
            throw Truncated(GrpcFrame.PrefixLength + read);
        }

        _current = Parse(staging.AsSpan(0, length));
        _released = false;
        return true;
    }

    /// <summary>Parses a large message in memory it now owns; on failure the memory goes back at once (no message refers to it).</summary>
    private T ParseOwned(IMemoryOwner<byte> payload)
    {
        try
        {
            return _codec is { } codec ? codec.ParseOwned(payload.Memory) : _parser.ParseFrom(payload.Memory.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            payload.Dispose();
            throw new RpcException(StatusCode.Internal, $"cannot parse a {typeof(T).Name} message: {e.Message}");
        }
    }

    /// <summary>Makes at least <paramref name="count"/> bytes available at <see cref="_start"/>; false when the stream ends first.</summary>
    private async ValueTask<bool> FillAsync(int count, CancellationToken cancellationToken)
    {
        byte[] staging = _staging!;
        if (_end - _start >= count)
        {
            return true;
        }

        if (staging.Length - _start < count)
        {
            // Not enough room after the unread bytes: move them to the front (at most one small message's worth).
            Buffer.BlockCopy(staging, _start, staging, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < count)
        {
            int read = await _stream.ReadAsync(staging.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>
    /// The caller is done with <see cref="Current"/> (see <see cref="IAsyncStreamReader{T}.ReleaseCurrent"/>):
    /// the array a large message was read into goes back to the pool.
    /// </summary>
    public void ReleaseCurrent()
    {
        _current = null;
        _released = true;
        if (_currentArray is { } array)
        {
            _currentArray = null;
            GrpcBufferPool.Large.Return(array);
        }

        if (_currentPayload is { } payload)
        {
            _currentPayload = null;
            payload.Dispose();
        }
    }

    /// <summary>Reads a large message into a pooled array: what is staged first, then straight from the stream. Returns the message and the array it lies in.</summary>
    private async ValueTask<(T Message, byte[] Array)> ReadLargeAsync(int length, CancellationToken cancellationToken)
    {
        if (_budget is null)
        {
            return await ReceiveLargeAsync(length, cancellationToken).ConfigureAwait(false);
        }

        // Room first, then the array: a declared length takes memory only as the budget allows.
        if (_budget.TryAcquire(length, _connection) is { } full)
        {
            throw new RpcException(StatusCode.ResourceExhausted, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{full}; send this {length}-byte message again later"));
        }

        try
        {
            return await ReceiveLargeAsync(length, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _budget.Release(length, _connection);
        }
    }

    private async ValueTask<(T Message, byte[] Array)> ReceiveLargeAsync(int length, CancellationToken cancellationToken)
    {
        // Not cleared: every byte the message uses is overwritten by the stream before anyone reads it.
        byte[] array = GrpcBufferPool.Large.Rent(length);
        Memory<byte> payload = array.AsMemory(0, length);
        try
        {
            int filled = Math.Min(length, _end - _start);
            _staging!.AsSpan(_start, filled).CopyTo(payload.Span);
            _start += filled;
            while (filled < length)
            {
                // Our HTTP/2 body keeps one read pending for the whole rest of the message, so each DATA frame lands in place.
                int read = _stream is Http2.Http2BodyReadStream http2
                    ? await http2.ReadAtLeastAsync(payload[filled..], length - filled, cancellationToken).ConfigureAwait(false)
                    : await _stream.ReadAsync(payload[filled..], cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw Truncated(GrpcFrame.PrefixLength + filled);
                }

                filled += read;
            }

            T message = _codec is { } codec ? codec.ParseOwned(payload) : _parser.ParseFrom(payload.Span);
            return (message, array);
        }
        catch (InvalidProtocolBufferException e)
        {
            // Nothing refers to the array: no message came of it. (After a failed or cancelled read
            // the array is left to the garbage collector instead: the transport may still be writing
            // into it.)
            GrpcBufferPool.Large.Return(array);
            throw new RpcException(StatusCode.Internal, $"cannot parse a {typeof(T).Name} message: {e.Message}");
        }
    }

    private T Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            return _parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new RpcException(StatusCode.Internal, $"cannot parse a {typeof(T).Name} message: {e.Message}");
        }
    }

    /// <summary>Returns the staging buffer once no read can be using it any more (the stream ended or failed inside MoveNext).</summary>
    private void ReleaseStaging()
    {
        if (_staging is { } staging)
        {
            _staging = null;
            _start = _end = 0;
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    private static RpcException Truncated(long bytesLeft) =>
        new(StatusCode.Internal, $"the stream ended inside a message ({bytesLeft} bytes of an incomplete message left)");
}

/// <summary>What a message reader has read, whatever its message type (for a call's metrics).</summary>
internal interface IRequestByteCount
{
    /// <summary>Message bytes read so far, length prefixes included.</summary>
    long BytesRead { get; }
}
