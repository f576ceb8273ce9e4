using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.CData;

// The three structures of the Arrow C Data and C Stream Interfaces (CDataInterface.rst,
// CStreamInterface.rst), field for field in C declaration order so that they are blittable and
// have the C layout on every 64-bit platform. Callbacks are unmanaged function pointers.
// Fields are public because these are the ABI itself: native code reads and writes them directly.
#pragma warning disable CA1051 // visible instance fields: the C ABI requires these exact fields
#pragma warning disable CA1815 // value equality makes no sense for ABI structs
#pragma warning disable CA1711 // CArrowArrayStream mirrors the C name ArrowArrayStream

/// <summary>
/// <c>struct ArrowSchema</c>: the type, name, metadata and flags of an exported field or record
/// batch. Allocate it where it will not move (native memory, or a stack slot that outlives the call),
/// e.g. with <see cref="CArrowSchema.Allocate"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CArrowSchema
{
    /// <summary>Null-terminated UTF-8 format string (e.g. <c>i</c>, <c>+s</c>, <c>tsu:UTC</c>).</summary>
    public byte* Format;
    /// <summary>Null-terminated UTF-8 field name, or null.</summary>
    public byte* Name;
    /// <summary>Binary key/value metadata (int32 count, then length-prefixed keys and values), or null.</summary>
    public byte* Metadata;
    /// <summary>OR of <see cref="CArrowFlags"/> values.</summary>
    public long Flags;
    /// <summary>Number of child schemas.</summary>
    public long NChildren;
    /// <summary>Array of <see cref="NChildren"/> child pointers.</summary>
    public CArrowSchema** Children;
    /// <summary>Schema of the dictionary values of a dictionary-encoded type, else null.</summary>
    public CArrowSchema* Dictionary;
    /// <summary>Producer's release callback; null marks a released structure.</summary>
    public delegate* unmanaged<CArrowSchema*, void> Release;
    /// <summary>Producer's bookkeeping.</summary>
    public void* PrivateData;

    /// <summary>Allocates a zeroed (released) schema structure in native memory; free it with <see cref="Free(CArrowSchema*)"/>.</summary>
    public static CArrowSchema* Allocate() => (CArrowSchema*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowSchema));

    /// <summary>As <see cref="Allocate"/>, as an address (for callers without unsafe code); free it with <see cref="Free(nint)"/>.</summary>
    public static nint AllocateAddress() => (nint)Allocate();

    /// <summary>As <see cref="Free(CArrowSchema*)"/>, given the structure's address.</summary>
    public static void Free(nint address) => Free((CArrowSchema*)address);

    /// <summary>Releases <paramref name="schema"/> if it is still live, then frees the structure itself.</summary>
    public static void Free(CArrowSchema* schema)
    {
        if (schema == null)
        {
            return;
        }

        if (schema->Release != null)
        {
            schema->Release(schema);
        }

        NativeMemory.Free(schema);
    }
}

/// <summary>
/// <c>struct ArrowArray</c>: the data of an exported array or record batch (as a struct array).
/// Allocate it where it will not move, e.g. with <see cref="CArrowArray.Allocate"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CArrowArray
{
    /// <summary>Logical length.</summary>
    public long Length;
    /// <summary>Number of null slots, or -1 when not computed.</summary>
    public long NullCount;
    /// <summary>Logical offset into the buffers.</summary>
    public long Offset;
    /// <summary>Number of buffers.</summary>
    public long NBuffers;
    /// <summary>Number of children.</summary>
    public long NChildren;
    /// <summary>Array of <see cref="NBuffers"/> buffer pointers (each may be null when empty or an absent validity bitmap).</summary>
    public void** Buffers;
    /// <summary>Array of <see cref="NChildren"/> child pointers.</summary>
    public CArrowArray** Children;
    /// <summary>Dictionary values of a dictionary-encoded array, else null.</summary>
    public CArrowArray* Dictionary;
    /// <summary>Producer's release callback; null marks a released structure.</summary>
    public delegate* unmanaged<CArrowArray*, void> Release;
    /// <summary>Producer's bookkeeping.</summary>
    public void* PrivateData;

    /// <summary>Allocates a zeroed (released) array structure in native memory; free it with <see cref="Free(CArrowArray*)"/>.</summary>
    public static CArrowArray* Allocate() => (CArrowArray*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArray));

    /// <summary>As <see cref="Allocate"/>, as an address (for callers without unsafe code); free it with <see cref="Free(nint)"/>.</summary>
    public static nint AllocateAddress() => (nint)Allocate();

    /// <summary>As <see cref="Free(CArrowArray*)"/>, given the structure's address.</summary>
    public static void Free(nint address) => Free((CArrowArray*)address);

    /// <summary>Releases <paramref name="array"/> if it is still live, then frees the structure itself.</summary>
    public static void Free(CArrowArray* array)
    {
        if (array == null)
        {
            return;
        }

        if (array->Release != null)
        {
            array->Release(array);
        }

        NativeMemory.Free(array);
    }
}

/// <summary>
/// <c>struct ArrowArrayStream</c>: a pull-style stream of arrays of one schema. Allocate it where it
/// will not move, e.g. with <see cref="CArrowArrayStream.Allocate"/>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct CArrowArrayStream
{
    /// <summary>Writes the stream's schema into the out structure; returns 0 or an errno value.</summary>
    public delegate* unmanaged<CArrowArrayStream*, CArrowSchema*, int> GetSchema;
    /// <summary>Writes the next array (or a released structure at the end) into the out structure; returns 0 or an errno value.</summary>
    public delegate* unmanaged<CArrowArrayStream*, CArrowArray*, int> GetNext;
    /// <summary>Describes the last error (valid until the next call), or null.</summary>
    public delegate* unmanaged<CArrowArrayStream*, byte*> GetLastError;
    /// <summary>Producer's release callback; null marks a released structure.</summary>
    public delegate* unmanaged<CArrowArrayStream*, void> Release;
    /// <summary>Producer's bookkeeping.</summary>
    public void* PrivateData;

    /// <summary>Allocates a zeroed (released) stream structure in native memory; free it with <see cref="Free"/>.</summary>
    public static CArrowArrayStream* Allocate() => (CArrowArrayStream*)NativeMemory.AllocZeroed((nuint)sizeof(CArrowArrayStream));

    /// <summary>Releases <paramref name="stream"/> if it is still live, then frees the structure itself.</summary>
    public static void Free(CArrowArrayStream* stream)
    {
        if (stream == null)
        {
            return;
        }

        if (stream->Release != null)
        {
            stream->Release(stream);
        }

        NativeMemory.Free(stream);
    }
}

/// <summary>The <c>ArrowSchema.flags</c> bits.</summary>
public static class CArrowFlags
{
    /// <summary>ARROW_FLAG_DICTIONARY_ORDERED: dictionary indices are ordered.</summary>
    public const long DictionaryOrdered = 1;
    /// <summary>ARROW_FLAG_NULLABLE: the field may hold nulls.</summary>
    public const long Nullable = 2;
    /// <summary>ARROW_FLAG_MAP_KEYS_SORTED: keys are sorted within each map entry list.</summary>
    public const long MapKeysSorted = 4;
}
