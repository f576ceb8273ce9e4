using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;

namespace ArrowCid.Content.Chunking;

/// <summary>
/// The canonical form of a range of rows of a batch that is already canonical — what
/// <c>CanonicalArrays.Normalize(batch.Slice(start, count))</c> gives, reached without its
/// general per-slot walk: the input's invariants (offsets from 0, nulls zeroed, canonical NaNs,
/// dictionaries of distinct values) leave only the range's own offsets to rebase, its bitmaps to
/// shift and its dictionaries to reorder by first use. Values, data bytes and child items stay
/// slices of the input (no copy). Types without a fast path here (views, list views, unions,
/// run-end encoded) go through the normaliser.
/// </summary>
internal static class CanonicalSlice
{
    /// <summary>Rows [start, start + count) of a canonical batch, canonical.</summary>
    public static RecordBatch Of(RecordBatch canonical, int start, int count)
    {
        if (start == 0 && count == canonical.Length)
        {
            return canonical;
        }

        var columns = new ArrayData[canonical.Columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            columns[c] = Of(canonical.Columns[c], start, count);
        }

        // Borrowed, as a slice is: the chunker's source batches are held until their chunks are stored.
        return RecordBatch.Borrowing(canonical.Schema, count, columns, canonical.Owner);
    }

    /// <summary>Logical slots [start, start + count) of a canonical array (offset 0), canonical.</summary>
    public static ArrayData Of(ArrayData a, int start, int count)
    {
        if (start == 0 && count == a.Length && a.Offset == 0)
        {
            return a;
        }

        var t = a.Type.PhysicalType;
        switch (t.Id)
        {
            case ArrowTypeId.Null:
                return new ArrayData(a.Type, count, count, 0, []);
            case ArrowTypeId.Boolean:
            {
                var (validity, nulls) = Validity(a, start, count);
                return new ArrayData(a.Type, count, nulls, 0, [validity, Bits(a.Buffers[1], a.Offset + start, count)]);
            }

            case ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8:
            {
                var (validity, nulls) = Validity(a, start, count);
                var (offsets, from, to) = Offsets(a.Buffers[1], a.Offset + start, count, t.Layout.Buffers[1] == BufferKind.Offsets64 ? 8 : 4);
                return new ArrayData(a.Type, count, nulls, 0, [validity, offsets, a.Buffers[2][checked((int)from)..checked((int)to)]]);
            }

            case ArrowTypeId.List or ArrowTypeId.Map or ArrowTypeId.LargeList:
            {
                var (validity, nulls) = Validity(a, start, count);
                var (offsets, from, to) = Offsets(a.Buffers[1], a.Offset + start, count, t.Id == ArrowTypeId.LargeList ? 8 : 4);
                var items = Of(a.Children[0], checked((int)from), checked((int)(to - from)));
                return new ArrayData(a.Type, count, nulls, 0, [validity, offsets], [items]);
            }

            case ArrowTypeId.FixedSizeList:
            {
                var (validity, nulls) = Validity(a, start, count);
                var items = Of(a.Children[0], checked((a.Offset + start) * t.ListSize), checked(count * t.ListSize));
                return new ArrayData(a.Type, count, nulls, 0, [validity], [items]);
            }

            case ArrowTypeId.Struct:
            {
                var (validity, nulls) = Validity(a, start, count);
                var children = a.Children.Select(child => Of(child, start, count)).ToArray();
                return new ArrayData(a.Type, count, nulls, 0, [validity], children);
            }

            case ArrowTypeId.Dictionary:
                return Dictionary(a, start, count);
            case ArrowTypeId.BinaryView or ArrowTypeId.Utf8View or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded:
                return CanonicalArrays.Normalize(a.Slice(start, count));
            default:
            {
                // Fixed-width values: already zero under nulls with canonical NaNs.
                var (validity, nulls) = Validity(a, start, count);
                int width = a.Layout.ValueBitWidth / 8;
                return new ArrayData(a.Type, count, nulls, 0, [validity, a.Buffers[1].Slice(checked((a.Offset + start) * width), checked(count * width))]);
            }
        }
    }

