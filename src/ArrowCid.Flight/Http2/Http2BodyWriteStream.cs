using System.Buffers;

namespace ArrowCid.Flight.Http2;

/// <summary>
/// A write-only <see cref="Stream"/> that sends DATA on a stream: small writes collect in a pooled
/// buffer until a flush (one frame per message, not per write); a large write is sent from where it lies.
/// </summary>
internal sealed class Http2BodyWriteStream : Stream
{
    private const int BufferSize = 16 * 1024;

    private readonly Http2Stream _stream;
    private byte[]? _buffer;
    private int _buffered;

    public Http2BodyWriteStream(Http2Stream stream) => _stream = stream;

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
        if (_buffered + buffer.Length <= BufferSize)
        {
            _buffer ??= ArrayPool<byte>.Shared.Rent(BufferSize);
            buffer.Span.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += buffer.Length;
            return;
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (buffer.Length < BufferSize)
        {
            await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _stream.WriteDataAsync(buffer, endStream: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) =>
        WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_buffered == 0)
        {
            return;
        }

        await _stream.WriteDataAsync(_buffer.AsMemory(0, _buffered), endStream: false, cancellationToken).ConfigureAwait(false);
        _buffered = 0;
    }

    /// <inheritdoc />
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("an HTTP/2 request body is write-only");

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        Release();
        return base.DisposeAsync();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Release();
        base.Dispose(disposing);
    }

    private void Release()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }

        _buffered = 0;
    }
}
