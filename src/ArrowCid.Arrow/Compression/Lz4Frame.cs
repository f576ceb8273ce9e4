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
        using var context = DecompressionContext.Create(source);
        int read = 0, written = 0;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            bool done = Pump(context.Handle, src, source.Length, ref read, dst, destination.Length, ref written);
            Finish(done, read, source.Length, written, destination.Length, destination.Length);
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
        using var context = DecompressionContext.Create(source);
        byte[] output = new byte[Math.Min(expectedLength, Math.Max(4096, source.Length * 4))];
        int read = 0, written = 0;
        bool done;
        fixed (byte* src = source)
        {
            while (true)
            {
                fixed (byte* dst = output)
                {
                    done = Pump(context.Handle, src, source.Length, ref read, dst, output.Length, ref written);
                }

                if (done || written < output.Length || output.Length == expectedLength)
                {
                    break;
                }

                Array.Resize(ref output, (int)Math.Min(expectedLength, (long)output.Length * 2));
            }
        }

        Finish(done, read, source.Length, written, output.Length, expectedLength);
        if (read != source.Length)
        {
            throw new ArrowFormatException($"LZ4 frame: {source.Length - read} unexpected bytes after the frame ending at {read}.");
        }

        return output;
    }

    /// <summary>
    /// Calls LZ4F_decompress until it reports the frame complete (hint 0, returns true) or a round
    /// neither consumes input nor produces output (returns false): the input ran out or the
    /// destination is full. Every round must make progress, so it cannot spin.
    /// </summary>
    private static unsafe bool Pump(nint context, byte* src, int srcLength, ref int read, byte* dst, int dstLength, ref int written)
    {
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
                return true;
            }

            if (srcSize == 0 && dstSize == 0)
            {
                return false;
            }
        }
    }

    /// <summary>Turns the end state of a decode into the right error, or nothing when it decoded exactly <paramref name="expected"/> bytes.</summary>
    private static void Finish(bool done, int read, int srcLength, int written, int capacity, int expected)
    {
        if (!done)
        {
            throw written == capacity && read < srcLength
                ? new ArrowFormatException($"LZ4 frame: decompresses to more than the expected {expected} bytes.")
                : new ArrowFormatException($"LZ4 frame: input truncated after {read} bytes ({written} of {expected} bytes decoded).");
        }

        if (written != expected)
        {
            throw new ArrowFormatException($"LZ4 frame: decompressed to {written} bytes, expected exactly {expected}.");
        }
    }

    /// <summary>An LZ4F decompression context, freed on dispose.</summary>
    private readonly struct DecompressionContext : IDisposable
    {
        private DecompressionContext(nint handle) => Handle = handle;

        public nint Handle { get; }

        public static unsafe DecompressionContext Create(ReadOnlySpan<byte> source)
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

            return new DecompressionContext(context);
        }

        public void Dispose() => _ = Lz4Native.FreeDecompressionContext(Handle);
    }
}
