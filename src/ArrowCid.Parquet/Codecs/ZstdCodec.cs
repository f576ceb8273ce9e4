using ArrowCid.Arrow;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>ZSTD (RFC 8878) through libzstd, one frame per page.</summary>
public sealed class ZstdCodec : IParquetCodec, ISpanCompressor
{
    // Level 3 is zstd's own default: a good ratio at a speed well above gzip.
    private const int Level = 3;

    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Zstd;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        byte[] buffer = new byte[Arrow.Compression.Zstd.CompressBound(source.Length)];
        int written = Arrow.Compression.Zstd.Compress(source, buffer, Level);
        return buffer.AsSpan(0, written).ToArray();
    }

    int ISpanCompressor.MaxCompressedLength(int length) => Arrow.Compression.Zstd.CompressBound(length);

    int ISpanCompressor.Compress(ReadOnlySpan<byte> source, Span<byte> destination) =>
        ZstdCompressionContext.Compress(source, destination, Level);

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize)
    {
        if (uncompressedSize < 0)
        {
            throw new ParquetFormatException($"ZSTD page: negative uncompressed_page_size {uncompressedSize}");
        }
        if (uncompressedSize == 0 && source.IsEmpty)
        {
            return [];
        }
        byte[] result;
        try
        {
            // DecompressAll grows its output as frames produce it and stops at the cap, so a header
            // that lies about the size cannot make it allocate more than the data yields.
            result = Arrow.Compression.Zstd.DecompressAll(source, uncompressedSize);
        }
        catch (ArrowFormatException ex)
        {
            throw new ParquetFormatException($"ZSTD page: {ex.Message}", ex);
        }
        return result.Length == uncompressedSize
            ? result
            : throw new ParquetFormatException($"ZSTD page: decompressed to {result.Length} bytes, expected {uncompressedSize}");
    }
}
