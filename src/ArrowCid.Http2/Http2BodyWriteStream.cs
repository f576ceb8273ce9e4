using System.IO.Pipelines;

namespace ArrowCid.Http2;

/// <summary>
/// A write-only <see cref="Stream"/> over an <see cref="Http2BodyWriter"/>, for
/// <see cref="HttpContent"/> that writes to a stream: small writes collect until a flush (one DATA
/// frame per message, not per write), a large write is sent from where it lies. Content that knows
/// this type writes to <see cref="Writer"/> directly.
/// </summary>
public sealed class Http2BodyWriteStream : Stream
{
    private readonly Http2BodyWriter _writer;

    internal Http2BodyWriteStream(Http2BodyWriter writer) => _writer = writer;

    /// <summary>The body as a pipe writer (what the gRPC request content writes to).</summary>
    public PipeWriter Writer => _writer;

    /// <inheritdoc />
    public override bool CanRead => false;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => true;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException("an HTTP/2 body has no length");

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException("an HTTP/2 body cannot seek");
        set => throw new NotSupportedException("an HTTP/2 body cannot seek");
    }

    /// <inheritdoc />
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length <= Http2BodyWriter.CopyLimit)
        {
            _writer.Append(buffer.Span);
            return;
        }

        FlushResult sent = await _writer.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        ThrowIfStopped(sent);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override async Task FlushAsync(CancellationToken cancellationToken) =>
        ThrowIfStopped(await _writer.FlushAsync(cancellationToken).ConfigureAwait(false));

    /// <inheritdoc />
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("an HTTP/2 request body is write-only");

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    private static void ThrowIfStopped(FlushResult sent)
    {
        if (sent.IsCanceled || sent.IsCompleted)
        {
            throw new OperationCanceledException("the HTTP/2 body was cancelled or its stream ended");
        }
    }
}
