using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>UNCOMPRESSED: the page bytes as they are.</summary>
public sealed class UncompressedCodec : IParquetCodec
{
    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Uncompressed;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source) => source.ToArray();

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize) =>
        source.Length == uncompressedSize
            ? source.ToArray()
            : throw new ParquetFormatException($"UNCOMPRESSED page: {source.Length} bytes on disk but uncompressed_page_size {uncompressedSize}");
}
