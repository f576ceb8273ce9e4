using System.Runtime.InteropServices;

namespace ArrowCid.Native;

/// <summary>Library-wide entry points of include/arrowcid.h: the version, the last error, freeing text.</summary>
internal static unsafe class NativeExports
{
    private static readonly byte* Version = NativeText.Permanent(
        typeof(NativeExports).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.0.0");

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_version")]
    public static byte* ArrowCidVersion() => Version;

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_last_error")]
    public static byte* ArrowCidLastError() => NativeErrors.LastError;

    [UnmanagedCallersOnly(EntryPoint = "arrowcid_free")]
    public static void ArrowCidFree(byte* text) => NativeMemory.Free(text);
}
