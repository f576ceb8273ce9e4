using System.IO.Compression;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Codecs;

/// <summary>BROTLI (RFC 7932), via System.IO.Compression.</summary>
public sealed class BrotliCodec : IParquetCodec
{
    /// <inheritdoc/>
    public CompressionCodec Codec => CompressionCodec.Brotli;

    /// <inheritdoc/>
    public byte[] Compress(ReadOnlySpan<byte> source)
    {
        byte[] buffer = new byte[BrotliEncoder.GetMaxCompressedLength(source.Length)];
        if (!BrotliEncoder.TryCompress(source, buffer, out int written, quality: 5, window: 22))
        {
            throw new InvalidOperationException("Brotli compression did not fit its maximum length");
        }
        return buffer.AsSpan(0, written).ToArray();
    }

    /// <inheritdoc/>
    public byte[] Decompress(ReadOnlySpan<byte> source, int uncompressedSize)
    {
        try
        {
            using var input = new MemoryStream(source.ToArray(), writable: false);
            using var brotli = new BrotliStream(input, CompressionMode.Decompress);
            return StreamDecompression.ReadExactly(brotli, source.Length, uncompressedSize, "BROTLI");
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException)
        {
            // BrotliStream reports corrupt data as InvalidOperationException, GZipStream as InvalidDataException.
            throw new ParquetFormatException("BROTLI page: corrupt compressed data", ex);
        }
    }
}
