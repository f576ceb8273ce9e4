using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Exports arrays and record batches as <c>struct ArrowArray</c> without copying their buffers:
/// each buffer is pinned (<see cref="ReadOnlyMemory{T}.Pin"/>) and its address handed out. The pins,
/// the arrays themselves and an optional keep-alive object are held by the structure's private
/// data until the consumer calls release, so the memory stays valid even if the caller drops or
/// disposes its own references first.
/// </summary>
/// <remarks>
/// Where our model and the C Data Interface differ, the export adapts: an absent validity bitmap is
/// a null pointer; empty non-validity buffers point at a shared block of zeros; view arrays get the
/// trailing int64 buffer of variadic buffer sizes; struct and sparse-union children, which our
/// model keeps aligned with the parent's logical slots, are widened so that the parent's C offset
/// applies to them as C consumers expect (a child whose own offset is too small for that is the one
/// case that is materialised with a copy, through <see cref="ArrayConcatenation"/>).
/// </remarks>
public static unsafe class CArrowArrayExporter
{
    // Target of empty non-validity buffers: some consumers read offsets[0] even of empty arrays.
    // Allocated once for the life of the process and never written.
    private static readonly nint Zeros = (nint)NativeMemory.AllocZeroed(64);

    /// <summary>
    /// Exports <paramref name="array"/> into <paramref name="output"/>. <paramref name="keepAlive"/>
    /// (optional, e.g. the lease of a mapped batch) is disposed when the consumer releases the structure.
    /// </summary>
    public static void Export(ArrayData array, CArrowArray* output, IDisposable? keepAlive = null)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (output == null)
        {
            throw new ArgumentNullException(nameof(output));
        }

