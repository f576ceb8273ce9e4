using System.Buffers.Binary;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>Comparison of fixed-width slots (integers, temporals, decimals, intervals, floats) and reading of dictionary indices.</summary>
internal static class ArrayEqualityValues
{
    /// <summary>The bytes of fixed-width slot <paramref name="index"/>.</summary>
    public static ReadOnlySpan<byte> SlotBytes(ArrayData array, int index)
    {
        int width = array.Layout.ValueBitWidth / 8;
        return array.Buffers[1].Span.Slice((array.Offset + index) * width, width);
    }

    /// <summary>Whether two valid fixed-width slots of the same type hold the same value.</summary>
    public static bool FixedWidthEqual(ArrayData a, int i, ArrayData b, int j, FloatComparison floats)
    {
        var x = SlotBytes(a, i);
        var y = SlotBytes(b, j);
        return a.Type.PhysicalType.Id switch
        {
            ArrowTypeId.Float16 => HalfEqual(BinaryPrimitives.ReadHalfLittleEndian(x), BinaryPrimitives.ReadHalfLittleEndian(y), x, y),
            ArrowTypeId.Float32 => SingleEqual(BinaryPrimitives.ReadSingleLittleEndian(x), BinaryPrimitives.ReadSingleLittleEndian(y), x, y, floats),
            ArrowTypeId.Float64 => DoubleEqual(BinaryPrimitives.ReadDoubleLittleEndian(x), BinaryPrimitives.ReadDoubleLittleEndian(y), x, y, floats),
            _ => x.SequenceEqual(y),
        };
    }

    private static bool HalfEqual(Half x, Half y, ReadOnlySpan<byte> bx, ReadOnlySpan<byte> by) =>
        (Half.IsNaN(x) && Half.IsNaN(y)) || bx.SequenceEqual(by);

    private static bool SingleEqual(float x, float y, ReadOnlySpan<byte> bx, ReadOnlySpan<byte> by, FloatComparison floats)
    {
        if (float.IsNaN(x) || float.IsNaN(y))
        {
            return float.IsNaN(x) && float.IsNaN(y);
        }

        return floats == FloatComparison.RoundToSingle ? x == y : bx.SequenceEqual(by);
    }

    private static bool DoubleEqual(double x, double y, ReadOnlySpan<byte> bx, ReadOnlySpan<byte> by, FloatComparison floats)
    {
        if (double.IsNaN(x) || double.IsNaN(y))
        {
            return double.IsNaN(x) && double.IsNaN(y);
        }

        // Text with a few decimals parsed by two libraries may differ in the last bits of a double,
        // never at float32 precision.
        return floats == FloatComparison.RoundToSingle ? (float)x == (float)y : bx.SequenceEqual(by);
    }

    /// <summary>The dictionary index stored in slot <paramref name="index"/> of a dictionary-encoded array.</summary>
    public static long ReadIndex(ArrayData array, int index)
    {
        long value = IntegerSlots.DictionaryIndex(array, index);
        int dictionaryLength = array.Dictionary?.Length ?? 0;
        if (value < 0 || value >= dictionaryLength)
        {
            throw new ArrowFormatException($"dictionary index {value} at slot {index} is outside a dictionary of {dictionaryLength} values");
        }

        return value;
    }
}
