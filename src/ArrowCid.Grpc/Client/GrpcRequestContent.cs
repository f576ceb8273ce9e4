using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;
using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>
/// The request body of a client call: messages written by the caller are framed and streamed to the
/// server as they come, so the body can outlive the response headers (client streaming, duplex).
/// </summary>
internal sealed class GrpcRequestContent<T> : HttpContent, IClientStreamWriter<T>, Http2.Client.IReplayableHttpContent, Http2.Client.IWholeHttpContent
    where T : class, IMessage<T>
{
    /// <summary>Messages sent are kept while they total at most this, so a refused request can be sent again.</summary>
    private const int ReplayLimit = GrpcChannel.WholeRequestLimit;

    /// <summary>Queued small messages are gathered into one DATA frame while it holds less than this.</summary>
    private const int CoalesceLimit = 16 * 1024;

    private readonly List<T> _sent = [];
    private int _sentBytes;
    private bool _tooLargeToReplay;
    private bool _replay;
    private volatile bool _completedByCaller;

    // Capacity 1: a writer waits until the previous message has been taken for the wire. Not single
    // reader: an aborted call drains what is left while the sending loop may still be reading.
    // Buffered: the caller writes more (or ends the stream) at once, so the message need not be flushed.
    private readonly Channel<(T Message, IDisposable? Release, bool Buffered)> _messages = Channel.CreateBounded<(T, IDisposable?, bool)>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.Wait });

    private readonly int _maxMessageLength;
    private readonly IGrpcMessageCodec<T>? _codec;
    private readonly Func<Exception> _closedError;

    public GrpcRequestContent(int maxMessageLength, IGrpcMessageCodec<T>? codec, Func<Exception> closedError)
    {
        _codec = codec;
        _maxMessageLength = maxMessageLength;
        _closedError = closedError;
        Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(GrpcProtocol.ContentType);
    }

    public Task WriteAsync(T message, CancellationToken cancellationToken = default) => EnqueueAsync(message, null, buffered: false, cancellationToken);

    public Task WriteAsync(T message, IDisposable release, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(release);
        return EnqueueAsync(message, release, buffered: false, cancellationToken);
    }

    public Task WriteBufferedAsync(T message, CancellationToken cancellationToken = default) => EnqueueAsync(message, null, buffered: true, cancellationToken);

    private async Task EnqueueAsync(T message, IDisposable? release, bool buffered, CancellationToken cancellationToken)
    {
        bool queued = false;
        try
        {
            CheckedLength(message);
            await _messages.Writer.WriteAsync((message, release, buffered), cancellationToken).ConfigureAwait(false);
            queued = true;
        }
        catch (ChannelClosedException)
        {
            throw _closedError();
        }
        finally
        {
            if (!queued)
            {
                release?.Dispose();
            }
        }
    }

    /// <summary>The encoded length of <paramref name="message"/>.</summary>
    /// <exception cref="RpcException">It is larger than the limit.</exception>
    private int CheckedLength(T message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int length = message.CalculateSize();
        if (length > _maxMessageLength)
        {
            throw new RpcException(
                StatusCode.ResourceExhausted,
                $"cannot send a {message.Descriptor.Name} message of {length} bytes: larger than the limit of {_maxMessageLength} bytes");
        }

        return length;
    }

    /// <summary>
    /// Makes <paramref name="messages"/> the whole request stream, before the request is sent: they
    /// are kept as a replayable request is (and may go with the headers), and the stream is complete.
    /// False, changing nothing, when together they are too large to keep.
    /// </summary>
    /// <exception cref="RpcException">A message is larger than the limit.</exception>
    public bool TrySetWhole(IReadOnlyList<T> messages)
    {
        long total = 0;
        foreach (T message in messages)
        {
            total += CheckedLength(message);
        }

        if (total > ReplayLimit || _sent.Count > 0 || _tooLargeToReplay)
        {
            return false;
        }

        foreach (T message in messages)
        {
            Keep(message, lent: false);
        }

        _replay = true;
        _completedByCaller = true;
        _messages.Writer.TryComplete();
        return true;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Known whole when the stream is complete and every message is kept (nothing left in the
    /// channel): on a first attempt after <see cref="TrySetWhole"/>, or a new one after <see cref="Rewind"/>.
    /// </remarks>
    public bool TryGetWhole(int maxLength, out ReadOnlyMemory<byte> whole)
    {
        whole = default;
        if (!_replay || !IsReplayable || !_messages.Reader.Completion.IsCompletedSuccessfully)
        {
            return false;
        }

        long total = 0;
        foreach (T message in _sent)
        {
            total += GrpcFrame.PrefixLength + message.CalculateSize();
        }

        if (total > maxLength)
        {
            return false;
        }

        // Sized once: the messages are copied into it and nowhere else.
        var buffer = new ArrayBufferWriter<byte>((int)Math.Max(total, 1));
        foreach (T message in _sent)
        {
            if (!GrpcMessageWriter.TryWriteUnsplit(buffer, message, _codec, _maxMessageLength))
            {
                return false;
            }
        }

        whole = buffer.WrittenMemory;
        return true;
    }

    public Task CompleteAsync()
    {
        _completedByCaller = _messages.Writer.TryComplete() || _completedByCaller;
        return Task.CompletedTask;
    }

    /// <summary>Closes the request stream because the call ended; later writes fail, and messages never taken for the wire give back their memory.</summary>
    public void Abort()
    {
        // A stream the caller completed and the sender drained (every finished call) is closed already: no error to build.
        if (!_messages.Reader.Completion.IsCompleted)
        {
            _messages.Writer.TryComplete(new OperationCanceledException("the call has ended"));
        }

        DrainUnsent();
    }

    /// <inheritdoc />
    /// <remarks>
    /// The caller has closed the request stream, so every message is either kept or still in the
    /// channel; a new attempt sends the kept ones, then whatever the channel still holds.
    /// </remarks>
    public bool IsReplayable => _completedByCaller && !_tooLargeToReplay;

    /// <inheritdoc />
    public void Rewind() => _replay = true;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        // SocketsHttpHandler sends the HEADERS frame lazily, with the first body bytes. A streaming call
        // whose first message comes later (or a server that answers before reading) would then wait
        // forever. When a message is queued already, the headers go with it (one socket write less).
        if (!_messages.Reader.TryPeek(out _) || stream is not Http2.Http2BodyWriteStream)
        {
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        // Our HTTP/2 body is a pipe writer already: messages are assembled in its buffer and large
        // bodies sent from where they lie. Any other stream gets a pipe over it (which copies).
        PipeWriter writer = stream is Http2.Http2BodyWriteStream http2 ? http2.Writer : PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        try
        {
            if (_replay)
            {
                // The server refused the earlier attempt unprocessed: the same messages again.
                _replay = false;
                foreach (T message in _sent)
                {
                    await GrpcMessageWriter.WriteStreamingAsync(writer, message, _codec, _maxMessageLength, static () => { }, cancellationToken).ConfigureAwait(false);
                }
            }

            ChannelReader<(T Message, IDisposable? Release, bool Buffered)> messages = _messages.Reader;
            while (await messages.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (messages.TryRead(out (T Message, IDisposable? Release, bool Buffered) next))
                {
                    Keep(next.Message, lent: next.Release is not null);
                    // A large field the codec splits off (a FlightData body) goes out in flushed pieces
                    // from where it lies, not serialised whole into the pipe first; a small message is
                    // copied into the pipe, where the next one may join it.
                    // (A message with lent memory is written and flushed before the memory goes back.)
                    bool buffered = next.Release is null && GrpcMessageWriter.TryWriteUnsplit(writer, next.Message, _codec, _maxMessageLength);
                    if (!buffered)
                    {
                        await GrpcMessageWriter.WriteStreamingAsync(writer, next.Message, _codec, _maxMessageLength, static () => { }, cancellationToken).ConfigureAwait(false);

                        // Written and never to be sent again: the lent memory goes back.
                        next.Release?.Dispose();
                    }
                    else if (!((next.Buffered || messages.TryPeek(out _)) && writer.UnflushedBytes < CoalesceLimit) && !messages.Completion.IsCompleted)
                    {
                        // Small messages already queued (or to follow at once, by the caller's word) go
                        // in the same DATA frame; the last one, once the caller has ended the stream,
                        // goes with END_STREAM (the handler sends what is left buffered); otherwise it
                        // goes now, as the caller may wait for an answer.
                        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (Exception e)
        {
            _messages.Writer.TryComplete(e);
            DrainUnsent();
            throw;
        }
        finally
        {
            // Ours is the handler's to end: it sends what is still buffered with END_STREAM once this returns.
            if (stream is not Http2.Http2BodyWriteStream)
            {
                await writer.CompleteAsync().ConfigureAwait(false);
            }
        }
    }

    private void Keep(T message, bool lent)
    {
        if (lent)
        {
            // Its memory goes back once written: the request cannot be sent a second time.
            _tooLargeToReplay = true;
            _sent.Clear();
        }

        if (_tooLargeToReplay)
        {
            return;
        }

        _sentBytes += message.CalculateSize();
        if (_sentBytes > ReplayLimit)
        {
            _tooLargeToReplay = true;
            _sent.Clear();
            return;
        }

        _sent.Add(message);
    }

    /// <summary>Gives back the memory of messages still queued (they were never handed to the transport).</summary>
    private void DrainUnsent()
    {
        while (_messages.Reader.TryRead(out (T Message, IDisposable? Release, bool Buffered) unsent))
        {
            unsent.Release?.Dispose();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Abort();
        }

        base.Dispose(disposing);
    }
}