        ExportTop(array, output, keepAlive);
    }

    /// <summary>
    /// Exports a record batch as a struct array (no nulls, offset 0, one child per column).
    /// <paramref name="keepAlive"/> is disposed when the consumer releases the structure. When the
    /// batch's memory has a shared owner (a mapping, a segment, an import), the export takes its own
    /// reference on it, so the memory stays valid after the batch is disposed.
    /// </summary>
    public static void Export(RecordBatch batch, CArrowArray* output, IDisposable? keepAlive = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var ownerReference = batch.Owner?.Acquire();
        Export(AsStruct(batch), output, ownerReference is null ? keepAlive : new CompositeDisposable(ownerReference, keepAlive));
    }

    /// <summary>Disposes both (either may be null) when the consumer releases the export.</summary>
    private sealed class CompositeDisposable(IDisposable first, IDisposable? second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second?.Dispose();
        }
    }

    /// <summary>Exports <paramref name="array"/> into the <c>ArrowArray</c> at address <paramref name="output"/> (for callers without unsafe code).</summary>
    public static void Export(ArrayData array, nint output, IDisposable? keepAlive = null) => Export(array, (CArrowArray*)output, keepAlive);

    /// <summary>Exports a record batch into the <c>ArrowArray</c> at address <paramref name="output"/>.</summary>
    public static void Export(RecordBatch batch, nint output, IDisposable? keepAlive = null) => Export(batch, (CArrowArray*)output, keepAlive);

    internal static ArrayData AsStruct(RecordBatch batch) =>
        new(ArrowType.Struct(batch.Schema.Fields), batch.Length, 0, 0, [ReadOnlyMemory<byte>.Empty], batch.Columns);

    private static void ExportTop(ArrayData array, CArrowArray* output, IDisposable? keepAlive)
    {
        if (!Aligned(array, 0))
        {
            // A struct child starts before its parent's offset: rewrite the subtree at offset 0.
            array = ArrayConcatenation.Concatenate([array, array.Slice(0, 0)]);
        }

        ExportNode(array, output, 0, keepAlive);
    }

    /// <summary>Whether <paramref name="array"/> can be exported with <paramref name="prefix"/> extra slots before its offset.</summary>
    private static bool Aligned(ArrayData array, int prefix)
    {
        if (array.Offset < prefix)
        {
            return false;
        }

        var id = array.Type.PhysicalType.Id;
        if (id is ArrowTypeId.Struct or ArrowTypeId.SparseUnion)
        {
            foreach (var child in array.Children)
            {
                if (!Aligned(child, array.Offset))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Fills <paramref name="output"/> with <paramref name="array"/> seen as a C array of
    /// <c>prefix + Length</c> slots at C offset <c>Offset - prefix</c>: C slot k is our slot
    /// k - prefix. The prefix exists because C consumers slice struct and sparse-union children by
    /// the parent's offset, which our model has already applied.
    /// </summary>
    private static void ExportNode(ArrayData array, CArrowArray* output, int prefix, IDisposable? keepAlive)
    {
        var node = new ExportedNode(array, keepAlive);
        try
        {
            var physical = array.Type.PhysicalType;
            var layout = physical.Layout;
            long length = (long)array.Length + prefix;
            long nullCount = physical.Id == ArrowTypeId.Null ? length
                : !layout.HasValidity ? 0
                : prefix == 0 ? array.NullCount : -1;

            bool views = layout.HasVariadicBuffers;
            int variadic = views ? array.Buffers.Length - layout.Buffers.Length : 0;
            int nBuffers = array.Buffers.Length + (views ? 1 : 0);
            var buffers = (void**)node.Owned.Alloc((long)nBuffers * sizeof(void*));
            for (int i = 0; i < array.Buffers.Length; i++)
            {
                var buffer = array.Buffers[i];
                if (buffer.IsEmpty)
                {
                    buffers[i] = i == 0 && layout.HasValidity ? null : (void*)Zeros;
                    continue;
                }

                var pin = buffer.Pin();
                node.Pins.Add(pin);
                buffers[i] = pin.Pointer;
            }

            if (views)
            {
                var sizes = (long*)node.Owned.Alloc((long)Math.Max(1, variadic) * sizeof(long));
                for (int v = 0; v < variadic; v++)
                {
                    sizes[v] = array.Buffers[layout.Buffers.Length + v].Length;
                }

                buffers[nBuffers - 1] = sizes;
            }

            int childPrefix = physical.Id is ArrowTypeId.Struct or ArrowTypeId.SparseUnion ? array.Offset : 0;
            int nChildren = array.Children.Length;
            var children = (CArrowArray**)node.Owned.Alloc((long)nChildren * sizeof(CArrowArray*));
            for (int i = 0; i < nChildren; i++)
            {
                var child = (CArrowArray*)node.Owned.Alloc(sizeof(CArrowArray));
                if (childPrefix == 0)
                {
                    ExportTop(array.Children[i], child, null);
                }
                else
                {
                    ExportNode(array.Children[i], child, childPrefix, null);
                }

                node.Filled.Add((nint)child);
                children[i] = child;
            }

            CArrowArray* dictionary = null;
            if (physical.Id == ArrowTypeId.Dictionary)
            {
                dictionary = (CArrowArray*)node.Owned.Alloc(sizeof(CArrowArray));
                ExportTop(array.Dictionary ?? throw new ArgumentException("a dictionary-encoded array has no dictionary", nameof(array)), dictionary, null);
                node.Filled.Add((nint)dictionary);
            }

            output->Length = length;
            output->NullCount = nullCount;
            output->Offset = array.Offset - prefix;
            output->NBuffers = nBuffers;
            output->NChildren = nChildren;
            output->Buffers = buffers;
            output->Children = children;
            output->Dictionary = dictionary;
            output->PrivateData = (void*)GCHandle.ToIntPtr(GCHandle.Alloc(node));
            output->Release = &Release;
        }
        catch
        {
            node.Free(releaseChildren: true, disposeKeepAlive: false);
            throw;
        }
    }

    // Called by native code: must never throw. Releases the children and dictionary (whose
    // structures this one owns), unpins the buffers, frees this structure's allocations, marks it released.
    [UnmanagedCallersOnly]
    private static void Release(CArrowArray* array)
    {
        if (array == null || array->Release == null)
        {
            return;
        }

        try
        {
            if (array->PrivateData != null)
            {
                var handle = GCHandle.FromIntPtr((nint)array->PrivateData);
                (handle.Target as ExportedNode)?.Free(releaseChildren: true, disposeKeepAlive: true);
                handle.Free();
            }
        }
#pragma warning disable CA1031 // an exception must not cross into native code
        catch (Exception)
#pragma warning restore CA1031
        {
            // Nothing sensible can be reported from a release callback.
        }

        array->PrivateData = null;
        array->Release = null;
    }

    /// <summary>What one exported structure holds on to until it is released.</summary>
    private sealed class ExportedNode(ArrayData array, IDisposable? keepAlive)
    {
        public NativeAllocations Owned { get; } = new();

        public List<MemoryHandle> Pins { get; } = [];

        /// <summary>Child and dictionary structures filled so far (released with this one).</summary>
        public List<nint> Filled { get; } = [];

        /// <summary>The exported array: keeps managed buffers (and native owners) reachable.</summary>
        public ArrayData Array { get; } = array;

        public void Free(bool releaseChildren, bool disposeKeepAlive)
        {
            if (releaseChildren)
            {
                foreach (nint p in Filled)
                {
                    var child = (CArrowArray*)p;
                    if (child->Release != null)
                    {
                        child->Release(child);
                    }
                }
            }

            Filled.Clear();
            foreach (var pin in Pins)
            {
                pin.Dispose();
            }

            Pins.Clear();
            Owned.FreeAll();
            if (disposeKeepAlive)
            {
                keepAlive?.Dispose();
            }
        }
    }
}
