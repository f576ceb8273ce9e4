using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>SNAPPY (raw snappy blocks, no framing): compressed by <see cref="SnappyEncoder"/>, decompressed by IronSnappy.</summary>
public sealed class SnappyCodec : IParquetCodec, ISpanCompressor
{
    // A snappy copy element of 3 bytes emits at most 64, so no honest block expands more than
    // about 21.3 times; anything declaring more is rejected before allocating.
    private const int MaxExpansion = 22;

    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Snappy;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        byte[] buffer = new byte[SnappyEncoder.MaxCompressedLength(source.Length)];
        return buffer.AsSpan(0, SnappyEncoder.Compress(source, buffer)).ToArray();
    }

    int ISpanCompressor.MaxCompressedLength(int length) => SnappyEncoder.MaxCompressedLength(length);

    int ISpanCompressor.Compress(ReadOnlySpan<byte> source, Span<byte> destination) => SnappyEncoder.Compress(source, destination);

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize)
    {
        ulong declared = 0;
        int shift = 0;
        int i = 0;
        while (true)
        {
            if (i >= source.Length || shift > 28)
            {
                throw new ParquetFormatException("SNAPPY page: malformed length preamble");
            }
            byte b = source[i++];
            declared |= (ulong)(b & 0x7F) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                break;
            }
        }
        if (declared != (ulong)uncompressedSize)
        {
            throw new ParquetFormatException($"SNAPPY page: block declares {declared} bytes but uncompressed_page_size is {uncompressedSize}");
        }
        if (declared > (ulong)source.Length * MaxExpansion + 64)
        {
            throw new ParquetFormatException($"SNAPPY page: {source.Length} bytes cannot expand to {declared}");
        }
        byte[] result;
        try
        {
            result = IronSnappy.Snappy.Decode(source);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ParquetFormatException("SNAPPY page: corrupt compressed data", ex);
        }
        return result.Length == uncompressedSize
            ? result
            : throw new ParquetFormatException($"SNAPPY page: decoded {result.Length} bytes, expected {uncompressedSize}");
    }
}
