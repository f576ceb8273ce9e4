using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>UNCOMPRESSED: the page bytes as they are.</summary>
public sealed class UncompressedCodec : IParquetCodec, ISpanCompressor
{
    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Uncompressed;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source) => source.ToArray();

    int ISpanCompressor.MaxCompressedLength(int length) => length;

    int ISpanCompressor.Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize) =>
        source.Length == uncompressedSize
            ? source.ToArray()
            : throw new ParquetFormatException($"UNCOMPRESSED page: {source.Length} bytes on disk but uncompressed_page_size {uncompressedSize}");
}
