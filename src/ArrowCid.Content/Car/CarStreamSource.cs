using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Car;

/// <summary>
/// Reads a CAR stream forward up to an optional limit (a CARv2 payload's end), tracking the
/// position for error messages and never allocating more than the stream can still supply.
/// </summary>
internal sealed class CarStreamSource
{
    // Unseekable streams may lie about what follows; grow buffers in steps this size instead.
    private const int GrowthStep = 1 << 20;

    private readonly Stream _stream;
    private readonly long _limit;

    public CarStreamSource(Stream stream, long position, long limit)
    {
        _stream = stream;
        Position = position;
        _limit = limit;
    }

    /// <summary>Offset from where the stream was handed over (0 for the start of the CAR).</summary>
    public long Position { get; private set; }

    public long Remaining => _limit - Position;

    /// <summary>Reads one byte, or -1 at the end of the stream or limit.</summary>
    public int ReadByte()
    {
        if (Position >= _limit)
        {
            return -1;
        }

        int b = _stream.ReadByte();
        if (b >= 0)
        {
            Position++;
        }

        return b;
    }

    /// <summary>Reads a varint; returns null when the input ends cleanly before its first byte.</summary>
    public ulong? ReadVarintOrEnd(string what)
    {
        long start = Position;
        Span<byte> bytes = stackalloc byte[Varint.MaxLength];
        int count = 0;
        while (count < Varint.MaxLength)
        {
            int b = ReadByte();
            if (b < 0)
            {
                if (count == 0)
                {
                    return null;
                }

                throw new ContentFormatException($"CAR truncated inside the {what} length varint", Position);
            }

            bytes[count++] = (byte)b;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }

        return Varint.Read(bytes[..count], out _, start);
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes or reports truncation.</summary>
    public byte[] ReadExactly(int length, string what)
    {
        long start = Position;
        if (length > Remaining)
        {
            throw new ContentFormatException($"CAR {what} of {length} bytes runs past the end of the payload ({Remaining} bytes left)", start);
        }

        if (_stream.CanSeek && length > _stream.Length - _stream.Position)
        {
            throw new ContentFormatException($"CAR truncated: {what} of {length} bytes, {_stream.Length - _stream.Position} bytes left in the stream", start);
        }

        var buffer = new byte[_stream.CanSeek ? length : Math.Min(length, GrowthStep)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, (long)buffer.Length * 2));
            }

            int read = _stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw new ContentFormatException($"CAR truncated: {what} of {length} bytes ended after {filled}", start + filled);
            }

            filled += read;
            Position += read;
        }

        return buffer;
    }

    /// <summary>Skips forward to an absolute position (within the limit).</summary>
    public void SkipTo(long position, string what)
    {
        if (position < Position)
        {
            throw new ContentFormatException($"CAR {what} at {position} lies before the current position", Position);
        }

        if (_stream.CanSeek)
        {
            if (_stream.Length - _stream.Position < position - Position)
            {
                throw new ContentFormatException($"CAR truncated before the {what} at {position}", Position);
            }

            _stream.Seek(position - Position, SeekOrigin.Current);
            Position = position;
            return;
        }

        while (Position < position)
        {
            if (ReadByte() < 0)
            {
                throw new ContentFormatException($"CAR truncated before the {what} at {position}", Position);
            }
        }
    }
}
