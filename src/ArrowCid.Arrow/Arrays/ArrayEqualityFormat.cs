using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Arrays;

/// <summary>Short text for one slot's value, for the difference messages of <see cref="ArrayEquality"/>.</summary>
internal static class ArrayEqualityFormat
{
    private const int MaxBytesShown = 32;

    /// <summary>The value of slot <paramref name="index"/> (an array already resolved past dictionaries and runs), or "null".</summary>
    public static string Slot(ArrayData array, int index)
    {
        if (!array.IsValid(index))
        {
            return "null";
        }

        var type = array.Type.PhysicalType;
        var inv = CultureInfo.InvariantCulture;
        switch (type.Id)
        {
            case ArrowTypeId.Boolean:
                return array.GetBoolean(index) ? "true" : "false";
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8 or ArrowTypeId.Utf8View:
                return "\"" + array.GetString(index) + "\"";
            case ArrowTypeId.Binary or ArrowTypeId.LargeBinary or ArrowTypeId.BinaryView or ArrowTypeId.FixedSizeBinary:
                return Hex(array.GetBytes(index));
            case ArrowTypeId.List or ArrowTypeId.LargeList or ArrowTypeId.ListView or ArrowTypeId.LargeListView
                or ArrowTypeId.FixedSizeList or ArrowTypeId.Map:
            {
                var (start, end) = array.GetListRange(index);
                return $"list of {end - start}";
            }

            case ArrowTypeId.Struct or ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion or ArrowTypeId.Null
                or ArrowTypeId.Dictionary or ArrowTypeId.RunEndEncoded:
                return type.ToString();
        }

        var bytes = ArrayEqualityValues.SlotBytes(array, index);
        return type.Id switch
        {
            ArrowTypeId.Int8 => ((sbyte)bytes[0]).ToString(inv),
            ArrowTypeId.UInt8 => bytes[0].ToString(inv),
            ArrowTypeId.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes).ToString(inv),
            ArrowTypeId.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(bytes).ToString(inv),
            ArrowTypeId.Int32 or ArrowTypeId.Date32 or ArrowTypeId.Time32 or ArrowTypeId.IntervalYearMonth
                => BinaryPrimitives.ReadInt32LittleEndian(bytes).ToString(inv),
            ArrowTypeId.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(bytes).ToString(inv),
            ArrowTypeId.Int64 or ArrowTypeId.Date64 or ArrowTypeId.Time64 or ArrowTypeId.Timestamp or ArrowTypeId.Duration
                => BinaryPrimitives.ReadInt64LittleEndian(bytes).ToString(inv),
            ArrowTypeId.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(bytes).ToString(inv),
            ArrowTypeId.Float16 => ((float)BinaryPrimitives.ReadHalfLittleEndian(bytes)).ToString("R", inv),
            ArrowTypeId.Float32 => BinaryPrimitives.ReadSingleLittleEndian(bytes).ToString("R", inv),
            ArrowTypeId.Float64 => BinaryPrimitives.ReadDoubleLittleEndian(bytes).ToString("R", inv),
            ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256
                => new BigInteger(bytes, isUnsigned: false, isBigEndian: false).ToString(inv) + "e-" + type.Scale.ToString(inv),
            ArrowTypeId.IntervalDayTime
                => $"{BinaryPrimitives.ReadInt32LittleEndian(bytes)}d{BinaryPrimitives.ReadInt32LittleEndian(bytes[4..])}ms",
            ArrowTypeId.IntervalMonthDayNano
                => $"{BinaryPrimitives.ReadInt32LittleEndian(bytes)}M{BinaryPrimitives.ReadInt32LittleEndian(bytes[4..])}d{BinaryPrimitives.ReadInt64LittleEndian(bytes[8..])}ns",
            _ => Hex(bytes),
        };
    }

    private static string Hex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= MaxBytesShown
            ? "0x" + Convert.ToHexString(bytes)
            : "0x" + Convert.ToHexString(bytes[..MaxBytesShown]) + $"… ({bytes.Length} bytes)";
}
