using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace ArrowCid.Native;

/// <summary>Library-wide entry points of include/arrowcid.h: the version, the instruction-set level, the last error, freeing text.</summary>
internal static unsafe class NativeExports
{
    private static readonly byte* Version = NativeText.Permanent(
        typeof(NativeExports).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0");

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_version")]
    public static byte* ArrowCidVersion() => Version;

    private static readonly byte* Isa = NativeText.Permanent(IsaLevel());

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_isa")]
    public static byte* ArrowCidIsa() => Isa;

    /// <summary>
    /// The x86-64 level this code runs with. In a NativeAOT build each IsSupported is fixed when
    /// the library is compiled, so this is the level it was built for (libarrowcid.so loads the
    /// best build the CPU runs); under a JIT it is the CPU's.
    /// </summary>
    internal static string IsaLevel()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        }

        if (Avx512F.IsSupported && Avx512F.VL.IsSupported && Avx512BW.IsSupported && Avx512CD.IsSupported && Avx512DQ.IsSupported)
        {
            return "x86-64-v4";
        }

        if (Avx2.IsSupported && Bmi1.IsSupported && Bmi2.IsSupported && Fma.IsSupported && Lzcnt.IsSupported)
        {
            return "x86-64-v3";
        }

        return Sse42.IsSupported && Popcnt.IsSupported ? "x86-64-v2" : "x86-64";
    }

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_last_error")]
    public static byte* ArrowCidLastError() => NativeErrors.LastError;

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_free")]
    public static void ArrowCidFree(byte* text) => NativeMemory.Free(text);
}
