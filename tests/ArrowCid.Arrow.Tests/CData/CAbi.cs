using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Tests.CData;

/// <summary>
/// The C ABI seen from safe test code: structure sizes and field offsets written down from the C
/// declarations (every member is 8 bytes on a 64-bit platform), native allocation, and calls
/// through the function pointers in the structures. The test project does not allow unsafe code,
/// so this plays the part of a native consumer or producer.
/// </summary>
internal static class CAbi
{
    public const int SchemaSize = 72;
    public const int ArraySize = 80;
    public const int StreamSize = 40;

    // struct ArrowSchema
    public const int SchemaFormat = 0;
    public const int SchemaName = 8;
    public const int SchemaMetadata = 16;
    public const int SchemaFlags = 24;
    public const int SchemaNChildren = 32;
    public const int SchemaChildren = 40;
    public const int SchemaDictionary = 48;
    public const int SchemaRelease = 56;
    public const int SchemaPrivate = 64;

    // struct ArrowArray
    public const int ArrayLength = 0;
    public const int ArrayNullCount = 8;
    public const int ArrayOffset = 16;
    public const int ArrayNBuffers = 24;
    public const int ArrayNChildren = 32;
    public const int ArrayBuffers = 40;
    public const int ArrayChildren = 48;
    public const int ArrayDictionary = 56;
    public const int ArrayRelease = 64;
    public const int ArrayPrivate = 72;

    // struct ArrowArrayStream
    public const int StreamGetSchema = 0;
    public const int StreamGetNext = 8;
    public const int StreamGetLastError = 16;
    public const int StreamRelease = 24;
    public const int StreamPrivate = 32;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate void ReleaseCallback(nint structure);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate int GetCallback(nint stream, nint output);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    public delegate nint GetLastErrorCallback(nint stream);

    /// <summary>Zeroed native memory.</summary>
    public static nint Alloc(int size)
    {
        nint p = Marshal.AllocHGlobal(size);
        Marshal.Copy(new byte[size], 0, p, size);
        return p;
    }

    public static nint Read(nint structure, int offset) => Marshal.ReadIntPtr(structure, offset);

    public static long ReadLong(nint structure, int offset) => Marshal.ReadInt64(structure, offset);

    public static void Write(nint structure, int offset, nint value) => Marshal.WriteIntPtr(structure, offset, value);

    public static void WriteLong(nint structure, int offset, long value) => Marshal.WriteInt64(structure, offset, value);

    public static bool IsReleased(nint structure, int releaseOffset) => Read(structure, releaseOffset) == 0;

    /// <summary>Calls the release callback at <paramref name="releaseOffset"/> if the structure is live.</summary>
    public static void Release(nint structure, int releaseOffset)
    {
        nint release = Read(structure, releaseOffset);
        if (release != 0)
        {
            Marshal.GetDelegateForFunctionPointer<ReleaseCallback>(release)(structure);
        }
    }

    /// <summary>Releases (if live) and frees a structure allocated with <see cref="Alloc"/>.</summary>
    public static void Free(nint structure, int releaseOffset)
    {
        if (structure == 0)
        {
            return;
        }

        Release(structure, releaseOffset);
        Marshal.FreeHGlobal(structure);
    }

    public static int GetSchema(nint stream, nint output) =>
        Marshal.GetDelegateForFunctionPointer<GetCallback>(Read(stream, StreamGetSchema))(stream, output);

    public static int GetNext(nint stream, nint output) =>
        Marshal.GetDelegateForFunctionPointer<GetCallback>(Read(stream, StreamGetNext))(stream, output);

    public static string? GetLastError(nint stream) =>
        Marshal.PtrToStringUTF8(Marshal.GetDelegateForFunctionPointer<GetLastErrorCallback>(Read(stream, StreamGetLastError))(stream));

    /// <summary>A null-terminated UTF-8 copy of <paramref name="text"/> (free with Marshal.FreeHGlobal).</summary>
    public static nint Utf8(string text) => Marshal.StringToCoTaskMemUTF8(text);
}
