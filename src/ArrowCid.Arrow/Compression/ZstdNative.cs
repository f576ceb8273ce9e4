using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Compression;

/// <summary>
/// Entry points of the reference zstd library (zstd.h, stable API since 1.4). size_t maps to
/// <see cref="nuint"/>; pointers are raw because callers pin spans for the call's duration only.
/// </summary>
internal static unsafe partial class ZstdNative
{
    private const string Library = "libzstd.so.1";

    /// <summary>ZSTD_CONTENTSIZE_UNKNOWN: the frame header does not record the decompressed size.</summary>
    public const ulong ContentSizeUnknown = ulong.MaxValue;

    /// <summary>ZSTD_CONTENTSIZE_ERROR: the bytes are not a valid frame header.</summary>
    public const ulong ContentSizeError = ulong.MaxValue - 1;

    /// <summary>ZSTD_error_dstSize_tooSmall (zstd_errors.h): the output would not fit the destination.</summary>
    public const int ErrorDestinationTooSmall = 70;

    [LibraryImport(Library, EntryPoint = "ZSTD_createCCtx")]
    public static partial nint CreateCCtx();

    [LibraryImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    public static partial nuint FreeCCtx(nint context);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    public static partial nuint CompressCCtx(nint context, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int level);

    [LibraryImport(Library, EntryPoint = "ZSTD_compressBound")]
    public static partial nuint CompressBound(nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_decompress")]
    public static partial nuint Decompress(byte* dst, nuint dstCapacity, byte* src, nuint compressedSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_getFrameContentSize")]
    public static partial ulong GetFrameContentSize(byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_findFrameCompressedSize")]
    public static partial nuint FindFrameCompressedSize(byte* src, nuint srcSize);

    [LibraryImport(Library, EntryPoint = "ZSTD_isError")]
    public static partial uint IsError(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorName")]
    public static partial nint GetErrorName(nuint code);

    [LibraryImport(Library, EntryPoint = "ZSTD_getErrorCode")]
    public static partial int GetErrorCode(nuint code);

    /// <summary>The library's text for an error code (a static C string).</summary>
    public static string ErrorName(nuint code) => Marshal.PtrToStringUTF8(GetErrorName(code)) ?? "unknown error";
}
