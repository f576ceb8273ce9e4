using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Shredding of a top-level primitive column (no struct or list above it) in bulk, the common
/// case of tabular data: there are no repetition levels, the definition level of a slot is its
/// validity bit, and values whose Parquet form is their Arrow bytes (same-width integers,
/// floats, fixed-size binary, and binary/utf8 through their offsets) are copied as spans, with
/// null slots compacted away only when there are nulls. The result is the same
/// <see cref="ColumnBuffer"/> content as <see cref="LevelShredder"/>'s value-by-value walk
/// (tests compare the two); anything else (dictionary-encoded arrays, views, widening or
/// scaled conversions, decimals, Arrow null) is left to that walk.
/// </summary>
internal static class FlatShredder
{
    /// <summary>Whether <paramref name="leaf"/> can ever take the bulk path (the array's type is checked per batch).</summary>
    public static bool Applies(LeafPlan leaf) =>
        leaf.Chain.Count == 1 && leaf.Chain[0].Kind == ShredKind.Leaf && leaf.MaxRepetitionLevel == 0
        && leaf.Conversion is ValueConversion.Boolean or ValueConversion.RawSlot or ValueConversion.Bytes
            or ValueConversion.SignedInteger or ValueConversion.UnsignedInteger;

    /// <summary>Shreds all of <paramref name="array"/> into <paramref name="sink"/>; false (nothing added) when its type needs the general walk.</summary>
    public static bool TryShred(LeafPlan leaf, ArrayData array, ColumnBuffer sink)
    {
        ArrowType type = array.Type.PhysicalType;
        if (!Supported(leaf, type))
        {
            return false;
        }
        int length = array.Length;
        int nulls = array.NullCount;
        if (nulls > 0 && !leaf.Chain[0].Optional)
        {
            throw new ArgumentException($"column {leaf.DottedPath}: a non-nullable field holds a null");
        }
        ReadOnlySpan<byte> validity = nulls > 0 ? array.ValidityBitmap : default;
        int offset = array.Offset;
        Span<int> definition = sink.AddFlatEntries(length);
        if (!definition.IsEmpty)
        {
            if (nulls == 0)
            {
                definition.Fill(1);
            }
            else
            {
                for (int i = 0; i < definition.Length; i++)
                {
                    definition[i] = Bit(validity, offset + i);
                }
            }
        }
        switch (leaf.Conversion)
        {
            case ValueConversion.Boolean:
                AppendBooleans(array.Buffers[1].Span, offset, length, validity, nulls, sink);
                break;
            case ValueConversion.Bytes when type.Id is ArrowTypeId.Binary or ArrowTypeId.Utf8:
                AppendByteArrays(MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span), array.Buffers[2].Span, offset, length, validity, nulls, sink);
                break;
            case ValueConversion.Bytes:
                AppendByteArrays(MemoryMarshal.Cast<byte, long>(array.Buffers[1].Span), array.Buffers[2].Span, offset, length, validity, nulls, sink);
                break;
            default:
                AppendFixed(array.Buffers[1].Span, leaf.Width, offset, length, validity, nulls, sink);
                break;
        }
        return true;
    }

    private static bool Supported(LeafPlan leaf, ArrowType type) => leaf.Conversion switch
    {
        ValueConversion.Boolean => type.Id == ArrowTypeId.Boolean,
        ValueConversion.Bytes => type.Id is ArrowTypeId.Binary or ArrowTypeId.Utf8 or ArrowTypeId.LargeBinary or ArrowTypeId.LargeUtf8,
        // The Arrow slot is exactly the physical value when the widths agree (no sign or zero
        // extension) and nothing is scaled.
        ValueConversion.RawSlot or ValueConversion.UnsignedInteger =>
            type.Id is not (ArrowTypeId.Dictionary or ArrowTypeId.Null) && leaf.Width > 0 && type.BitWidth == leaf.Width * 8,
        ValueConversion.SignedInteger =>
            type.Id is not (ArrowTypeId.Dictionary or ArrowTypeId.Null) && leaf.Width > 0 && type.BitWidth == leaf.Width * 8 && leaf.Multiplier == 1,
        _ => false,
    };

    private static int Bit(ReadOnlySpan<byte> bitmap, int index) => (bitmap[index >> 3] >> (index & 7)) & 1;

    private static void AppendFixed(ReadOnlySpan<byte> buffer, int width, int offset, int length, ReadOnlySpan<byte> validity, int nulls, ColumnBuffer sink)
    {
        ReadOnlySpan<byte> values = buffer.Slice(offset * width, length * width);
        if (nulls == 0)
        {
            values.CopyTo(sink.AppendFixed(length));
            return;
        }
        // Room for every slot, then the unused tail given back: the compaction loops below write
        // each slot unconditionally and advance only past valid ones, which avoids a branch per value.
        Span<byte> target = sink.AppendFixed(length);
        int kept = width switch
        {
            8 => Compact(MemoryMarshal.Cast<byte, long>(values), MemoryMarshal.Cast<byte, long>(target), validity, offset),
            4 => Compact(MemoryMarshal.Cast<byte, int>(values), MemoryMarshal.Cast<byte, int>(target), validity, offset),
            2 => Compact(MemoryMarshal.Cast<byte, short>(values), MemoryMarshal.Cast<byte, short>(target), validity, offset),
            1 => Compact(values, target, validity, offset),
            _ => CompactRuns(values, target, width, validity, offset),
        };
        sink.TrimFixed((length - kept) * width);
    }

    private static int Compact<T>(ReadOnlySpan<T> values, Span<T> target, ReadOnlySpan<byte> validity, int offset) where T : unmanaged
    {
        int k = 0;
        for (int i = 0; i < values.Length; i++)
        {
            // k never passes i, so the write stays inside the room for every slot.
            target[k] = values[i];
            k += Bit(validity, offset + i);
        }
        return k;
    }

    private static int CompactRuns(ReadOnlySpan<byte> values, Span<byte> target, int width, ReadOnlySpan<byte> validity, int offset)
    {
        int k = 0;
        int count = values.Length / width;
        int i = 0;
        while (i < count)
        {
            while (i < count && Bit(validity, offset + i) == 0)
            {
                i++;
            }
            int start = i;
            while (i < count && Bit(validity, offset + i) == 1)
            {
                i++;
            }
            values[(start * width)..(i * width)].CopyTo(target[(k * width)..]);
            k += i - start;
        }
        return k;
    }

    private static void AppendBooleans(ReadOnlySpan<byte> bits, int offset, int length, ReadOnlySpan<byte> validity, int nulls, ColumnBuffer sink)
    {
        Span<byte> target = sink.AppendFixed(length);
        int k = 0;
        for (int i = 0; i < length; i++)
        {
            target[k] = (byte)Bit(bits, offset + i);
            k += nulls == 0 ? 1 : Bit(validity, offset + i);
        }
        sink.TrimFixed(length - k);
    }

    private static void AppendByteArrays<TOffset>(ReadOnlySpan<TOffset> offsets, ReadOnlySpan<byte> data, int offset, int length,
        ReadOnlySpan<byte> validity, int nulls, ColumnBuffer sink)
        where TOffset : unmanaged, System.Numerics.IBinaryInteger<TOffset>
    {
        if (nulls == 0)
        {
            sink.AppendByteArrays(offsets, data, offset, offset + length);
            return;
        }
        // Valid slots in a row have their bytes back to back: one copy per run of valid slots.
        int end = offset + length;
        int i = offset;
        while (i < end)
        {
            while (i < end && Bit(validity, i) == 0)
            {
                i++;
            }
            int start = i;
            while (i < end && Bit(validity, i) == 1)
            {
                i++;
            }
            sink.AppendByteArrays(offsets, data, start, i);
        }
    }
}
