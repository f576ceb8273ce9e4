using System.Numerics;

namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Zstandard through the system's reference library (libzstd.so.1). Decompression errors -
/// corrupt frames, wrong sizes, output past a cap - throw <see cref="ArrowFormatException"/>
/// carrying zstd's own error name.
/// </summary>
public static class Zstd
{
    // Window sizes below 1 KiB are not allowed by the format; 2^27 is the library's default cap.
    private const int MinWindowLog = 10;
    private const int MaxWindowLog = 27;

    /// <summary>The largest compressed size of <paramref name="length"/> input bytes.</summary>
    public static int CompressBound(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        nuint bound = ZstdNative.CompressBound((nuint)length);
        if (ZstdNative.IsError(bound) != 0 || bound > (nuint)Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "Input too large for one zstd frame in a .NET array.");
        }

        return (int)bound;
    }

    /// <summary>
    /// Compresses <paramref name="source"/> as one frame (content size recorded in its header)
    /// into <paramref name="destination"/>; returns the frame's size. A destination of
    /// <see cref="CompressBound"/> bytes always suffices.
    /// </summary>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level = 1)
    {
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = ZstdNative.Compress(dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }

        if (ZstdNative.IsError(written) != 0)
        {
            throw new ArgumentException($"zstd compression failed: {ZstdNative.ErrorName(written)}.", nameof(destination));
        }

        return (int)written;
    }

    /// <summary>
    /// Decompresses one or more concatenated frames that must produce exactly
    /// <paramref name="destination"/>.Length bytes; returns that length.
    /// </summary>
    public static unsafe int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("zstd: compressed input is empty.");
        }

        nuint produced;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            produced = ZstdNative.Decompress(dst, (nuint)destination.Length, src, (nuint)source.Length);
        }

        if (ZstdNative.IsError(produced) != 0)
        {
            throw new ArrowFormatException($"zstd: {ZstdNative.ErrorName(produced)} (input {source.Length} bytes, expected output {destination.Length} bytes).");
        }

        if (produced != (nuint)destination.Length)
        {
            throw new ArrowFormatException($"zstd: decompressed to {produced} bytes, expected exactly {destination.Length}.");
        }

        return destination.Length;
    }

    /// <summary>
    /// The decompressed size a frame header records, or -1 when the header leaves it unknown.
    /// Bytes that are not a zstd frame header throw.
    /// </summary>
    public static unsafe long GetFrameContentSize(ReadOnlySpan<byte> frame)
    {
        ulong size;
        fixed (byte* src = frame)
        {
            size = ZstdNative.GetFrameContentSize(src, (nuint)frame.Length);
        }

        return size switch
        {
            ZstdNative.ContentSizeUnknown => -1,
            ZstdNative.ContentSizeError => throw new ArrowFormatException("zstd: not a valid frame header."),
            > long.MaxValue => throw new ArrowFormatException($"zstd: frame header claims {size} bytes."),
            _ => (long)size,
        };
    }

    /// <summary>
    /// Decompresses every concatenated frame in <paramref name="source"/>, whether or not their
    /// headers record sizes, refusing to produce more than <paramref name="maxLength"/> bytes
    /// (the decoder's window is capped to match, so a hostile header cannot make it allocate
    /// more either). Truncated input throws.
    /// </summary>
    public static unsafe byte[] DecompressAll(ReadOnlySpan<byte> source, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxLength);
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("zstd: compressed input is empty.");
        }

        nint context = ZstdNative.CreateDCtx();
        if (context == 0)
        {
            throw new InvalidOperationException("zstd: could not create a decompression context.");
        }

        try
        {
            int windowLog = Math.Clamp(64 - BitOperations.LeadingZeroCount((ulong)Math.Max(maxLength - 1, 1)), MinWindowLog, MaxWindowLog);
            ThrowIfError(ZstdNative.SetDecoderParameter(context, ZstdNative.DecoderWindowLogMax, windowLog));
            byte[] output = new byte[Math.Min(maxLength, Math.Max(4096, source.Length * 4))];
            fixed (byte* src = source)
            {
                return DecodeStream(context, src, source.Length, output, maxLength);
            }
        }
        finally
        {
            _ = ZstdNative.FreeDCtx(context);
        }
    }

    /// <summary>Length of the first frame in <paramref name="source"/> (for locating frames in a larger buffer).</summary>
    internal static unsafe int FindFrameCompressedSize(ReadOnlySpan<byte> source)
    {
        nuint size;
        fixed (byte* src = source)
        {
            size = ZstdNative.FindFrameCompressedSize(src, (nuint)source.Length);
        }

        ThrowIfError(size);
        return (int)size;
    }

    /// <summary>
    /// Feeds all input through the streaming decoder, doubling the output up to the cap. Each
    /// round either consumes input, produces output, or ends (complete, truncated or over the cap),
    /// so the loop cannot spin.
    /// </summary>
    private static unsafe byte[] DecodeStream(nint context, byte* src, int srcLength, byte[] output, int maxLength)
    {
        ZstdNative.InBuffer input = new() { Source = src, Size = (nuint)srcLength, Position = 0 };
        int produced = 0;
        while (true)
        {
            if (produced == output.Length)
            {
                if (output.Length == maxLength)
                {
                    if (FrameFinishedAndInputUsed(context, input))
                    {
                        return output;
                    }

                    throw new ArrowFormatException($"zstd: data decompresses to more than the {maxLength}-byte limit.");
                }

                Array.Resize(ref output, (int)Math.Min(maxLength, 2L * output.Length));
            }

            nuint remaining;
            nuint consumedBefore = input.Position;
            fixed (byte* dst = output)
            {
                ZstdNative.OutBuffer outBuffer = new() { Destination = dst, Size = (nuint)output.Length, Position = (nuint)produced };
                remaining = ZstdNative.DecompressStream(context, &outBuffer, &input);
                ThrowIfError(remaining);
                bool progressed = input.Position != consumedBefore || (int)outBuffer.Position != produced;
                produced = (int)outBuffer.Position;
                if (remaining == 0 && input.Position == input.Size)
                {
                    return produced == output.Length ? output : output.AsSpan(0, produced).ToArray();
                }

                if (!progressed && produced < output.Length)
                {
                    throw new ArrowFormatException($"zstd: input truncated after {input.Position} of {srcLength} bytes (frame incomplete).");
                }
            }
        }
    }

    /// <summary>With the output full, checks whether the decoder has nothing left to emit.</summary>
    private static unsafe bool FrameFinishedAndInputUsed(nint context, ZstdNative.InBuffer input)
    {
        byte spare;
        ZstdNative.OutBuffer probe = new() { Destination = &spare, Size = 1, Position = 0 };
        nuint remaining = ZstdNative.DecompressStream(context, &probe, &input);
        ThrowIfError(remaining);
        return probe.Position == 0 && remaining == 0 && input.Position == input.Size;
    }

    private static void ThrowIfError(nuint code)
    {
        if (ZstdNative.IsError(code) != 0)
        {
            throw new ArrowFormatException($"zstd: {ZstdNative.ErrorName(code)}.");
        }
    }
}
