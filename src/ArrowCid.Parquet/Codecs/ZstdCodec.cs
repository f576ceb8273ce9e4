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
        Arrow.Compression.Zstd.Compress(source, destination, Level);

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
        try
        {
            // The page header's size bounds the output: frames without a content size or with a
            // window larger than the page (arrow-rs writes both) decode, and more data is an error.
            return Arrow.Compression.Zstd.DecompressToArray(source, uncompressedSize);
        }
        catch (ArrowFormatException ex)
        {
            throw new ParquetFormatException($"ZSTD page: {ex.Message}", ex);
        }
    }

    /// <inheritdoc/>
    public void DecompressInto(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.IsEmpty && source.IsEmpty)
        {
            return;
        }
        if (destination.Length > (long)source.Length * Arrow.Compression.Zstd.MaxExpansion)
        {
            throw new ParquetFormatException($"ZSTD page: {source.Length} compressed bytes cannot decompress to {destination.Length} bytes");
        }
        try
        {
            // The destination is the decoder's window: any frame decodes, and more data is an error.
            Arrow.Compression.Zstd.Decompress(source, destination);
        }
        catch (ArrowFormatException ex)
        {
            throw new ParquetFormatException($"ZSTD page: {ex.Message}", ex);
        }
    }
}
