using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Dremel shredding of one leaf column, a level of the leaf's <see cref="LeafPlan.Chain"/> at a
/// time over all rows: each entry carries a (definition, repetition) pair and the slot it stands for
/// in the current array, or none once a null or an empty list ended it. An optional node adds one
/// definition level to each entry whose slot is valid; a list replaces each of its entries by one
/// per item (the first keeps the entry's repetition level, the others repeat at the list's), or
/// leaves it as it is when the list is empty; a struct passes its entries to the member. At the
/// leaf the entries' levels are added at once and the values of those with a slot converted to
/// physical form, in bulk where the Parquet form is the Arrow bytes. Dictionary arrays are followed
/// through their indices, extension arrays read as their storage.
/// </summary>
/// <remarks>Level by level rather than row by row, so each step is a tight loop over arrays and no
/// type is looked at per value.</remarks>
internal static class LevelShredder
{
    private const int NoSlot = -1;

    public static void ShredRows(LeafPlan leaf, ArrayData column, int rowCount, ColumnBuffer sink)
    {
        var entries = new Entries(rowCount);
        try
        {
            for (int row = 0; row < rowCount; row++)
            {
                entries.Slot[row] = row;
            }

            ArrayData array = column;
            for (int depth = 0; ; depth++)
            {
                ShredNode node = leaf.Chain[depth];
                array = ResolveNulls(leaf, node, array, entries);
                switch (node.Kind)
                {
                    case ShredKind.Leaf:
                        sink.AddEntries(entries.Definition.AsSpan(0, entries.Count), entries.Repetition.AsSpan(0, entries.Count));
                        WriteValues(leaf, array, entries, sink);
                        return;
                    case ShredKind.Struct:
                        array = array.Children[leaf.Chain[depth + 1].ArrowChildIndex];
                        break;
                    default:
                        Entries items = ExpandList(node, array, entries);
                        entries.Dispose();
                        entries = items;
                        array = array.Children[0];
                        break;
                }
            }
        }
        finally
        {
            entries.Dispose();
        }
    }

    /// <summary>
    /// Follows dictionary indices to the value slots, ends the entries whose slot is null (a
    /// non-nullable node holding one is an error) and adds the optional node's level to the rest.
    /// Returns the array the slots now index.
    /// </summary>
    private static ArrayData ResolveNulls(LeafPlan leaf, ShredNode node, ArrayData array, Entries entries)
    {
        Span<int> slots = entries.Slot.AsSpan(0, entries.Count);
        Span<int> definition = entries.Definition.AsSpan(0, entries.Count);
        while (true)
        {
            ArrowType type = array.Type.PhysicalType;
            bool allNull = type.Id == ArrowTypeId.Null;
            // Unions and run-end encoding keep validity in their children: asked slot by slot.
            bool indirect = type.Id is ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.RunEndEncoded;
            if (allNull || indirect || array.NullCount > 0)
            {
                ReadOnlySpan<byte> validity = allNull || indirect ? default : array.ValidityBitmap;
                int offset = array.Offset;
                for (int i = 0; i < slots.Length; i++)
                {
                    int slot = slots[i];
                    bool isNull = slot != NoSlot && (allNull
                        || (indirect ? array.IsNull(slot) : (validity[(offset + slot) >> 3] & (1 << ((offset + slot) & 7))) == 0));
                    if (isNull)
                    {
                        if (!node.Optional)
                        {
                            throw new ArgumentException($"column {leaf.DottedPath}: a non-nullable field holds a null");
                        }

                        slots[i] = NoSlot;
                    }
                }
            }

            if (allNull || type.Id != ArrowTypeId.Dictionary)
            {
                break;
            }

            DictionaryIndexes(array, slots);
            array = array.Dictionary!;
        }

        if (node.Optional)
        {
            for (int i = 0; i < slots.Length; i++)
            {
                // A valid slot is one level further defined.
                definition[i] += slots[i] == NoSlot ? 0 : 1;
            }
        }

        return array;
    }

