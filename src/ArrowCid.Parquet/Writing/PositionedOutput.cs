using System.Buffers;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Thrift;

namespace ArrowCid.Parquet.Writing;

/// <summary>The output stream with the file offset written so far (the stream need not be seekable).</summary>
internal sealed class PositionedOutput(Stream stream)
{
    private readonly ArrayBufferWriter<byte> _thrift = new();

    public long Position { get; private set; }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        stream.Write(bytes);
        Position += bytes.Length;
    }

    /// <summary>Writes a thrift struct; returns its length.</summary>
    public int WriteThrift(IThriftStruct value)
    {
        _thrift.ResetWrittenCount();
        value.Write(new ThriftCompactWriter(_thrift));
        Write(_thrift.WrittenSpan);
        return _thrift.WrittenCount;
    }

    public void Flush() => stream.Flush();
}