    /// <summary>
    /// Indices renumbered by first use within the range and the dictionary gathered in that order
    /// (the canonical input's dictionary has distinct, non-null values, so each used index is one
    /// value); unchanged when the range uses every value in dictionary order.
    /// </summary>
    private static ArrayData Dictionary(ArrayData a, int start, int count)
    {
        var (validity, nulls) = Validity(a, start, count);
        var rented = ArrayPool<int>.Shared.Rent(count);
        try
        {
            return Renumbered(a, start, count, validity, nulls, rented.AsSpan(0, count));
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static ArrayData Renumbered(ArrayData a, int start, int count, ReadOnlyMemory<byte> validity, int nulls, Span<int> mapped)
    {
        var dictionary = a.Dictionary!;
        int width = a.Type.PhysicalType.IndexType!.BitWidth / 8;
        var order = new List<int>();
        bool identity = DictionaryIndexOrder.Renumber(a, start, count, validity.Span, mapped, order);
        if (identity)
        {
            // The range uses the first values in dictionary order: indices as they are, the dictionary cut after them.
            return new ArrayData(a.Type, count, nulls, 0, [validity, a.Buffers[1].Slice((a.Offset + start) * width, count * width)], [], Of(dictionary, 0, order.Count));
        }

        // Every byte is written: no need to zero it first.
        var indices = GC.AllocateUninitializedArray<byte>(count * width);
        DictionaryIndexOrder.Write(mapped, indices, width);

        return new ArrayData(a.Type, count, nulls, 0, [validity, indices], [], ArrayNormalizer.Normalize(dictionary, SlotSelection.Explicit([.. order])));
    }

    /// <summary>The canonical validity of the range: none without nulls, else exactly its bits from bit 0 with the bits past the length zero.</summary>
    private static (ReadOnlyMemory<byte> Bits, int Nulls) Validity(ArrayData a, int start, int count)
    {
        if (a.NullCount == 0 || a.Buffers[0].IsEmpty)
        {
            return (ReadOnlyMemory<byte>.Empty, 0);
        }

        int nulls = count - BitUtil.CountSetBits(a.ValidityBitmap, a.Offset + start, count);
        return nulls == 0 ? (ReadOnlyMemory<byte>.Empty, 0) : (Bits(a.Buffers[0], a.Offset + start, count), nulls);
    }

    /// <summary>Bits [from, from + count) moved to bit 0, the bits past the count zero: a slice when they already are, else a copy.</summary>
    private static ReadOnlyMemory<byte> Bits(ReadOnlyMemory<byte> bits, int from, int count)
    {
        int bytes = (int)BitUtil.BytesForBits(count);
        if ((from & 7) == 0)
        {
            var slice = bits.Slice(from >> 3, bytes);
            int tail = count & 7;
            if (tail == 0 || (slice.Span[bytes - 1] >> tail) == 0)
            {
                return slice;
            }
        }

        var copy = new byte[bytes];
        BitUtil.CopyBits(bits.Span, from, count, copy);
        return copy;
    }

    /// <summary>The range's offsets rebased to start at 0 (a slice when they already do) and the span of the child or data they cover.</summary>
    private static (ReadOnlyMemory<byte> Offsets, long From, long To) Offsets(ReadOnlyMemory<byte> offsets, int start, int count, int width)
    {
        var slice = offsets.Slice(start * width, (count + 1) * width);
        if (width == 4)
        {
            var values = MemoryMarshal.Cast<byte, int>(slice.Span);
            int first = values[0];
            if (first == 0)
            {
                return (slice, 0, values[count]);
            }

            var rebased = GC.AllocateUninitializedArray<byte>((count + 1) * 4);
            OffsetShift.Add(values, MemoryMarshal.Cast<byte, int>(rebased.AsSpan()), -first);

            return (rebased, first, values[count]);
        }

        long first64 = BinaryPrimitives.ReadInt64LittleEndian(slice.Span);
        long last64 = BinaryPrimitives.ReadInt64LittleEndian(slice.Span[(count * 8)..]);
        if (first64 == 0)
        {
            return (slice, 0, last64);
        }

        var rebased64 = GC.AllocateUninitializedArray<byte>((count + 1) * 8);
        for (int i = 0; i <= count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(rebased64.AsSpan(i * 8), BinaryPrimitives.ReadInt64LittleEndian(slice.Span[(i * 8)..]) - first64);
        }

        return (rebased64, first64, last64);
    }
}
