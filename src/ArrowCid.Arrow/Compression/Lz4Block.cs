namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Raw LZ4 blocks with no frame (Parquet's LZ4_RAW) through the system's reference library
/// (liblz4.so.1). A block does not record its decompressed size, so the caller supplies it.
/// </summary>
public static class Lz4Block
{
    /// <summary>The largest block <paramref name="length"/> input bytes can compress to.</summary>
    public static int CompressBound(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        int bound = Lz4Native.BlockCompressBound(length);
        if (bound <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "Input too large for one LZ4 block.");
        }

        return bound;
    }

    /// <summary>Compresses into <paramref name="destination"/> (at least <see cref="CompressBound"/> bytes); returns the block size.</summary>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = Lz4Native.BlockCompress(src, dst, source.Length, destination.Length);
        }

        if (written <= 0)
        {
            throw new ArgumentException($"LZ4 block compression of {source.Length} bytes did not fit in {destination.Length} bytes.", nameof(destination));
        }

        return written;
    }

    /// <summary>Decompresses a block that must produce exactly <paramref name="destination"/>.Length bytes.</summary>
    public static unsafe int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("LZ4 block: compressed input is empty.");
        }

        int produced;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            produced = Lz4Native.BlockDecompress(src, dst, source.Length, destination.Length);
        }

        if (produced < 0)
        {
            throw new ArrowFormatException($"LZ4 block: malformed input (error at input byte {-produced - 1} of {source.Length}, or output past {destination.Length} bytes).");
        }

        if (produced != destination.Length)
        {
            throw new ArrowFormatException($"LZ4 block: decompressed to {produced} bytes, expected exactly {destination.Length}.");
        }

        return produced;
    }
}
