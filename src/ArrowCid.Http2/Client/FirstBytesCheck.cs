namespace ArrowCid.Http2.Client;

/// <summary>
/// A transport that looks at the first bytes the server sends, to tell a client that it speaks
/// the wrong protocol in words instead of a TLS or framing error: a TLS client meeting a plaintext
/// HTTP/2 server (its first bytes are an HTTP/2 frame, not a TLS record), or a plaintext client
/// meeting a TLS server (its first bytes are a TLS record: an alert or a handshake).
/// </summary>
internal sealed class FirstBytesCheck(Stream inner, string authority, bool expectTls) : Stream
{
    private bool _checked;

    /// <summary>The socket under a plaintext connection, for the frame writer's gathered sends.</summary>
    public System.Net.Sockets.Socket? Socket => (inner as System.Net.Sockets.NetworkStream)?.Socket;

    public override bool CanRead => inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Whether <paramref name="first"/> (at least two bytes) starts a TLS record: content type 20–23, version 3.x.</summary>
    internal static bool IsTlsRecord(ReadOnlySpan<byte> first) => first.Length >= 2 && first[0] is >= 20 and <= 23 && first[1] == 3;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        // SslStream reads zero bytes to wait for data: only a read with room that gets none is the end.
        if (!_checked && !buffer.IsEmpty)
        {
            Check(buffer.Span[..read]);
        }

        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int read = inner.Read(buffer, offset, count);
        if (!_checked && count > 0)
        {
            Check(buffer.AsSpan(offset, read));
        }

        return read;
    }

    private void Check(ReadOnlySpan<byte> first)
    {
        if (first.IsEmpty)
        {
            // The server closed before sending anything: a plaintext HTTP/2 server does so on a TLS
            // hello it cannot read as its preface, a TLS server on a preface it cannot read as a hello.
            _checked = true;
            throw new ProtocolMismatchException(expectTls
                ? $"{authority} closed the connection during the TLS handshake: is the node serving without TLS? (then use grpc+tcp:// or http://)"
                : $"{authority} closed the connection before its first HTTP/2 frame: is the node serving TLS? (then use grpc+tls:// or https://)");
        }

        if (first.Length < 2)
        {
            return; // decided by the next read, which brings the second byte
        }

        _checked = true;
        bool tls = IsTlsRecord(first);
        if (expectTls && !tls)
        {
            throw new ProtocolMismatchException($"{authority} answered without TLS (plaintext HTTP/2): use grpc+tcp:// (or http://) for this node");
        }

        if (!expectTls && tls)
        {
            throw new ProtocolMismatchException($"{authority} answered with TLS: use grpc+tls:// (or https://) for this node");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The server speaks TLS where the client does not, or the reverse.</summary>
public sealed class ProtocolMismatchException(string message) : IOException(message);
