using System.Buffers;

namespace ArrowCid.Http2;

/// <summary>
/// A read-only <see cref="Stream"/> over a stream's received DATA: a server's request body or a
/// client's response body. <see cref="ReadAtLeastAsync(Memory{byte}, int, CancellationToken)"/>
/// keeps one read pending until the minimum has arrived, so a large gRPC message is received in
/// place.
/// </summary>
public sealed class Http2BodyReadStream : Stream
{
    private readonly Http2InboundBody _body;
    private readonly Action? _disposed;
    private int _disposedOnce;

    /// <param name="body">The received DATA.</param>
    /// <param name="disposed">Run once on dispose (a client resets a response it stops reading).</param>
    internal Http2BodyReadStream(Http2InboundBody body, Action? disposed = null)
    {
        _body = body;
        _disposed = disposed;
    }

    /// <inheritdoc />
    public override bool CanRead => true;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => false;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException("an HTTP/2 body has no length");

    /// <inheritdoc />
    public override long Position
    {
        get => throw new NotSupportedException("an HTTP/2 body cannot seek");
        set => throw new NotSupportedException("an HTTP/2 body cannot seek");
    }

    /// <summary>Reads at least <paramref name="minimum"/> octets (fewer only at the end of the body); 0 at the end.</summary>
    public ValueTask<int> ReadAtLeastAsync(Memory<byte> destination, int minimum, CancellationToken cancellationToken) =>
        _body.ReadAsync(destination, minimum, cancellationToken);

    /// <summary>
    /// Whether the peer has ended the body (or the stream failed): every octet it will send is here,
    /// so no read from now on waits for the peer.
    /// </summary>
    public bool IsReceivedWhole => _body.IsEnded;

    /// <summary>
    /// Waits until octets have arrived or the body has ended, taking nothing. A consumer that waits
    /// here instead of reading finds each DATA payload buffered whole, ready for
    /// <see cref="TryTakeBuffered"/>.
    /// </summary>
    public ValueTask WaitForDataAsync(CancellationToken cancellationToken) =>
        _body.WaitForDataAsync(cancellationToken);

    /// <summary>
    /// The next <paramref name="count"/> octets without a copy, as pooled memory the caller owns
    /// and disposes when done, when one received DATA payload holds them all; otherwise null and
    /// nothing is taken.
    /// </summary>
    public IMemoryOwner<byte>? TryTakeBuffered(int count) => _body.TryTakeBuffered(count);

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _body.ReadAsync(buffer, 1, cancellationToken);

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        _body.ReadAsync(buffer.AsMemory(offset, count), 1, cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) =>
        _body.ReadAsync(buffer.AsMemory(offset, count), 1, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc />
    public override void Flush()
    {
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException("an HTTP/2 body cannot seek");

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("a received HTTP/2 body is read-only");

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposedOnce, 1) == 0)
        {
            _disposed?.Invoke();
        }

        base.Dispose(disposing);
    }
}
