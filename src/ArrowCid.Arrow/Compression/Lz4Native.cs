using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Entry points of the reference LZ4 library: the block API (lz4.h) and the frame API
/// (lz4frame.h). size_t maps to <see cref="nuint"/>; callers pin spans for each call only.
/// </summary>
internal static unsafe partial class Lz4Native
{
    private const string Library = "liblz4.so.1";

    /// <summary>LZ4F_VERSION, the frame API version a decompression context is created for.</summary>
    public const uint FrameVersion = 100;

    [LibraryImport(Library, EntryPoint = "LZ4_compressBound")]
    public static partial int BlockCompressBound(int inputSize);

    [LibraryImport(Library, EntryPoint = "LZ4_compress_default")]
    public static partial int BlockCompress(byte* src, byte* dst, int srcSize, int dstCapacity);

    [LibraryImport(Library, EntryPoint = "LZ4_decompress_safe")]
    public static partial int BlockDecompress(byte* src, byte* dst, int compressedSize, int dstCapacity);

    // Preferences are passed as NULL: library defaults (64 KiB linked blocks, no checksums),
    // the same bytes on every call for the same input.
    [LibraryImport(Library, EntryPoint = "LZ4F_compressFrameBound")]
    public static partial nuint FrameCompressBound(nuint srcSize, void* preferences);

    [LibraryImport(Library, EntryPoint = "LZ4F_compressFrame")]
    public static partial nuint FrameCompress(byte* dst, nuint dstCapacity, byte* src, nuint srcSize, void* preferences);

    [LibraryImport(Library, EntryPoint = "LZ4F_createDecompressionContext")]
    public static partial nuint CreateDecompressionContext(nint* context, uint version);

    [LibraryImport(Library, EntryPoint = "LZ4F_freeDecompressionContext")]
    public static partial nuint FreeDecompressionContext(nint context);

    [LibraryImport(Library, EntryPoint = "LZ4F_decompress")]
    public static partial nuint FrameDecompress(nint context, byte* dst, nuint* dstSize, byte* src, nuint* srcSize, void* options);

    [LibraryImport(Library, EntryPoint = "LZ4F_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "LZ4F_getErrorName")]
    public static partial nint GetErrorName(nuint code);

    /// <summary>The library's text for a frame API error code (a static C string).</summary>
    public static string ErrorName(nuint code) => Marshal.PtrToStringUTF8(GetErrorName(code)) ?? "unknown error";
}
