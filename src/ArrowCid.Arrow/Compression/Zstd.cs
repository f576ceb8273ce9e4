namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Zstandard through the system's reference library (libzstd.so.1). Decompression errors -
/// corrupt frames, wrong sizes, output past a cap - throw <see cref="ArrowFormatException"/>
/// carrying zstd's own error name.
/// </summary>
public static class Zstd
{
    /// <summary>
    /// The most output one input byte can stand for: the smallest block, a 4-byte RLE block (3-byte
    /// header, 1 byte repeated), stands for a whole block of at most 128 KiB, and frame headers only
    /// add input. No valid data expands further.
    /// </summary>
    public const int MaxExpansion = 128 * 1024 / 4;

    // The first output size DecompressToArray tries: honest data rarely expands more than this
    // ratio, so one decode usually suffices, and a lying length buys no more than this.
    private const int PlausibleRatio = 32;
    private const int MinimumFirstCapacity = 64 * 1024;

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
    /// <remarks>
    /// Each thread reuses one compression context (ZSTD_compressCCtx), which gives the frame
    /// ZSTD_compress gives (that is the same call on a new context): a level-3 context is over a
    /// megabyte of tables, and creating one per call cost a fresh mapping, page faults and zeroing
    /// for every Parquet page and IPC buffer.
    /// </remarks>
    public static unsafe int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level = 1)
    {
        var context = CompressionContext.ForThisThread();
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = ZstdNative.CompressCCtx(context.Pointer, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }

        GC.KeepAlive(context);

        if (ZstdNative.IsError(written) != 0)
        {
            throw new ArgumentException($"zstd compression failed: {ZstdNative.ErrorName(written)}.", nameof(destination));
        }

        return (int)written;
    }

    /// <summary>
    /// Decompresses one or more concatenated frames that must produce exactly
    /// <paramref name="destination"/>.Length bytes; returns that length. The destination is the
    /// decoder's whole window, so frames without a content size or with any window decode and
    /// nothing beyond a fixed-size context is allocated.
    /// </summary>
    public static int Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        nuint produced = DecodeInto(source, destination);
        if (ZstdNative.IsError(produced) != 0)
        {
            throw DecodeError(produced, source.Length, destination.Length);
        }

        return produced == (nuint)destination.Length
            ? destination.Length
            : throw new ArrowFormatException($"zstd: decompressed to {produced} bytes, expected exactly {destination.Length}.");
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
    /// Decompresses every concatenated frame in <paramref name="source"/> into a new array of
    /// exactly <paramref name="length"/> bytes, whether or not the frame headers record their
    /// sizes and whatever back-reference window they declare (writers that stream, such as
    /// arrow-rs or <c>zstd --long</c>, declare windows far larger than the data): the decoder
    /// works in the output array itself and allocates no window. <paramref name="length"/> is
    /// untrusted: a length the input could not reach even at zstd's largest ratio
    /// (<see cref="MaxExpansion"/>) is refused at once, and the output starts at what the input
    /// makes plausible and doubles only while the data really produces more, so a lying length
    /// costs at most about twice what the data yields. Data that decodes to more or fewer bytes,
    /// or is corrupt or truncated, throws.
    /// </summary>
    public static byte[] DecompressToArray(ReadOnlySpan<byte> source, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length > (long)source.Length * MaxExpansion)
        {
            throw new ArrowFormatException($"zstd: {source.Length} compressed bytes cannot decompress to {length} bytes.");
        }

        int capacity = (int)Math.Min(length, Math.Max(MinimumFirstCapacity, (long)source.Length * PlausibleRatio));
        while (true)
        {
            // The decoder writes every byte it reports or the call throws, so zeroing would be waste.
            byte[] output = GC.AllocateUninitializedArray<byte>(capacity);
            nuint produced = DecodeInto(source, output);
            if (ZstdNative.IsError(produced) == 0)
            {
                // produced <= capacity <= length, so an exact result fills the whole array.
                return produced == (nuint)length
                    ? output
                    : throw new ArrowFormatException($"zstd: decompressed to {produced} bytes, expected exactly {length}.");
            }

            if (ZstdNative.GetErrorCode(produced) != ZstdNative.ErrorDestinationTooSmall || capacity == length)
            {
                throw DecodeError(produced, source.Length, length);
            }

            // The data really yields more than this: decode again from the start into twice the room.
            capacity = (int)Math.Min(length, 2L * capacity);
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
    /// One-shot decode of every frame into <paramref name="destination"/> (ZSTD_decompress: the
    /// destination is the window, no window buffer is allocated, and it never writes past the
    /// end); returns zstd's size-or-error code.
    /// </summary>
    private static unsafe nuint DecodeInto(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.IsEmpty)
        {
            throw new ArrowFormatException("zstd: compressed input is empty.");
        }

        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            return ZstdNative.Decompress(dst, (nuint)destination.Length, src, (nuint)source.Length);
        }
    }

    private static ArrowFormatException DecodeError(nuint code, int sourceLength, int expectedLength) =>
        new(ZstdNative.GetErrorCode(code) == ZstdNative.ErrorDestinationTooSmall
            ? $"zstd: data decompresses to more than the expected {expectedLength} bytes."
            : $"zstd: {ZstdNative.ErrorName(code)} (input {sourceLength} bytes, expected output {expectedLength} bytes).");

    private static void ThrowIfError(nuint code)
    {
        if (ZstdNative.IsError(code) != 0)
        {
            throw new ArrowFormatException($"zstd: {ZstdNative.ErrorName(code)}.");
        }
    }

    // A thread's zstd compression context (ZSTD_CCtx), freed when the thread's last reference goes.
    private sealed class CompressionContext : System.Runtime.InteropServices.SafeHandle
    {
        [ThreadStatic]
        private static CompressionContext? t_context;

        private CompressionContext() : base(IntPtr.Zero, ownsHandle: true)
        {
            SetHandle(ZstdNative.CreateCCtx());
            if (IsInvalid)
            {
                throw new InvalidOperationException("ZSTD_createCCtx failed (out of memory)");
            }
        }

        public nint Pointer => handle;

        public override bool IsInvalid => handle == IntPtr.Zero;

        public static CompressionContext ForThisThread() => t_context ??= new CompressionContext();

        protected override bool ReleaseHandle()
        {
            ZstdNative.FreeCCtx(handle);
            return true;
        }
    }
}
