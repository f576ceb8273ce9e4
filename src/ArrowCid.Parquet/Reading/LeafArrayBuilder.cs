using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Encodings;

namespace ArrowCid.Parquet.Reading;

/// <summary>
/// Builds the Arrow array of one leaf from its decoded values: slot i takes the next value when
/// its definition level is the leaf's maximum, and is null (or, for a required leaf under a null
/// parent, a zero value) otherwise. One loop serves every physical type through
/// <see cref="LeafDecoding"/>.
/// </summary>
internal static class LeafArrayBuilder
{
    private const long UnixEpochJulianDay = 2_440_588;
    private const long NanosPerDay = 86_400_000_000_000;

    public static ArrayData Build(LeafReadNode node, LeafColumnData leaf, int[] slots)
    {
        ArrowType type = node.Field.Type;
        (byte[]? validity, int nulls) = LevelAssembler.Validity(node, leaf, slots);
        if (node.Decoding == LeafDecoding.Null)
        {
            return new ArrayData(ArrowType.Null, slots.Length, slots.Length, 0, []);
        }
        bool[] present = Present(leaf, slots);
        if (node.Decoding == LeafDecoding.Int96Timestamp)
        {
            return BuildInt96(node, leaf, present, validity);
        }
        if (node.Decoding == LeafDecoding.Binary)
        {
            return BuildBinary(type, leaf, slots.Length, present, validity, nulls);
        }
        if (node.Decoding == LeafDecoding.Boolean)
        {
            ReadOnlySpan<bool> bools = leaf.GetValues<bool>();
            byte[] bits = new byte[(slots.Length + 7) / 8];
            int next = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                if (present[i] && Take(bools.Length, ref next, leaf) is int v && bools[v])
                {
                    bits[i >> 3] |= (byte)(1 << (i & 7));
                }
            }
            CheckAllUsed(next, bools.Length, leaf);
            return new ArrayData(type, slots.Length, nulls, 0, [validity ?? ReadOnlyMemory<byte>.Empty, bits]);
        }
        int width = type.PhysicalType.BitWidth / 8;
        byte[] values = new byte[(long)slots.Length * width];
        int used = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (present[i])
            {
                WriteSlot(node, type, leaf, Take(leaf.Values.Count, ref used, leaf), values.AsSpan(i * width, width));
            }
        }
        CheckAllUsed(used, leaf.Values.Count, leaf);
        return new ArrayData(type, slots.Length, nulls, 0, [validity ?? ReadOnlyMemory<byte>.Empty, values]);
    }

    private static bool[] Present(LeafColumnData leaf, int[] slots)
    {
        var present = new bool[slots.Length];
        IReadOnlyList<int> def = leaf.DefinitionLevels;
        int max = leaf.Column.MaxDefinitionLevel;
        for (int i = 0; i < slots.Length; i++)
        {
            present[i] = def.Count == 0 || def[slots[i]] == max;
        }
        return present;
    }

    private static int Take(int count, ref int next, LeafColumnData leaf) =>
        next < count ? next++ : throw new ParquetFormatException($"column {leaf.Column}: the levels call for more than the {count} values decoded") { Column = leaf.Column.ToString() };

    private static void CheckAllUsed(int used, int count, LeafColumnData leaf)
    {
        if (used != count)
        {
            throw new ParquetFormatException($"column {leaf.Column}: the levels use {used} of {count} values") { Column = leaf.Column.ToString() };
        }
    }

    private static void WriteSlot(LeafReadNode node, ArrowType type, LeafColumnData leaf, int index, Span<byte> slot)
    {
        switch (node.Decoding)
        {
            case LeafDecoding.Integer:
            {
                long value = leaf.Values is PrimitiveValues<int> ints ? ints.Span[index] : leaf.GetValues<long>()[index];
                WriteLittleEndian(value, slot);
                break;
            }
            case LeafDecoding.IntegerDecimal:
            {
                long value = leaf.Values is PrimitiveValues<int> ints ? ints.Span[index] : leaf.GetValues<long>()[index];
                WriteLittleEndian(value, slot[..8]);
                slot[8..].Fill(value < 0 ? (byte)0xFF : (byte)0);
                break;
            }
            case LeafDecoding.BigEndianDecimal:
            {
                ReadOnlySpan<byte> big = leaf.GetByteArrays()[index];
                if (big.Length > slot.Length)
                {
                    throw new ParquetFormatException($"column {leaf.Column}: a {big.Length}-byte decimal does not fit {type}") { Column = leaf.Column.ToString() };
                }
                bool negative = big.Length > 0 && (big[0] & 0x80) != 0;
                slot.Fill(negative ? (byte)0xFF : (byte)0);
                for (int i = 0; i < big.Length; i++)
                {
                    slot[i] = big[big.Length - 1 - i];
                }
                break;
            }
            default:
                if (leaf.Values is BinaryValues fixedBytes)
                {
                    ReadOnlySpan<byte> bytes = fixedBytes.Values[index];
                    if (bytes.Length != slot.Length)
                    {
                        throw new ParquetFormatException($"column {leaf.Column}: value of {bytes.Length} bytes for a {slot.Length}-byte type") { Column = leaf.Column.ToString() };
                    }
                    bytes.CopyTo(slot);
                }
                else if (leaf.Values is PrimitiveValues<float> floats)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(slot, floats.Span[index]);
                }
                else
                {
                    BinaryPrimitives.WriteDoubleLittleEndian(slot, leaf.GetValues<double>()[index]);
                }
                break;
        }
    }

    private static void WriteLittleEndian(long value, Span<byte> slot)
    {
        switch (slot.Length)
        {
            case 1: slot[0] = unchecked((byte)value); break;
            case 2: BinaryPrimitives.WriteInt16LittleEndian(slot, unchecked((short)value)); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(slot, unchecked((int)value)); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(slot, value); break;
        }
    }

    /// <summary>INT96 (nanoseconds of day, Julian day) to timestamps; values the unit cannot hold become null or fail, per the options.</summary>
    private static ArrayData BuildInt96(LeafReadNode node, LeafColumnData leaf, bool[] present, byte[]? validity)
    {
        ReadOnlySpan<Int96> raw = leaf.GetValues<Int96>();
        int length = present.Length;
        byte[] values = new byte[length * 8];
        byte[] bitmap = validity ?? Enumerable.Repeat((byte)0xFF, (length + 7) / 8).ToArray();
        int next = 0;
        for (int i = 0; i < length; i++)
        {
            if (!present[i])
            {
                continue;
            }
            Int96 value = raw[Take(raw.Length, ref next, leaf)];
            if (Int96ToTimestamp(value, node.Field.Type.Unit) is long timestamp)
            {
                BinaryPrimitives.WriteInt64LittleEndian(values.AsSpan(i * 8), timestamp);
            }
            else if (node.Options.Int96OutOfRangeAsNull)
            {
                bitmap[i >> 3] &= (byte)~(1 << (i & 7));
            }
            else
            {
                throw new ParquetFormatException($"column {leaf.Column}: INT96 timestamp (Julian day {value.JulianDay}) is outside timestamp[{node.Field.Type.Unit}]") { Column = leaf.Column.ToString() };
            }
        }
        CheckAllUsed(next, raw.Length, leaf);
        int nulls = length - Enumerable.Range(0, length).Count(i => (bitmap[i >> 3] >> (i & 7) & 1) != 0);
        return new ArrayData(node.Field.Type, length, nulls, 0, [nulls == 0 ? ReadOnlyMemory<byte>.Empty : bitmap, values]);
    }

    private static long? Int96ToTimestamp(Int96 value, ArrowCid.Arrow.Types.TimeUnit unit)
    {
        long days = value.JulianDay - UnixEpochJulianDay;
        try
        {
            return unit switch
            {
                ArrowCid.Arrow.Types.TimeUnit.Nanosecond => checked((days * NanosPerDay) + value.NanosOfDay),
                ArrowCid.Arrow.Types.TimeUnit.Microsecond => checked((days * (NanosPerDay / 1000)) + Math.DivRem(value.NanosOfDay, 1000).Quotient),
                ArrowCid.Arrow.Types.TimeUnit.Millisecond => checked((days * (NanosPerDay / 1_000_000)) + Math.DivRem(value.NanosOfDay, 1_000_000).Quotient),
                _ => checked((days * 86_400) + Math.DivRem(value.NanosOfDay, 1_000_000_000).Quotient),
            };
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static ArrayData BuildBinary(ArrowType type, LeafColumnData leaf, int length, bool[] present, byte[]? validity, int nulls)
    {
        ByteArrayValues values = leaf.GetByteArrays();
        int[] offsets = new int[length + 1];
        int next = 0;
        int end = 0;
        for (int i = 0; i < length; i++)
        {
            if (present[i])
            {
                int v = Take(values.Count, ref next, leaf);
                end += values.Offsets[v + 1] - values.Offsets[v];
            }
            offsets[i + 1] = end;
        }
        CheckAllUsed(next, values.Count, leaf);
        // Values are contiguous in the decoded buffer, so present slots keep their bytes in order.
        byte[] data = values.Data.AsSpan(0, values.Offsets[^1]).ToArray();
        byte[] offsetBytes = new byte[offsets.Length * 4];
        Buffer.BlockCopy(offsets, 0, offsetBytes, 0, offsetBytes.Length);
        return new ArrayData(type, length, nulls, 0, [validity ?? ReadOnlyMemory<byte>.Empty, offsetBytes, data]);
    }
}
