using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Grpc;

/// <summary>Writes response messages of a call to Kestrel's response body pipe: one flush per message, or per 1 MiB piece of a large field its codec splits off.</summary>
internal sealed class HttpResponseStreamWriter<T> : IServerStreamWriter<T>
    where T : class, IMessage<T>
{
    private readonly HttpResponse _response;
    private readonly HttpServerCallContext _context;
    private readonly int _maxMessageLength;
    private readonly IGrpcMessageCodec<T>? _codec;
    private int _writing;

    public HttpResponseStreamWriter(HttpResponse response, HttpServerCallContext context, int maxMessageLength, IGrpcMessageCodec<T>? codec)
    {
        _codec = codec;
        _response = response;
        _context = context;
        _maxMessageLength = maxMessageLength;
    }

    public Task WriteAsync(T message, CancellationToken cancellationToken = default) => WriteAsync(message, buffered: false, cancellationToken);

    /// <inheritdoc />
    public Task WriteBufferedAsync(T message, CancellationToken cancellationToken = default) => WriteAsync(message, buffered: true, cancellationToken);

    private async Task WriteAsync(T message, bool buffered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_context.Completed)
        {
            throw new InvalidOperationException("the call has completed; its response stream is closed");
        }

        _context.CancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _writing, 1) == 1)
        {
            throw new InvalidOperationException("a write is already in progress; await each WriteAsync before starting the next");
        }

        try
        {
            // Counted as sent once handed over (a write cut off midway counts whole: it is rare).
            _context.BytesSent += GrpcFrame.PrefixLength + message.CalculateSize();
            if (buffered && GrpcMessageWriter.TryWriteUnsplit(_response.BodyWriter, message, _codec, _maxMessageLength))
            {
                _context.ResponseStarted = true;
                return;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(_context.CancellationToken, cancellationToken);
            await GrpcMessageWriter.WriteStreamingAsync(_response.BodyWriter, message, _codec, _maxMessageLength, () => _context.ResponseStarted = true, linked.Token)
                .ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _writing, 0);
        }
    }
}
