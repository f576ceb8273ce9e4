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
                bool dictionaryEncoded = array.Type.PhysicalType.Id == ArrowTypeId.Dictionary;
                array = ResolveNulls(leaf, node, array, entries);
                switch (node.Kind)
                {
                    case ShredKind.Leaf:
                        sink.AddEntries(entries.Definition.AsSpan(0, entries.Count), entries.Repetition.AsSpan(0, entries.Count));
                        WriteValues(leaf, array, entries, sink);
                        if (dictionaryEncoded)
                        {
                            // The values' positions in the Arrow dictionary spare the Parquet dictionary hashing them again.
                            sink.AddValueKeys(array, array.Length, entries.Slot.AsSpan(0, entries.Count));
                        }

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
        if (array.Type.PhysicalType.IndexType?.Id == ArrowTypeId.Int32)
        {
            // int32 indices, the common kind: read in place, no per-slot width dispatch.
            ReadOnlySpan<int> indices = MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span)[array.Offset..];
            for (int i = 0; i < slots.Length; i++)
            {
                int slot = slots[i];
                if (slot != NoSlot)
                {
                    int index = indices[slot];
                    slots[i] = index >= 0 ? index : throw new ArgumentException($"dictionary index {index} at slot {slot} is negative");
                }
            }

            return;
        }

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
        if (array.Type.PhysicalType.Id is ArrowTypeId.List or ArrowTypeId.Map)
        {
            return ExpandList(node, MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span)[array.Offset..], entries);
        }

        long total = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            (long start, long end) = slots[i] == NoSlot ? (0, 0) : array.GetListRange(slots[i]);
            total += Math.Max(1, end - start);
        }

        var items = new Entries(checked((int)total), cleared: false);
        int k = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            int definition = entries.Definition[i];
            int repetition = entries.Repetition[i];
            (long start, long end) = slots[i] == NoSlot ? (0, 0) : array.GetListRange(slots[i]);
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

    /// <summary>As above for int32 offsets (list and map), read in place.</summary>
    private static Entries ExpandList(ShredNode node, ReadOnlySpan<int> offsets, Entries entries)
    {
        ReadOnlySpan<int> slots = entries.Slot.AsSpan(0, entries.Count);
        ReadOnlySpan<int> definitions = entries.Definition.AsSpan(0, entries.Count);
        ReadOnlySpan<int> repetitions = entries.Repetition.AsSpan(0, entries.Count);
        long total = 0;
        foreach (int slot in slots)
        {
            total += slot == NoSlot ? 1 : Math.Max(1, offsets[slot + 1] - offsets[slot]);
        }

        var items = new Entries(checked((int)total), cleared: false);
        Span<int> itemDefinitions = items.Definition.AsSpan(0, items.Count);
        Span<int> itemRepetitions = items.Repetition.AsSpan(0, items.Count);
        Span<int> itemSlots = items.Slot.AsSpan(0, items.Count);
        int listRepetition = node.RepetitionLevel;
        int k = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            int slot = slots[i];
            int start = slot == NoSlot ? 0 : offsets[slot];
            int end = slot == NoSlot ? 0 : offsets[slot + 1];
            int definition = definitions[i];
            // The first item (or the empty list's one entry) keeps the entry's repetition level; the others repeat at the list's.
            itemRepetitions[k] = repetitions[i];
            if (end <= start)
            {
                itemDefinitions[k] = definition;
                itemSlots[k++] = NoSlot;
                continue;
            }

            itemDefinitions[k] = definition + 1;
            itemSlots[k++] = start;
            for (int item = start + 1; item < end; item++)
            {
                itemDefinitions[k] = definition + 1;
                itemRepetitions[k] = listRepetition;
                itemSlots[k++] = item;
            }
        }

        return items;
    }

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
            sink.GatherByteArrays(MemoryMarshal.Cast<byte, int>(array.Buffers[1].Span), array.Buffers[2].Span, array.Offset, slots);
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

    /// <summary>The entries of one level: levels and slots in pooled arrays of at least <see cref="Count"/>.</summary>
    private sealed class Entries : IDisposable
    {
        /// <param name="count">Entries.</param>
        /// <param name="cleared">Whether levels start at 0 (else the caller writes every one).</param>
        public Entries(int count, bool cleared = true)
        {
            Count = count;
            Definition = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            Repetition = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            Slot = ArrayPool<int>.Shared.Rent(Math.Max(1, count));
            if (cleared)
            {
                Definition.AsSpan(0, count).Clear();
                Repetition.AsSpan(0, count).Clear();
            }
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
