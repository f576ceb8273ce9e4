using System.Buffers.Binary;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// The sort order statistics use for a column (parquet.thrift, ColumnOrder TypeDefinedOrder):
/// signed or unsigned integers by the INTEGER annotation, floats by value without NaN, byte
/// arrays as unsigned bytes, decimals in FIXED_LEN_BYTE_ARRAY as signed big-endian integers.
/// </summary>
internal enum StatisticsOrder
{
    /// <summary>No order is defined: no min/max is written.</summary>
    None,
    Boolean,
    Signed32,
    Unsigned32,
    Signed64,
    Unsigned64,
    Float16,
    Float,
    Double,
    UnsignedBytes,
    SignedBigEndian,
}

/// <summary>Comparisons of PLAIN-encoded values (without a length prefix) under a <see cref="StatisticsOrder"/>.</summary>
internal static class StatisticsComparer
{
    public static int Compare(StatisticsOrder order, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => order switch
    {
        StatisticsOrder.Boolean => a[0].CompareTo(b[0]),
        StatisticsOrder.Signed32 => BinaryPrimitives.ReadInt32LittleEndian(a).CompareTo(BinaryPrimitives.ReadInt32LittleEndian(b)),
        StatisticsOrder.Unsigned32 => BinaryPrimitives.ReadUInt32LittleEndian(a).CompareTo(BinaryPrimitives.ReadUInt32LittleEndian(b)),
        StatisticsOrder.Signed64 => BinaryPrimitives.ReadInt64LittleEndian(a).CompareTo(BinaryPrimitives.ReadInt64LittleEndian(b)),
        StatisticsOrder.Unsigned64 => BinaryPrimitives.ReadUInt64LittleEndian(a).CompareTo(BinaryPrimitives.ReadUInt64LittleEndian(b)),
        StatisticsOrder.Float16 => BinaryPrimitives.ReadHalfLittleEndian(a).CompareTo(BinaryPrimitives.ReadHalfLittleEndian(b)),
        StatisticsOrder.Float => BinaryPrimitives.ReadSingleLittleEndian(a).CompareTo(BinaryPrimitives.ReadSingleLittleEndian(b)),
        StatisticsOrder.Double => BinaryPrimitives.ReadDoubleLittleEndian(a).CompareTo(BinaryPrimitives.ReadDoubleLittleEndian(b)),
        StatisticsOrder.SignedBigEndian => CompareSignedBigEndian(a, b),
        _ => a.SequenceCompareTo(b),
    };

    /// <summary>Whether the value is a NaN, which statistics leave out.</summary>
    public static bool IsNaN(StatisticsOrder order, ReadOnlySpan<byte> value) => order switch
    {
        StatisticsOrder.Float16 => Half.IsNaN(BinaryPrimitives.ReadHalfLittleEndian(value)),
        StatisticsOrder.Float => float.IsNaN(BinaryPrimitives.ReadSingleLittleEndian(value)),
        StatisticsOrder.Double => double.IsNaN(BinaryPrimitives.ReadDoubleLittleEndian(value)),
        _ => false,
    };

    /// <summary>
    /// parquet.thrift: a zero minimum is written as -0 and a zero maximum as +0, so readers that
    /// prune on either sign of zero stay correct.
    /// </summary>
    public static byte[] AdjustZero(StatisticsOrder order, byte[] value, bool isMin)
    {
        switch (order)
        {
            case StatisticsOrder.Float16 when BinaryPrimitives.ReadHalfLittleEndian(value) == Half.Zero:
                BinaryPrimitives.WriteHalfLittleEndian(value, isMin ? Half.NegativeZero : Half.Zero);
                break;
            case StatisticsOrder.Float when BinaryPrimitives.ReadSingleLittleEndian(value) == 0f:
                BinaryPrimitives.WriteSingleLittleEndian(value, isMin ? -0f : 0f);
                break;
            case StatisticsOrder.Double when BinaryPrimitives.ReadDoubleLittleEndian(value) == 0d:
                BinaryPrimitives.WriteDoubleLittleEndian(value, isMin ? -0d : 0d);
                break;
        }
        return value;
    }

    private static int CompareSignedBigEndian(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        // Same width (FIXED_LEN_BYTE_ARRAY): the sign bytes decide first, then the rest unsigned.
        bool aNegative = a.Length > 0 && (a[0] & 0x80) != 0;
        bool bNegative = b.Length > 0 && (b[0] & 0x80) != 0;
        if (aNegative != bNegative)
        {
            return aNegative ? -1 : 1;
        }
        return a.SequenceCompareTo(b);
    }
}