    /// <summary>Replaces each slot that has one by the dictionary index stored there.</summary>
    private static void DictionaryIndexes(ArrayData array, Span<int> slots)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i] != NoSlot)
            {
                slots[i] = checked((int)IntegerSlots.DictionaryIndex(array, slots[i]));
            }
        }
    }

    /// <summary>One entry per item of each entry's list (an empty or null list stays one entry with no slot).</summary>
    private static Entries ExpandList(ShredNode node, ArrayData array, Entries entries)
    {
        ReadOnlySpan<int> slots = entries.Slot.AsSpan(0, entries.Count);
        bool int32Offsets = array.Type.PhysicalType.Id is ArrowTypeId.List or ArrowTypeId.Map;
        ReadOnlySpan<int> offsets = int32Offsets ? MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span)[array.Offset..] : default;
        long total = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            (long start, long end) = Range(array, offsets, int32Offsets, slots[i]);
            total += Math.Max(1, end - start);
        }

        var items = new Entries(checked((int)total));
        int k = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            int definition = entries.Definition[i];
            int repetition = entries.Repetition[i];
            (long start, long end) = Range(array, offsets, int32Offsets, slots[i]);
            if (start == end)
            {
                items.Definition[k] = definition;
                items.Repetition[k] = repetition;
                items.Slot[k++] = NoSlot;
                continue;
            }

            for (long item = start; item < end; item++)
            {
                items.Definition[k] = definition + 1;
                items.Repetition[k] = item == start ? repetition : node.RepetitionLevel;
                items.Slot[k++] = checked((int)item);
            }
        }

        return items;
    }

    private static (long Start, long End) Range(ArrayData array, ReadOnlySpan<int> offsets, bool int32Offsets, int slot) =>
        slot == NoSlot ? (0, 0)
        : int32Offsets ? (offsets[slot], offsets[slot + 1])
        : array.GetListRange(slot);

    /// <summary>The values of the entries that have a slot, in entry order.</summary>
    private static void WriteValues(LeafPlan leaf, ArrayData array, Entries entries, ColumnBuffer sink)
    {
        ReadOnlySpan<int> slots = entries.Slot.AsSpan(0, entries.Count);
        ArrowType type = array.Type.PhysicalType;
        bool sameBytes = leaf.Width > 0 && type.Id != ArrowTypeId.Null && type.BitWidth == leaf.Width * 8
            && (leaf.Conversion is ValueConversion.RawSlot or ValueConversion.UnsignedInteger
                || (leaf.Conversion == ValueConversion.SignedInteger && leaf.Multiplier == 1));
        if (sameBytes)
        {
            GatherFixed(array.Buffers[1].Span, leaf.Width, array.Offset, slots, sink);
        }
        else if (leaf.Conversion == ValueConversion.Bytes && type.Id is ArrowTypeId.Binary or ArrowTypeId.Utf8)
        {
            GatherByteArrays(MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span), array.Buffers[2].Span, array.Offset, slots, sink);
        }
        else
        {
            foreach (int slot in slots)
            {
                if (slot != NoSlot)
                {
                    LeafValueWriter.Write(leaf, array, slot, sink);
                }
            }
        }
    }

    private static void GatherFixed(ReadOnlySpan<byte> buffer, int width, int offset, ReadOnlySpan<int> slots, ColumnBuffer sink)
    {
        int present = 0;
        foreach (int slot in slots)
        {
            present += slot == NoSlot ? 0 : 1;
        }

        Span<byte> target = sink.AppendFixed(present);
        switch (width)
        {
            case 8:
                Gather(MemoryMarshal.Cast<byte, long>(buffer)[offset..], slots, MemoryMarshal.Cast<byte, long>(target));
                break;
            case 4:
                Gather(MemoryMarshal.Cast<byte, int>(buffer)[offset..], slots, MemoryMarshal.Cast<byte, int>(target));
                break;
            default:
                int k = 0;
                foreach (int slot in slots)
                {
                    if (slot != NoSlot)
                    {
                        buffer.Slice((offset + slot) * width, width).CopyTo(target[(k++ * width)..]);
                    }
                }

                break;
        }
    }

    private static void Gather<T>(ReadOnlySpan<T> values, ReadOnlySpan<int> slots, Span<T> target)
        where T : unmanaged
    {
        int k = 0;
        foreach (int slot in slots)
        {
            if (slot != NoSlot)
            {
                target[k++] = values[slot];
            }
        }
    }

    /// <summary>Byte arrays of the slots, one copy per run of consecutive slots (a list's items are one run).</summary>
    private static void GatherByteArrays(ReadOnlySpan<int> offsets, ReadOnlySpan<byte> data, int offset, ReadOnlySpan<int> slots, ColumnBuffer sink)
    {
        int i = 0;
        while (i < slots.Length)
        {
            if (slots[i] == NoSlot)
            {
                i++;
                continue;
            }

            int first = slots[i];
            int end = first + 1;
            i++;
            while (i < slots.Length && slots[i] == end)
            {
                end++;
                i++;
            }

            sink.AppendByteArrays(offsets, data, offset + first, offset + end);
        }
    }

    /// <summary>The entries of one level: levels and slots in pooled arrays of at least <see cref="Count"/>.</summary>
    private sealed class Entries : IDisposable
    {
        public Entries(int count)
        {
            Count = count;
            Definition = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            Repetition = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            Slot = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            Definition.AsSpan(0, count).Clear();
            Repetition.AsSpan(0, count).Clear();
        }

        public int Count { get; }

        public int[] Definition { get; private set; }

        public int[] Repetition { get; private set; }

        public int[] Slot { get; private set; }

        public void Dispose()
        {
            if (Slot.Length == 0)
            {
                return;
            }

            ArrayPool<int>.Shared.Return(Definition);
            ArrayPool<int>.Shared.Return(Repetition);
            ArrayPool<int>.Shared.Return(Slot);
            Definition = Repetition = Slot = [];
        }
    }
}
