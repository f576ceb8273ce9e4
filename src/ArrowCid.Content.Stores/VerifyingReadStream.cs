using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// A read-only forward stream that hashes what passes through and throws
/// <see cref="BlockCorruptedException"/> when the end is reached and the content does not match
/// its CID, so a big block can be checked without holding it in memory.
/// </summary>
internal sealed class VerifyingReadStream : Stream
{
    private readonly Stream _inner;
    private readonly Cid _cid;
    private readonly BlockHasher _hasher;
    private long _position;
    private bool _checked;

    public VerifyingReadStream(Stream inner, Cid cid)
    {
        _inner = inner;
        _cid = cid;
        _hasher = new BlockHasher(cid);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => _inner.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("A verifying stream reads forward only.");
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int read = _inner.Read(buffer);
        Observe(buffer[..read], endOfStream: read == 0 && !buffer.IsEmpty);
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Observe(buffer.Span[..read], endOfStream: read == 0 && !buffer.IsEmpty);
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A verifying stream reads forward only.");

    public override void SetLength(long value) => throw new NotSupportedException("A verifying stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A verifying stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
            _hasher.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Observe(ReadOnlySpan<byte> data, bool endOfStream)
    {
        if (_checked)
        {
            return;
        }

        _hasher.Append(data);
        _position += data.Length;
        if (endOfStream)
        {
            _checked = true;
            if (!_hasher.Matches())
            {
                throw new BlockCorruptedException(_cid, $"Stored block of {_position} bytes does not hash to its CID");
            }
        }
    }
}
