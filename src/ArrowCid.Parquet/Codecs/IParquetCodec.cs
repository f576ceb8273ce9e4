using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>A page compression codec (Compression.md).</summary>
public interface IParquetCodec
{
    /// <summary>The codec this implements.</summary>
    CompressionCodec Codec { get; }

    /// <summary>Compresses one page body.</summary>
    byte[] Compress(ReadOnlySpan<byte> source);

    /// <summary>
    /// Decompresses one page body that must expand to exactly <paramref name="uncompressedSize"/>
    /// bytes. Implementations grow their output only as the compressed data produces it (or check
    /// the size the format declares first), so a lying size cannot make them allocate more than
    /// the input justifies; any mismatch or corruption is a <see cref="ParquetFormatException"/>.
    /// </summary>
    byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize);

    /// <summary>
    /// Decompresses one page body into <paramref name="destination"/>, which it must fill
    /// exactly; for callers that have already accounted for the page's declared size. Codecs
    /// with a span decoder write in place; the others decompress and copy.
    /// </summary>
    void DecompressInto(ReadOnlySpan<byte> source, Span<byte> destination) =>
        Decompress(source, destination.Length).CopyTo(destination);
}
