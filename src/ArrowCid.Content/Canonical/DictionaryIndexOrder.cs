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
        var buffer = a.Buffers[1].Span;
        var validity = a.ValidityBitmap;
        return a.Type.PhysicalType.IndexType!.Id switch
        {
            ArrowTypeId.Int8 => InOrder(MemoryMarshal.Cast<byte, sbyte>(buffer).Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.UInt8 => InOrder(buffer.Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.Int16 => InOrder(MemoryMarshal.Cast<byte, short>(buffer).Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.UInt16 => InOrder(MemoryMarshal.Cast<byte, ushort>(buffer).Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.Int32 => InOrder(MemoryMarshal.Cast<byte, int>(buffer).Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.UInt32 => InOrder(MemoryMarshal.Cast<byte, uint>(buffer).Slice(first, count), validity, first, dictionaryLength),
            ArrowTypeId.Int64 => InOrder(MemoryMarshal.Cast<byte, long>(buffer).Slice(first, count), validity, first, dictionaryLength),
            _ => InOrder(MemoryMarshal.Cast<byte, ulong>(buffer).Slice(first, count), validity, first, dictionaryLength),
        };
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
        int first = a.Offset + start;
        var buffer = a.Buffers[1].Span;
        var remap = new int[a.Dictionary!.Length];
        remap.AsSpan().Fill(-1);
        return a.Type.PhysicalType.IndexType!.Id switch
        {
            ArrowTypeId.Int8 => Renumber(MemoryMarshal.Cast<byte, sbyte>(buffer).Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.UInt8 => Renumber(buffer.Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.Int16 => Renumber(MemoryMarshal.Cast<byte, short>(buffer).Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.UInt16 => Renumber(MemoryMarshal.Cast<byte, ushort>(buffer).Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.Int32 => Renumber(MemoryMarshal.Cast<byte, int>(buffer).Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.UInt32 => Renumber(MemoryMarshal.Cast<byte, uint>(buffer).Slice(first, count), validity, remap, renumbered, order),
            ArrowTypeId.Int64 => Renumber(MemoryMarshal.Cast<byte, long>(buffer).Slice(first, count), validity, remap, renumbered, order),
            _ => Renumber(MemoryMarshal.Cast<byte, ulong>(buffer).Slice(first, count), validity, remap, renumbered, order),
        };
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
            var buffer = a.Buffers[1].Span;
            var validity = a.ValidityBitmap;
            switch (a.Type.PhysicalType.IndexType!.Id)
            {
                case ArrowTypeId.Int8: Read(MemoryMarshal.Cast<byte, sbyte>(buffer).Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.UInt8: Read(buffer.Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.Int16: Read(MemoryMarshal.Cast<byte, short>(buffer).Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.UInt16: Read(MemoryMarshal.Cast<byte, ushort>(buffer).Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.Int32: Read(MemoryMarshal.Cast<byte, int>(buffer).Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.UInt32: Read(MemoryMarshal.Cast<byte, uint>(buffer).Slice(first, count), validity, first, indices); break;
                case ArrowTypeId.Int64: Read(MemoryMarshal.Cast<byte, long>(buffer).Slice(first, count), validity, first, indices); break;
                default: Read(MemoryMarshal.Cast<byte, ulong>(buffer).Slice(first, count), validity, first, indices); break;
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

    private static void Read<T>(ReadOnlySpan<T> values, ReadOnlySpan<byte> validity, int bitOffset, Span<long> indices)
        where T : unmanaged, IBinaryInteger<T>
    {
        for (int k = 0; k < values.Length; k++)
        {
            int bit = bitOffset + k;
            bool valid = validity.IsEmpty || (validity[bit >> 3] & (1 << (bit & 7))) != 0;
            // Unsigned 64-bit indices above long.MaxValue read as negative: refused like negative ones.
            indices[k] = valid ? NonNegative(long.CreateTruncating(values[k]), k) : -1;
        }
    }

    private static long NonNegative(long index, int slot) =>
        index >= 0 ? index : throw new ArgumentException($"dictionary index {index} at slot {slot} is negative");

    private static bool InOrder<T>(ReadOnlySpan<T> indices, ReadOnlySpan<byte> validity, int bitOffset, int dictionaryLength)
        where T : unmanaged, IBinaryInteger<T>
    {
        ulong next = 0;
        for (int k = 0; k < indices.Length; k++)
        {
            // Negative indices of signed types become huge here, so one unsigned compare rejects them too.
            ulong index = ulong.CreateTruncating(long.CreateTruncating(indices[k]));
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

    private static bool Renumber<T>(ReadOnlySpan<T> indices, ReadOnlySpan<byte> validity, Span<int> remap, Span<int> renumbered, List<int> order)
        where T : unmanaged, IBinaryInteger<T>
    {
        bool same = true;
        for (int k = 0; k < indices.Length; k++)
        {
            if (!validity.IsEmpty && (validity[k >> 3] & (1 << (k & 7))) == 0)
            {
                renumbered[k] = 0;
                continue;
            }

            int index = int.CreateChecked(indices[k]);
            ref int next = ref remap[index];
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
}
