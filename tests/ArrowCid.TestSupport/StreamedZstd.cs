using System.Runtime.InteropServices;

namespace ArrowCid.TestSupport;

/// <summary>
/// Makes zstd frames the way streaming writers do (arrow-rs's zstd pages, <c>zstd --long=27</c>
/// reading a pipe): the header records no content size and declares a back-reference window far
/// larger than the data. libzstd's streaming API is called directly, so no zstd CLI is needed.
/// </summary>
public static class StreamedZstd
{
    private const string Library = "libzstd.so.1";
    private const int CompressionLevelParameter = 100; // ZSTD_c_compressionLevel
    private const int WindowLogParameter = 101;        // ZSTD_c_windowLog
    private const int EndContinue = 0;                 // ZSTD_e_continue
    private const int EndFrame = 2;                    // ZSTD_e_end

    /// <summary>
    /// One frame holding <paramref name="data"/>, with no content size and a window of
    /// 2^<paramref name="windowLog"/> bytes. All input is fed with ZSTD_e_continue before the frame
    /// is ended: ending in the first call would let libzstd record the size and shrink the window.
    /// </summary>
    public static byte[] Compress(ReadOnlySpan<byte> data, int windowLog = 27, int level = 3)
    {
        byte[] input = data.ToArray();
        byte[] output = new byte[checked((int)CompressBound((nuint)input.Length) + 1024)];
        IntPtr context = CreateCCtx();
        if (context == IntPtr.Zero)
        {
            throw new InvalidOperationException("ZSTD_createCCtx failed");
        }
        GCHandle pinnedInput = GCHandle.Alloc(input, GCHandleType.Pinned);
        GCHandle pinnedOutput = GCHandle.Alloc(output, GCHandleType.Pinned);
        try
        {
            Check(SetParameter(context, CompressionLevelParameter, level));
            Check(SetParameter(context, WindowLogParameter, windowLog));
            var source = new InBuffer { Source = pinnedInput.AddrOfPinnedObject(), Size = (nuint)input.Length };
            var destination = new OutBuffer { Destination = pinnedOutput.AddrOfPinnedObject(), Size = (nuint)output.Length };
            while (source.Position < source.Size)
            {
                Check(CompressStream2(context, ref destination, ref source, EndContinue));
            }
            while (Check(CompressStream2(context, ref destination, ref source, EndFrame)) != 0)
            {
                // The output is sized to hold the whole frame; a non-zero answer means more to flush.
            }
            return output.AsSpan(0, (int)destination.Position).ToArray();
        }
        finally
        {
            pinnedInput.Free();
            pinnedOutput.Free();
            FreeCCtx(context);
        }
    }

    private static nuint Check(nuint code) =>
        IsError(code) != 0 ? throw new InvalidOperationException($"zstd: {Marshal.PtrToStringAnsi(GetErrorName(code))}") : code;

    [StructLayout(LayoutKind.Sequential)]
    private struct InBuffer
    {
        public IntPtr Source;
        public nuint Size;
        public nuint Position;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct OutBuffer
    {
        public IntPtr Destination;
        public nuint Size;
        public nuint Position;
    }

    [DllImport(Library, EntryPoint = "ZSTD_createCCtx")]
    private static extern IntPtr CreateCCtx();

    [DllImport(Library, EntryPoint = "ZSTD_freeCCtx")]
    private static extern nuint FreeCCtx(IntPtr context);

    [DllImport(Library, EntryPoint = "ZSTD_CCtx_setParameter")]
    private static extern nuint SetParameter(IntPtr context, int parameter, int value);

    [DllImport(Library, EntryPoint = "ZSTD_compressStream2")]
    private static extern nuint CompressStream2(IntPtr context, ref OutBuffer output, ref InBuffer input, int endOp);

    [DllImport(Library, EntryPoint = "ZSTD_compressBound")]
    private static extern nuint CompressBound(nuint sourceSize);

    [DllImport(Library, EntryPoint = "ZSTD_isError")]
    private static extern uint IsError(nuint code);

    [DllImport(Library, EntryPoint = "ZSTD_getErrorName")]
    private static extern IntPtr GetErrorName(nuint code);
}
