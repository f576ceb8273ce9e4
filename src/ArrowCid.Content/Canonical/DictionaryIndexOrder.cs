using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Typed loops over dictionary indices for the canonical dictionary order (values in order of
/// first use): whether a range already is in that order, and its renumbering when it is not.
/// One pass over the index buffer read at its own width, no per-slot dispatch or allocation:
/// these run once per batch or chunk on the put path.
/// </summary>
internal static class DictionaryIndexOrder
{
    /// <summary>
    /// Whether logical slots [start, start + count) of dictionary array <paramref name="a"/> have
    /// canonical indices for a dictionary of <paramref name="dictionaryLength"/> values: null slots
    /// hold 0, and the valid slots use every value, each new one being the next in dictionary order.
    /// </summary>
    public static bool InFirstUseOrder(ArrayData a, int start, int count, int dictionaryLength)
    {
        int first = a.Offset + start;
        var validity = a.ValidityBitmap;
        if (TryInt32(a, first, count, out var int32))
        {
            // Read in place: an unordered input fails within a few slots, so nothing is widened first.
            return InFirstUseOrder(int32, validity, first, dictionaryLength);
        }

        var rented = ArrayPool<long>.Shared.Rent(count);
        try
        {
            var indices = rented.AsSpan(0, count);
            Widen(a, first, count, indices);
            return InFirstUseOrder<long>(indices, validity, first, dictionaryLength);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rented);
        }
    }

    private static bool InFirstUseOrder<T>(ReadOnlySpan<T> indices, ReadOnlySpan<byte> validity, int bitOffset, int dictionaryLength)
        where T : unmanaged, IBinaryInteger<T>
    {
        ulong next = 0;
        for (int k = 0; k < indices.Length; k++)
        {
            // Negative indices become huge here, so one unsigned compare rejects them too.
            ulong index = ulong.CreateTruncating(indices[k]);
            int bit = bitOffset + k;
            if (!validity.IsEmpty && (validity[bit >> 3] & (1 << (bit & 7))) == 0)
            {
                if (index != 0)
                {
                    return false;
                }
            }
            else if (index == next)
            {
                next++;
            }
            else if (index > next)
            {
                return false;
            }
        }

        return next == (ulong)dictionaryLength;
    }

    /// <summary>
    /// Renumbers the valid slots of [start, start + count) by first use, for a dictionary of
    /// distinct values: <paramref name="renumbered"/>[k] gets slot k's new index (0 under nulls,
    /// as given by <paramref name="validity"/>, whose bit 0 is slot <paramref name="start"/>;
    /// empty: no nulls), <paramref name="order"/> the dictionary positions in their new order.
    /// Returns whether the new numbers equal the old ones.
    /// </summary>
    public static bool Renumber(ArrayData a, int start, int count, ReadOnlySpan<byte> validity, Span<int> renumbered, List<int> order)
    {
        int dictionaryLength = a.Dictionary!.Length;
        if (TryInt32(a, a.Offset + start, count, out var int32))
        {
            return Renumber(int32, dictionaryLength, validity, renumbered, order);
        }

        var rented = ArrayPool<long>.Shared.Rent(count);
        try
        {
            var indices = rented.AsSpan(0, count);
            Widen(a, a.Offset + start, count, indices);
            return Renumber<long>(indices, dictionaryLength, validity, renumbered, order);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// <see cref="Renumber(ArrayData, int, int, ReadOnlySpan{byte}, Span{int}, List{int})"/> over
    /// the indices, without a branch on validity: a null slot looks up index -1, whose new number
    /// is 0 from the start and which is never put in the order.
    /// </summary>
    private static bool Renumber<T>(ReadOnlySpan<T> indices, int dictionaryLength, ReadOnlySpan<byte> validity, Span<int> renumbered, List<int> order)
        where T : unmanaged, IBinaryInteger<T>, ISignedNumber<T>
    {
        // remap[index + 1]: the new number of each index, -1 until its first use.
        var remap = new int[dictionaryLength + 1];
        remap.AsSpan(1).Fill(-1);
        bool same = true;
        for (int k = 0; k < indices.Length; k++)
        {
            T valid = validity.IsEmpty ? T.NegativeOne : -T.CreateTruncating((validity[k >> 3] >> (k & 7)) & 1);
            T value = indices[k];
            if (T.IsNegative(value & valid))
            {
                NonNegative(long.CreateTruncating(value), k);
            }

            // Past the dictionary's end, or past int, is out of range of the remap: refused there.
            int index = int.CreateSaturating((value & valid) | ~valid);
            ref int next = ref remap[index + 1];
            if (next < 0)
            {
                next = order.Count;
                same &= index == next;
                order.Add(index);
            }

            renumbered[k] = next;
        }

        return same;
    }

    /// <summary>
    /// Each selected slot's dictionary index into <paramref name="indices"/>, -1 for null and
    /// undefined slots: one typed pass for a plain range, slot by slot otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A valid slot holds a negative index.</exception>
    public static void Read(ArrayData a, SlotSelection selection, Span<long> indices)
    {
        if (selection.IsPlainRange)
        {
            int first = a.Offset + selection.Start;
            int count = selection.Count;
            Widen(a, first, count, indices);
            var validity = a.ValidityBitmap;
            if (validity.IsEmpty)
            {
                for (int k = 0; k < count; k++)
                {
                    NonNegative(indices[k], k);
                }

                return;
            }

            // Without a branch on validity (nulls scattered among valid slots would mispredict):
            // all ones for a valid slot keeps its index, 0 makes it -1; a negative valid index
            // shows in the sign of the accumulated bits.
            long negative = 0;
            for (int k = 0; k < count; k++)
            {
                int bit = first + k;
                long valid = -(long)((validity[bit >> 3] >> (bit & 7)) & 1);
                long index = indices[k];
                negative |= index & valid;
                indices[k] = (index & valid) | ~valid;
            }

            if (negative < 0)
            {
                // Name the first offending slot (the rare error path).
                for (int k = 0; k < count; k++)
                {
                    int bit = first + k;
                    if ((validity[bit >> 3] & (1 << (bit & 7))) != 0)
                    {
                        NonNegative(indices[k], k);
                    }
                }
            }

            return;
        }

        for (int k = 0; k < selection.Count; k++)
        {
            int source = selection.Source(k);
            indices[k] = source < 0 || !a.IsValid(source) ? -1 : NonNegative(IntegerSlots.DictionaryIndex(a, source), source);
        }
    }

    /// <summary>
    /// The indices of physical slots [first, first + count) read in place, when the index type is
    /// int32 (Arrow's default and the common kind): the hot loops take these without widening.
    /// </summary>
    public static bool TryInt32(ArrayData a, int first, int count, out ReadOnlySpan<int> indices)
    {
        if (a.Type.PhysicalType.IndexType!.Id != ArrowTypeId.Int32)
        {
            indices = default;
            return false;
        }

        indices = MemoryMarshal.Cast<byte, int>(a.Buffers[1].Span).Slice(first, count);
        return true;
    }

    /// <summary>
    /// The index values of physical slots [first, first + count) of a dictionary array, whatever
    /// their width, as longs (validity not consulted; uint64 values above long.MaxValue come out
    /// negative): the one place that switches on the index type, so every loop over indices is a
    /// plain loop over longs, or over int32 indices read in place (<see cref="TryInt32"/>).
    /// </summary>
    public static void Widen(ArrayData a, int first, int count, Span<long> into)
    {
        var buffer = a.Buffers[1].Span;
        switch (a.Type.PhysicalType.IndexType!.Id)
        {
            case ArrowTypeId.Int8: Widen(MemoryMarshal.Cast<byte, sbyte>(buffer).Slice(first, count), into); break;
            case ArrowTypeId.UInt8: Widen(buffer.Slice(first, count), into); break;
            case ArrowTypeId.Int16: Widen(MemoryMarshal.Cast<byte, short>(buffer).Slice(first, count), into); break;
            case ArrowTypeId.UInt16: Widen(MemoryMarshal.Cast<byte, ushort>(buffer).Slice(first, count), into); break;
            case ArrowTypeId.Int32: Widen(MemoryMarshal.Cast<byte, int>(buffer).Slice(first, count), into); break;
            case ArrowTypeId.UInt32: Widen(MemoryMarshal.Cast<byte, uint>(buffer).Slice(first, count), into); break;
            case ArrowTypeId.Int64: MemoryMarshal.Cast<byte, long>(buffer).Slice(first, count).CopyTo(into); break;
            default: MemoryMarshal.Cast<byte, long>(buffer).Slice(first, count).CopyTo(into); break;
        }
    }

    /// <summary>
    /// Writes indices (negative ones as 0, the index of null slots) as integers of
    /// <paramref name="width"/> bytes, in the machine's order: little-endian, like every buffer
    /// the Arrow layer reads through <c>MemoryMarshal.Cast</c>.
    /// </summary>
    public static void Write(ReadOnlySpan<int> indices, Span<byte> destination, int width)
    {
        switch (width)
        {
            case 1:
                for (int k = 0; k < indices.Length; k++)
                {
                    destination[k] = (byte)Math.Max(indices[k], 0);
                }

                break;
            case 2:
                var shorts = MemoryMarshal.Cast<byte, ushort>(destination);
                for (int k = 0; k < indices.Length; k++)
                {
                    shorts[k] = (ushort)Math.Max(indices[k], 0);
                }

                break;
            case 4:
                var ints = MemoryMarshal.Cast<byte, int>(destination);
                for (int k = 0; k < indices.Length; k++)
                {
                    ints[k] = Math.Max(indices[k], 0);
                }

                break;
            default:
                var longs = MemoryMarshal.Cast<byte, long>(destination);
                for (int k = 0; k < indices.Length; k++)
                {
                    longs[k] = Math.Max(indices[k], 0);
                }

                break;
        }
    }

    private static void Widen<T>(ReadOnlySpan<T> values, Span<long> into)
        where T : unmanaged, IBinaryInteger<T>
    {
        for (int k = 0; k < values.Length; k++)
        {
            into[k] = long.CreateTruncating(values[k]);
        }
    }

    private static long NonNegative(long index, int slot) =>
        index >= 0 ? index : throw new ArgumentException($"dictionary index {index} at slot {slot} is negative");
}
