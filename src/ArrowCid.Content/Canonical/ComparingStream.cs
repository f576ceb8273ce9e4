namespace ArrowCid.Content.Canonical;

/// <summary>
/// A write-only stream that compares what is written with expected bytes instead of storing it:
/// re-encoding a received block into it tells whether the block is canonical without a second copy.
/// </summary>
internal sealed class ComparingStream(ReadOnlyMemory<byte> expected) : Stream
{
    private long _position;

    /// <summary>Offset of the first byte that differed (or where the output ran past the expected bytes), -1 while none has.</summary>
    public long FirstDifference { get; private set; } = -1;

    /// <summary>Whether everything written so far matched and covered all of the expected bytes.</summary>
    public bool MatchedAll => FirstDifference < 0 && _position == expected.Length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException("a comparing stream only appends");
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (FirstDifference < 0)
        {
            var remaining = _position < expected.Length ? expected.Span[(int)_position..] : default;
            int common = Math.Min(remaining.Length, buffer.Length);
            int mismatch = buffer[..common].CommonPrefixLength(remaining[..common]);
            if (mismatch < common || buffer.Length > remaining.Length)
            {
                FirstDifference = _position + mismatch;
            }
        }

        _position += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("a comparing stream is write-only");

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("a comparing stream only appends");

    public override void SetLength(long value) => throw new NotSupportedException("a comparing stream only appends");
}
