using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Imports <c>struct ArrowArray</c> without copying: every buffer becomes a
/// <see cref="ReadOnlyMemory{T}"/> over the producer's memory, sized from the type, length and
/// offset (var-binary data by its last offset, view data by the variadic sizes buffer). The
/// structure is moved (the caller's copy is marked released) into one <see cref="SharedLease"/>
/// whose last reference calls the producer's release callback. The result is checked with
/// <see cref="ArrayValidator"/> (structural level) before it is returned: imports are untrusted.
/// </summary>
/// <remarks>
/// Offsets: a C parent's offset applies to its struct and sparse-union children, which are
/// sliced by it here, so that in the imported model they are aligned with the parent's logical
/// slots. Every other offset is kept as <see cref="ArrayData.Offset"/>.
/// </remarks>
public static unsafe class CArrowArrayImporter
{
    /// <summary>Imports a record batch exported as a struct array of <paramref name="schema"/>'s fields; dispose the batch to release the producer's memory.</summary>
    public static RecordBatch ImportRecordBatch(CArrowArray* array, Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var (data, lease) = Import(array, ArrowType.Struct(schema.Fields));
        try
        {
            if (data.NullCount != 0)
            {
                throw new ArrowFormatException($"a record batch cannot have null rows (the struct array has {data.NullCount})");
            }

            // The lease is the batch's shared owner: a consumer that keeps the rows past the
            // batch's dispose (a pipelined put, an export) takes its own reference on it.
            return new RecordBatch(schema, data.Length, data.Children, lease);
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>Imports schema and record batch together (both structures are consumed).</summary>
    public static RecordBatch ImportRecordBatch(CArrowArray* array, CArrowSchema* schema)
    {
        Schema imported;
        try
        {
            imported = CArrowSchemaImporter.ImportSchema(schema);
        }
        catch
        {
            ReleaseIfLive(array);
            throw;
        }

        return ImportRecordBatch(array, imported);
    }

    /// <summary>Imports one array of <paramref name="type"/>; dispose the result to release the producer's memory.</summary>
    public static ImportedArray ImportArray(CArrowArray* array, ArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var (data, lease) = Import(array, type);
        try
        {
            return new ImportedArray(data, lease.Acquire());
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>Imports type and array together (both structures are consumed).</summary>
    public static ImportedArray ImportArray(CArrowArray* array, CArrowSchema* schema)
    {
        ArrowType type;
        try
        {
            type = CArrowSchemaImporter.ImportType(schema);
        }
        catch
        {
            ReleaseIfLive(array);
            throw;
        }

        return ImportArray(array, type);
    }

    /// <summary>Imports a record batch from the <c>ArrowArray</c> at address <paramref name="array"/> (for callers without unsafe code).</summary>
    public static RecordBatch ImportRecordBatch(nint array, Schema schema) => ImportRecordBatch((CArrowArray*)array, schema);

    /// <summary>Imports a record batch from the structures at addresses <paramref name="array"/> and <paramref name="schema"/>.</summary>
    public static RecordBatch ImportRecordBatch(nint array, nint schema) => ImportRecordBatch((CArrowArray*)array, (CArrowSchema*)schema);

    /// <summary>Imports one array from the <c>ArrowArray</c> at address <paramref name="array"/>.</summary>
    public static ImportedArray ImportArray(nint array, ArrowType type) => ImportArray((CArrowArray*)array, type);

    /// <summary>Imports one array from the structures at addresses <paramref name="array"/> and <paramref name="schema"/>.</summary>
    public static ImportedArray ImportArray(nint array, nint schema) => ImportArray((CArrowArray*)array, (CArrowSchema*)schema);

    private static void ReleaseIfLive(CArrowArray* array)
    {
        if (array != null && array->Release != null)
        {
            array->Release(array);
        }
    }

    /// <summary>Moves the structure into a lease, builds and validates the array; on failure the producer's memory is released.</summary>
    private static (ArrayData Data, SharedLease Lease) Import(CArrowArray* array, ArrowType type)
    {
        if (array == null)
        {
            throw new ArgumentNullException(nameof(array));
        }

        if (array->Release == null)
        {
            throw new ArrowFormatException("the ArrowArray has already been released");
        }

        // Move: bitwise copy to memory we own, then mark the caller's structure released.
        var moved = (CArrowArray*)NativeMemory.Alloc((nuint)sizeof(CArrowArray));
        *moved = *array;
        array->Release = null;
        var lease = new SharedLease(new ImportedArrayOwner(moved));
        try
        {
            var data = new Reader(lease).Read(moved, type, 0, "array");
            ArrayValidator.Validate(data);
            return (data, lease);
        }
        catch
        {
            lease.Release();
            throw;
        }
    }

    private sealed class Reader(SharedLease lease)
    {
        public ArrayData Read(CArrowArray* c, ArrowType type, int depth, string path)
        {
            if (depth > ArrayValidator.MaxDepth)
            {
                throw new ArrowFormatException($"{path}: nested deeper than {ArrayValidator.MaxDepth} levels") { Path = path };
            }

            if (c == null)
            {
                throw new ArrowFormatException($"{path}: null ArrowArray pointer") { Path = path };
            }

            var physical = type.PhysicalType;
            var layout = physical.Layout;
            if (c->Length < 0 || c->Offset < 0 || c->Length > int.MaxValue || c->Offset > int.MaxValue - c->Length)
            {
                throw new ArrowFormatException($"{path}: length {c->Length} and offset {c->Offset} must be non-negative and fit in 32 bits together") { Path = path };
            }

            int length = (int)c->Length, offset = (int)c->Offset;
            CheckCounts(c, physical, layout, path);
            var buffers = ReadBuffers(c, physical, layout, length, offset, path);

            int nullCount = -1;
            if (layout.HasValidity)
            {
                if (c->NullCount < -1 || c->NullCount > length)
                {
                    throw new ArrowFormatException($"{path}: null count {c->NullCount} is invalid for {length} slots") { Path = path };
                }

                if (c->NullCount > 0 && buffers[0].IsEmpty)
                {
                    throw new ArrowFormatException($"{path}: null count {c->NullCount} but no validity bitmap") { Path = path };
                }

                nullCount = (int)c->NullCount;
            }

            var children = new ArrayData[physical.Id == ArrowTypeId.Dictionary ? 0 : physical.Children.Length];
            bool aligned = physical.Id is ArrowTypeId.Struct or ArrowTypeId.SparseUnion;
            for (int i = 0; i < children.Length; i++)
            {
                var field = physical.Children[i];
                string childPath = $"{path}/child {i} '{field.Name}'";
                var child = Read(c->Children[i], field.Type, depth + 1, childPath);
                if (aligned)
                {
                    // C slices these children by the parent's offset; our model keeps them sliced.
                    if ((long)child.Length < (long)offset + length)
                    {
                        throw new ArrowFormatException($"{childPath}: has {child.Length} slots, the parent needs {(long)offset + length} (offset {offset} + length {length})") { Path = childPath };
                    }

                    child = child.Slice(offset, length);
                }

                children[i] = child;
            }

            ArrayData? dictionary = physical.Id == ArrowTypeId.Dictionary
                ? Read(c->Dictionary, physical.ValueType!, depth + 1, path + "/dictionary")
                : null;
            return new ArrayData(type, length, nullCount, offset, buffers, children, dictionary);
        }

        private static void CheckCounts(CArrowArray* c, ArrowType physical, TypeLayout layout, string path)
        {
            long n = c->NBuffers;
            bool buffersOk = physical.Id switch
            {
                ArrowTypeId.Null => n is 0 or 1, // some producers keep a (null) validity slot
                _ when layout.HasVariadicBuffers => n >= layout.Buffers.Length + 1 && n <= int.MaxValue,
                _ => n == layout.Buffers.Length,
            };
            if (!buffersOk)
            {
                string needs = layout.HasVariadicBuffers ? $"at least {layout.Buffers.Length + 1}" : layout.Buffers.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
                throw new ArrowFormatException($"{path}: {physical} has {n} buffers, needs {needs}") { Path = path };
            }

            if (n > 0 && c->Buffers == null)
            {
                throw new ArrowFormatException($"{path}: {n} buffers but the buffers pointer is null") { Path = path };
            }

            long children = physical.Id == ArrowTypeId.Dictionary ? 0 : physical.Children.Length;
            if (c->NChildren != children)
            {
                throw new ArrowFormatException($"{path}: {physical} has {c->NChildren} children, needs {children}") { Path = path };
            }

            if (children > 0 && c->Children == null)
            {
                throw new ArrowFormatException($"{path}: {children} children but the children pointer is null") { Path = path };
            }

            bool isDictionary = physical.Id == ArrowTypeId.Dictionary;
            if (isDictionary != (c->Dictionary != null))
            {
                throw new ArrowFormatException(isDictionary ? $"{path}: a dictionary-encoded array has no dictionary" : $"{path}: {physical} must not have a dictionary");
            }
        }

        private ReadOnlyMemory<byte>[] ReadBuffers(CArrowArray* c, ArrowType physical, TypeLayout layout, int length, int offset, string path)
        {
            if (physical.Id == ArrowTypeId.Null)
            {
                return [];
            }

            long slots = (long)offset + length;
            bool listView = physical.Id is ArrowTypeId.ListView or ArrowTypeId.LargeListView;
            int fixedCount = layout.Buffers.Length;
            int variadic = layout.HasVariadicBuffers ? (int)c->NBuffers - fixedCount - 1 : 0;
            var result = new ReadOnlyMemory<byte>[fixedCount + variadic];
            for (int i = 0; i < fixedCount; i++)
            {
                var kind = layout.Buffers[i];
                byte* p = (byte*)c->Buffers[i];
                long size = kind switch
                {
                    BufferKind.Validity => p == null ? 0 : (slots + 7) / 8,
                    BufferKind.Bits => (slots + 7) / 8,
                    BufferKind.FixedWidth => slots * (layout.ValueBitWidth / 8),
                    BufferKind.Offsets32 when listView => slots * 4,
                    BufferKind.Offsets64 when listView => slots * 8,
                    // An empty array may leave out its offsets; otherwise there is one more than slots.
                    BufferKind.Offsets32 => length == 0 && p == null ? 0 : (slots + 1) * 4,
                    BufferKind.Offsets64 => length == 0 && p == null ? 0 : (slots + 1) * 8,
                    BufferKind.Data => DataLength(result[i - 1], kind: layout.Buffers[i - 1], length, offset, path),
                    BufferKind.Views => slots * 16,
                    BufferKind.Sizes32 or BufferKind.UnionOffsets => slots * 4,
                    BufferKind.Sizes64 => slots * 8,
                    BufferKind.TypeIds => slots,
                    _ => throw new ArrowFormatException($"{path}: unexpected buffer kind {kind}") { Path = path },
                };
                result[i] = Wrap(p, size, $"{path}: buffer {i} ({kind})");
            }

            if (layout.HasVariadicBuffers)
            {
                var sizes = (long*)c->Buffers[c->NBuffers - 1];
                if (variadic > 0 && sizes == null)
                {
                    throw new ArrowFormatException($"{path}: {variadic} variadic buffers but the sizes buffer is null") { Path = path };
                }

                for (int v = 0; v < variadic; v++)
                {
                    result[fixedCount + v] = Wrap((byte*)c->Buffers[fixedCount + v], sizes[v], $"{path}: variadic buffer {v}");
                }
            }

            return result;
        }

        private static long DataLength(ReadOnlyMemory<byte> offsets, BufferKind kind, int length, int offset, string path)
        {
            if (length == 0 || offsets.IsEmpty)
            {
                return 0;
            }

            int last = offset + length;
            long end = kind == BufferKind.Offsets64
                ? MemoryMarshal.Cast<byte, long>(offsets.Span)[last]
                : MemoryMarshal.Cast<byte, int>(offsets.Span)[last];
            if (end < 0)
            {
                throw new ArrowFormatException($"{path}: last offset {end} is negative") { Path = path };
            }

            return end;
        }

        private ReadOnlyMemory<byte> Wrap(byte* pointer, long size, string what)
        {
            if (size < 0 || size > int.MaxValue)
            {
                throw new ArrowFormatException($"{what}: size {size} is outside 0..{int.MaxValue}");
            }

            if (size == 0)
            {
                return ReadOnlyMemory<byte>.Empty;
            }

            if (pointer == null)
            {
                throw new ArrowFormatException($"{what}: null pointer for a buffer of {size} bytes");
            }

            return new NativeBufferManager(pointer, (int)size, lease).Memory;
        }
    }
}

/// <summary>
/// An array imported through the C Data Interface together with its hold on the producer's
/// memory: dispose it (once every user of <see cref="Array"/> is done) to release that memory.
/// </summary>
public sealed class ImportedArray : IDisposable
{
    private IDisposable? _reference;

    internal ImportedArray(ArrayData array, IDisposable reference)
    {
        Array = array;
        _reference = reference;
    }

    /// <summary>The imported array (valid until <see cref="Dispose"/>).</summary>
    public ArrayData Array { get; }

    /// <summary>Drops this hold on the producer's memory; the release callback runs when no hold is left.</summary>
    public void Dispose() => Interlocked.Exchange(ref _reference, null)?.Dispose();
}
