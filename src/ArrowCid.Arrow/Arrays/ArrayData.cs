using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// One immutable Arrow array of any type: the type, a logical length and offset, the buffers in
/// the order <see cref="TypeLayout"/> gives (a validity buffer may be empty, meaning all valid),
/// child arrays and, for dictionary types, the dictionary. Buffers are <see cref="ReadOnlyMemory{T}"/>
/// so they may be managed arrays, pooled memory, native memory or a memory-mapped file: readers
/// build arrays over the bytes they were handed without copying them.
/// </summary>
/// <remarks>
/// <para>Offsets: <see cref="Offset"/> applies to this array's own buffers. Children of structs and
/// sparse unions are aligned with the parent's logical slots (child slot i is parent slot i, so
/// slicing slices them too); children reached through offsets (lists, maps, dense unions, list
/// views, fixed-size lists, run-end encoded values) are addressed by those offsets plus their own
/// <see cref="Offset"/>.</para>
/// The constructor trusts its arguments; arrays built from untrusted bytes go through
/// ArrayValidator first (the IPC and C Data readers do this).
/// </remarks>
public sealed class ArrayData
{
    private int _nullCount;

    /// <summary>Creates an array. <paramref name="nullCount"/> of -1 means "count it when asked".</summary>
    public ArrayData(
        ArrowType type,
        int length,
        int nullCount,
        int offset,
        IEnumerable<ReadOnlyMemory<byte>> buffers,
        IEnumerable<ArrayData>? children = null,
        ArrayData? dictionary = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        Type = type;
        Length = length;
        Offset = offset;
        Buffers = [.. buffers];
        Children = children is null ? ImmutableArray<ArrayData>.Empty : [.. children];
        Dictionary = dictionary;
        _nullCount = nullCount;
    }

    /// <summary>Logical type.</summary>
    public ArrowType Type { get; }

    /// <summary>Number of slots.</summary>
    public int Length { get; }

    /// <summary>Slot offset into the buffers (non-zero after slicing).</summary>
    public int Offset { get; }

    /// <summary>Buffers in layout order.</summary>
    public ImmutableArray<ReadOnlyMemory<byte>> Buffers { get; }

    /// <summary>Child arrays (list values, struct members, union members, run ends and values…).</summary>
    public ImmutableArray<ArrayData> Children { get; }

    /// <summary>The dictionary of a dictionary-encoded array.</summary>
    public ArrayData? Dictionary { get; }

    /// <summary>The layout of <see cref="Type"/>.</summary>
    public TypeLayout Layout => Type.Layout;

    /// <summary>
    /// Number of null slots as the validity bitmap says (Null arrays: all; unions and run-end encoded
    /// arrays have no validity of their own, so 0, as in the IPC format).
    /// </summary>
    public int NullCount
    {
        get
        {
            if (_nullCount < 0)
            {
                _nullCount = ComputeNullCount();
            }

            return _nullCount;
        }
    }

    private int ComputeNullCount()
    {
        if (Type.PhysicalType.Id == ArrowTypeId.Null)
        {
            return Length;
        }

        var validity = ValidityBitmap;
        return validity.IsEmpty ? 0 : Length - BitUtil.CountSetBits(validity, Offset, Length);
    }

    /// <summary>The validity bitmap bytes (whole buffer, not shifted by <see cref="Offset"/>), or empty when every slot is valid.</summary>
    public ReadOnlySpan<byte> ValidityBitmap => Layout.HasValidity && Buffers.Length > 0 ? Buffers[0].Span : default;

    /// <summary>Whether slot <paramref name="index"/> holds a value (by this array's own validity).</summary>
    public bool IsValid(int index)
    {
        var t = Type.PhysicalType;
        switch (t.Id)
        {
            case ArrowTypeId.Null:
                return false;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
            {
                var (child, childIndex) = UnionChildSlot(index);
                return Children[child].IsValid(childIndex);
            }

            case ArrowTypeId.RunEndEncoded:
                return Children[1].IsValid(RunIndex(index));
            default:
                var validity = ValidityBitmap;
                return validity.IsEmpty || BitUtil.GetBit(validity, Offset + index);
        }
    }

    /// <summary>Whether slot <paramref name="index"/> is null.</summary>
    public bool IsNull(int index) => !IsValid(index);

    /// <summary>
    /// The fixed-width values of this array (after <see cref="Offset"/>), reinterpreted as
    /// <typeparamref name="T"/>: e.g. <c>GetValues&lt;int&gt;()</c> of an Int32 array, or
    /// <c>GetValues&lt;long&gt;()</c> of a Decimal128 array (two longs per slot).
    /// </summary>
    public ReadOnlySpan<T> GetValues<T>() where T : unmanaged
    {
        int bytesPerSlot = Layout.ValueBitWidth / 8;
        if (bytesPerSlot == 0)
        {
            throw new InvalidOperationException($"GetValues does not apply to {Type}");
        }

        var bytes = Buffers[1].Span.Slice(Offset * bytesPerSlot, Length * bytesPerSlot);
        return MemoryMarshal.Cast<byte, T>(bytes);
    }

    /// <summary>Boolean value of slot <paramref name="index"/>.</summary>
    public bool GetBoolean(int index) => BitUtil.GetBit(Buffers[1].Span, Offset + index);

