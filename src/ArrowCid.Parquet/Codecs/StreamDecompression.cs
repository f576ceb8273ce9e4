namespace ArrowCid.Parquet.Codecs;

/// <summary>Reads a decompressing stream into a buffer that grows only as output arrives.</summary>
internal static class StreamDecompression
{
    public static byte[] ReadExactly(Stream decompressor, int compressedSize, int uncompressedSize, string codec)
    {
        if (uncompressedSize < 0)
        {
            throw new ParquetFormatException($"{codec} page: negative uncompressed_page_size {uncompressedSize}");
        }
        // Start from what the compressed size makes plausible and double from there: a header
        // that lies about the size costs at most twice what the data really produces.
        int capacity = (int)Math.Min(uncompressedSize, Math.Max(4096L, compressedSize * 4L));
        byte[] buffer = new byte[capacity];
        int filled = 0;
        while (filled < uncompressedSize)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(uncompressedSize, buffer.Length * 2L));
            }
            int read = decompressor.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                throw new ParquetFormatException($"{codec} page: decompressed to {filled} bytes, expected {uncompressedSize}");
            }
            filled += read;
        }
        if (decompressor.ReadByte() != -1)
        {
            throw new ParquetFormatException($"{codec} page: decompresses to more than the expected {uncompressedSize} bytes");
        }
        return buffer;
    }
}
