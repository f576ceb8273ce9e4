namespace ArrowCid.Registry.ContentAccess;

/// <summary>The boilerplate of an append-only sink: subclasses implement only <see cref="Write(ReadOnlySpan{byte})"/>.</summary>
internal abstract class WriteOnlyStream : Stream
{
    private long _position;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("an append-only stream cannot seek");
    }

    public abstract override void Write(ReadOnlySpan<byte> buffer);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("an append-only stream cannot be read");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("an append-only stream cannot seek");

    public override void SetLength(long value) => throw new NotSupportedException("an append-only stream cannot be cut");

    protected void Advance(int count) => _position += count;
}
