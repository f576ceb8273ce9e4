using System.IO.Compression;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// GZIP (RFC 1952). Compression.md allows a page to hold several gzip members back to back;
/// <see cref="GZipStream"/> continues into following members, and the output must still come to
/// exactly the page's uncompressed size.
/// </summary>
public sealed class GzipCodec : IParquetCodec
{
    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Gzip;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(source);
        }
        return output.ToArray();
    }

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize)
    {
        try
        {
            using var input = new MemoryStream(source.ToArray(), writable: false);
            using var gzip = new GZipStream(input, CompressionMode.Decompress);
            return StreamDecompression.ReadExactly(gzip, source.Length, uncompressedSize, "GZIP");
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
        {
            throw new ParquetFormatException("GZIP page: corrupt compressed data", ex);
        }
    }
}
