namespace ArrowCid.Parquet.Reading;

/// <summary>Random access to the bytes of a file, from memory or from a seekable stream.</summary>
internal abstract class ByteSource : IDisposable
{
    public abstract long Length { get; }

    /// <summary>Returns <paramref name="length"/> bytes at <paramref name="offset"/>; the caller has checked the range.</summary>
    public abstract ReadOnlyMemory<byte> Read(long offset, int length);

    public abstract void Dispose();
}

internal sealed class MemoryByteSource(ReadOnlyMemory<byte> bytes) : ByteSource
{
    public override long Length => bytes.Length;

    public override ReadOnlyMemory<byte> Read(long offset, int length) => bytes.Slice((int)offset, length);

    public override void Dispose()
    {
        // Memory belongs to the caller.
    }
}

internal sealed class StreamByteSource : ByteSource
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _length;

    public StreamByteSource(Stream stream, bool leaveOpen)
    {
        if (!stream.CanSeek || !stream.CanRead)
        {
            throw new ArgumentException("the stream must be readable and seekable", nameof(stream));
        }
        _stream = stream;
        _leaveOpen = leaveOpen;
        _length = stream.Length;
    }

    public override long Length => _length;

    public override ReadOnlyMemory<byte> Read(long offset, int length)
    {
        byte[] buffer = new byte[length];
        _stream.Seek(offset, SeekOrigin.Begin);
        try
        {
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException ex)
        {
            throw new ParquetFormatException($"file: stream ended while reading {length} bytes at offset {offset}", ex) { Offset = offset };
        }
        return buffer;
    }

    public override void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }
}
