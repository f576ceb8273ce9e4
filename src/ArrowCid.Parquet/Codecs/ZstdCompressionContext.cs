using System.Runtime.InteropServices;

namespace ArrowCid.Parquet.Codecs;

/// <summary>
/// A zstd compression context (ZSTD_CCtx) kept per thread and reused from page to page.
/// ZSTD_compress creates and frees a context on every call, and a level-3 context is over a
/// megabyte of tables: for megabyte pages that meant a fresh mapping, page faults and zeroing
/// per page. ZSTD_compressCCtx with a reused context produces the same frame as ZSTD_compress
/// (which is that call on a new context).
/// </summary>
internal sealed class ZstdCompressionContext : SafeHandle
{
    private const string Library = "libzstd.so.1";

    [ThreadStatic]
    private static ZstdCompressionContext? t_context;

    public ZstdCompressionContext() : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(CreateCCtx());
        if (IsInvalid)
        {
            throw new InvalidOperationException("ZSTD_createCCtx failed (out of memory)");
        }
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Compresses <paramref name="source"/> as one frame at <paramref name="level"/> with this thread's context.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        ZstdCompressionContext context = t_context ??= new ZstdCompressionContext();
        nuint written = CompressCCtx(context.handle, ref MemoryMarshal.GetReference(destination), (nuint)destination.Length,
            ref MemoryMarshal.GetReference(source), (nuint)source.Length, level);
        GC.KeepAlive(context);
        if (IsError(written) != 0)
        {
            throw new ArgumentException($"zstd compression failed: {Marshal.PtrToStringAnsi(GetErrorName(written))}", nameof(destination));
        }
        return (int)written;
    }

    protected override bool ReleaseHandle()
    {
        FreeCCtx(handle);
        return true;
    }

    // Classic DllImport with by-reference bytes (pinned for the call) keeps this project free of
    // unsafe code; the signatures are zstd.h's stable API.
    [DllImport(Library, EntryPoint = "ZSTD_createCCtx")]
    private static extern IntPtr CreateCCtx();

    [DllImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    private static extern nuint FreeCCtx(IntPtr context);

    [DllImport(Library, EntryPoint = "ZSTD_compressCCtx")]
    private static extern nuint CompressCCtx(IntPtr context, ref byte destination, nuint destinationCapacity, ref byte source, nuint sourceSize, int level);

    [DllImport(Library, EntryPoint = "ZSTD_isError")]
    private static extern uint IsError(nuint code);

    [DllImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static extern IntPtr GetErrorName(nuint code);
}
