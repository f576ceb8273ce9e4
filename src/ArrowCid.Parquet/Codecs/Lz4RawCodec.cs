using ArrowCid.Arrow;
using ArrowCid.Arrow.Compression;
using CompressionCodec = ArrowCid.Parquet.Metadata.CompressionCodec;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>LZ4_RAW: one LZ4 block with no framing (Compression.md), through liblz4.</summary>
public sealed class Lz4RawCodec : IParquetCodec, ISpanCompressor
{
    // An LZ4 match of 255 extra length bytes emits at most about 255 bytes per input byte, so no
    // honest block expands further; a page claiming more is rejected before allocating.
    private const int MaxExpansion = 256;

    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Lz4Raw;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        byte[] buffer = new byte[Lz4Block.CompressBound(source.Length)];
        int written = Lz4Block.Compress(source, buffer);
        return buffer.AsSpan(0, written).ToArray();
    }

    int ISpanCompressor.MaxCompressedLength(int length) => Lz4Block.CompressBound(length);

    int ISpanCompressor.Compress(ReadOnlySpan<byte> source, Span<byte> destination) => Lz4Block.Compress(source, destination);

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize)
    {
        if (uncompressedSize < 0 || uncompressedSize > (long)source.Length * MaxExpansion + 64)
        {
            throw new ParquetFormatException($"LZ4_RAW page: {source.Length} bytes cannot expand to {uncompressedSize}");
        }
        if (uncompressedSize == 0 && source.IsEmpty)
        {
            return [];
        }
        byte[] result = new byte[uncompressedSize];
        try
        {
            Lz4Block.Decompress(source, result);
        }
        catch (ArrowFormatException ex)
        {
            throw new ParquetFormatException($"LZ4_RAW page: {ex.Message}", ex);
        }
        return result;
    }
}
