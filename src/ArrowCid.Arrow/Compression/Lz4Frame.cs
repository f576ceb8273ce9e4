namespace ArrowCid.Arrow.Compression;

/// <summary>
/// The LZ4 frame format (Arrow IPC's LZ4_FRAME) through the system's reference library
/// (liblz4.so.1), with the library's default frame preferences.
/// </summary>
public static class Lz4Frame
{
    /// <summary>The largest frame <paramref name="length"/> input bytes can compress to.</summary>
    public static unsafe int CompressBound(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint bound = Lz4Native.FrameCompressBound((nuint)length, null);
        if (Lz4Native.IsError(bound) != 0 || bound > (nuint)Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "Input too large for one LZ4 frame in a .NET array.");
        }

        return (int)bound;
    }

    /// <summary>
    /// Compresses <paramref name="source"/> as one frame into <paramref name="destination"/>, which
    /// must hold <see cref="CompressBound"/> bytes; returns the frame's size.
    /// </summary>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = Lz4Native.FrameCompress(dst, (nuint)destination.Length, src, (nuint)source.Length, null);
        }

        if (Lz4Native.IsError(written) != 0)
        {
            throw new ArgumentException($"LZ4 frame compression failed: {Lz4Native.ErrorName(written)}.", nameof(destination));
        }

        return (int)written;
    }

    /// <summary>
    /// Decompresses exactly one frame that fills exactly <paramref name="destination"/>; output
    /// beyond it, a truncated frame and bytes after the frame all throw. Returns the length.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int consumed = DecompressFrame(source, destination);
        if (consumed != source.Length)
        {
            throw new ArrowFormatException($"LZ4 frame: {source.Length - consumed} unexpected bytes after the frame ending at {consumed}.");
        }

        return destination.Length;
    }

    /// <summary>
    /// Decompresses the first frame of <paramref name="source"/> into exactly
    /// <paramref name="destination"/> and returns how many input bytes it occupied.
    /// </summary>
    internal static unsafe int DecompressFrame(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("LZ4 frame: compressed input is empty.");
        }

        nint context;
        nuint created = Lz4Native.CreateDecompressionContext(&context, Lz4Native.FrameVersion);
        if (Lz4Native.IsError(created) != 0)
        {
            throw new InvalidOperationException($"LZ4 frame: could not create a decompression context: {Lz4Native.ErrorName(created)}.");
        }

        try
        {
            fixed (byte* src = source)
            fixed (byte* dst = destination)
            {
                return DecodeLoop(context, src, source.Length, dst, destination.Length);
            }
        }
        finally
        {
            _ = Lz4Native.FreeDecompressionContext(context);
        }
    }

    /// <summary>
    /// Calls LZ4F_decompress until it reports the frame complete (hint 0). Every round must
    /// consume input or produce output; a round that does neither means the input ran out
    /// (truncated) or the destination is full while the frame has more (too long).
    /// </summary>
    private static unsafe int DecodeLoop(nint context, byte* src, int srcLength, byte* dst, int dstLength)
    {
        int read = 0;
        int written = 0;
        while (true)
        {
            nuint dstSize = (nuint)(dstLength - written);
            nuint srcSize = (nuint)(srcLength - read);
            nuint hint = Lz4Native.FrameDecompress(context, dst + written, &dstSize, src + read, &srcSize, null);
            if (Lz4Native.IsError(hint) != 0)
            {
                throw new ArrowFormatException($"LZ4 frame: {Lz4Native.ErrorName(hint)} (at input byte {read}, output byte {written}).");
            }

            read += (int)srcSize;
            written += (int)dstSize;
            if (hint == 0)
            {
                break;
            }

            if (srcSize == 0 && dstSize == 0)
            {
                throw written == dstLength && read < srcLength
                    ? new ArrowFormatException($"LZ4 frame: decompresses to more than the expected {dstLength} bytes.")
                    : new ArrowFormatException($"LZ4 frame: input truncated after {read} bytes ({written} of {dstLength} bytes decoded).");
            }
        }

        if (written != dstLength)
        {
            throw new ArrowFormatException($"LZ4 frame: decompressed to {written} bytes, expected exactly {dstLength}.");
        }

        return read;
    }

    /// <summary>
    /// Decompresses one frame that must fill exactly <paramref name="expectedLength"/> bytes, into
    /// an output that grows (doubling) with the bytes actually produced: an untrusted expected
    /// length never causes an allocation larger than about twice the real output.
    /// </summary>
    internal static unsafe byte[] DecompressGrowing(ReadOnlySpan<byte> source, int expectedLength)
    {
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("LZ4 frame: compressed input is empty.");
        }

        nint context;
        nuint created = Lz4Native.CreateDecompressionContext(&context, Lz4Native.FrameVersion);
        if (Lz4Native.IsError(created) != 0)
        {
            throw new InvalidOperationException($"LZ4 frame: could not create a decompression context: {Lz4Native.ErrorName(created)}.");
        }

        try
        {
            byte[] output = new byte[Math.Min(expectedLength, Math.Max(4096, source.Length * 4))];
            int read = 0, written = 0;
            fixed (byte* src = source)
            {
                while (true)
                {
                    if (written == output.Length && output.Length < expectedLength)
                    {
                        Array.Resize(ref output, (int)Math.Min(expectedLength, (long)output.Length * 2));
                    }

                    nuint dstSize = (nuint)(output.Length - written);
                    nuint srcSize = (nuint)(source.Length - read);
                    nuint hint;
                    fixed (byte* dst = output)
                    {
                        hint = Lz4Native.FrameDecompress(context, dst + written, &dstSize, src + read, &srcSize, null);
                    }

                    if (Lz4Native.IsError(hint) != 0)
                    {
                        throw new ArrowFormatException($"LZ4 frame: {Lz4Native.ErrorName(hint)} (at input byte {read}, output byte {written}).");
                    }

                    read += (int)srcSize;
                    written += (int)dstSize;
                    if (hint == 0)
                    {
                        break;
                    }

                    if (srcSize == 0 && dstSize == 0)
                    {
                        throw written == expectedLength && read < source.Length
                            ? new ArrowFormatException($"LZ4 frame: decompresses to more than the expected {expectedLength} bytes.")
                            : new ArrowFormatException($"LZ4 frame: input truncated after {read} bytes ({written} of {expectedLength} bytes decoded).");
                    }
                }
            }

            if (read != source.Length)
            {
                throw new ArrowFormatException($"LZ4 frame: {source.Length - read} unexpected bytes after the frame ending at {read}.");
            }

            if (written != expectedLength)
            {
                throw new ArrowFormatException($"LZ4 frame: decompressed to {written} bytes, expected exactly {expectedLength}.");
            }

            return output;
        }
        finally
        {
            _ = Lz4Native.FreeDecompressionContext(context);
        }
    }
}