    /// <summary>The bytes of slot <paramref name="index"/> of a binary, utf8 (any offset width), view or fixed-size binary array.</summary>
    public ReadOnlySpan<byte> GetBytes(int index)
    {
        int slot = Offset + index;
        switch (Type.PhysicalType.Id)
        {
            case ArrowTypeId.Binary or ArrowTypeId.Utf8:
            {
                var offsets = MemoryMarshal.Cast<byte, int>(Buffers[1].Span);
                return Buffers[2].Span[offsets[slot]..offsets[slot + 1]];
            }

            case ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
            {
                var offsets = MemoryMarshal.Cast<byte, long>(Buffers[1].Span);
                return Buffers[2].Span[checked((int)offsets[slot])..checked((int)offsets[slot + 1])];
            }

            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View:
            {
                var view = Buffers[1].Span.Slice(slot * 16, 16);
                int length = BinaryPrimitives.ReadInt32LittleEndian(view);
                if (length <= 12)
                {
                    return view.Slice(4, length);
                }

                int bufferIndex = BinaryPrimitives.ReadInt32LittleEndian(view[8..]);
                int offset = BinaryPrimitives.ReadInt32LittleEndian(view[12..]);
                return Buffers[2 + bufferIndex].Span.Slice(offset, length);
            }

            case ArrowTypeId.FixedSizeBinary:
            {
                int width = Type.PhysicalType.ByteWidth;
                return Buffers[1].Span.Slice(slot * width, width);
            }

            default:
                throw new InvalidOperationException($"GetBytes does not apply to {Type}");
        }
    }

    /// <summary>Slot <paramref name="index"/> of a utf8 array (any variant) decoded as a string.</summary>
    public string GetString(int index) => Encoding.UTF8.GetString(GetBytes(index));

    /// <summary>Start and end (exclusive) of slot <paramref name="index"/>'s items in the child of a list, large list, list view, fixed-size list or map.</summary>
    public (long Start, long End) GetListRange(int index)
    {
        int slot = Offset + index;
        var t = Type.PhysicalType;
        switch (t.Id)
        {
            case ArrowTypeId.List or ArrowTypeId.Map:
            {
                var offsets = MemoryMarshal.Cast<byte, int>(Buffers[1].Span);
                return (offsets[slot], offsets[slot + 1]);
            }

            case ArrowTypeId.LargeList:
            {
                var offsets = MemoryMarshal.Cast<byte, long>(Buffers[1].Span);
                return (offsets[slot], offsets[slot + 1]);
            }

            case ArrowTypeId.ListView:
            {
                int start = MemoryMarshal.Cast<byte, int>(Buffers[1].Span)[slot];
                return (start, start + (long)MemoryMarshal.Cast<byte, int>(Buffers[2].Span)[slot]);
            }

            case ArrowTypeId.LargeListView:
            {
                long start = MemoryMarshal.Cast<byte, long>(Buffers[1].Span)[slot];
                return (start, start + MemoryMarshal.Cast<byte, long>(Buffers[2].Span)[slot]);
            }

            case ArrowTypeId.FixedSizeList:
                return ((long)slot * t.ListSize, ((long)slot + 1) * t.ListSize);
            default:
                throw new InvalidOperationException($"GetListRange does not apply to {Type}");
        }
    }

    /// <summary>For a union: which child (position, not type code) slot <paramref name="index"/> selects and the slot within it.</summary>
    public (int Child, int ChildIndex) UnionChildSlot(int index)
    {
        var t = Type.PhysicalType;
        int slot = Offset + index;
        sbyte code = (sbyte)Buffers[0].Span[slot];
        int child = t.TypeCodes.IndexOf(code);
        if (child < 0)
        {
            throw new ArrowFormatException($"union type code {code} at slot {index} is not one of the type's codes");
        }

        // Sparse children are aligned with this array's logical slots (see the remarks on the class).
        int childIndex = t.Id == ArrowTypeId.DenseUnion ? MemoryMarshal.Cast<byte, int>(Buffers[1].Span)[slot] : index;
        return (child, childIndex);
    }

    /// <summary>For a run-end encoded array: the index of the run (in the values child) that slot <paramref name="index"/> falls in.</summary>
    public int RunIndex(int index)
    {
        var runEnds = Children[0];
        long logical = (long)Offset + index;
        int lo = runEnds.Offset, hi = runEnds.Offset + runEnds.Length - 1;
        // Binary search for the first run end greater than the logical position.
        while (lo < hi)
        {
            int mid = (int)(((uint)lo + (uint)hi) >> 1);
            if (IntegerSlots.RunEnd(runEnds, mid) > logical)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo - runEnds.Offset;
    }

    /// <summary>
    /// A zero-copy view of <paramref name="length"/> slots from <paramref name="offset"/>: buffers are
    /// shared and only the logical offset changes (children of structs and sparse unions are sliced
    /// with the parent; other children are addressed through offsets and stay as they are).
    /// </summary>
    public ArrayData Slice(int offset, int length)
    {
        if ((uint)offset > (uint)Length || (uint)length > (uint)(Length - offset))
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"slice [{offset}, {offset}+{length}) is outside an array of length {Length}");
        }

        var t = Type.PhysicalType;
        IEnumerable<ArrayData> children = t.Id switch
        {
            ArrowTypeId.Struct or ArrowTypeId.SparseUnion => Children.Select(c => c.Slice(offset, length)),
            _ => Children,
        };
        int nullCount = (offset == 0 && length == Length) ? _nullCount : (_nullCount == 0 ? 0 : -1);
        return new ArrayData(Type, length, nullCount, Offset + offset, Buffers, children, Dictionary);
    }

    /// <summary>Copy with another type of the same layout (e.g. an extension over its storage).</summary>
    public ArrayData WithType(ArrowType type) => new(type, Length, _nullCount, Offset, Buffers, Children, Dictionary);
}
