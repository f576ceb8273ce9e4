using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>Converts one valid Arrow slot into the physical value of its leaf (one path for every type).</summary>
internal static class LeafValueWriter
{
    private const long MillisecondsPerDay = 86_400_000;

    public static void Write(LeafPlan leaf, ArrayData array, int index, ColumnBuffer sink)
    {
        switch (leaf.Conversion)
        {
            case ValueConversion.Boolean:
                sink.AppendFixed()[0] = array.GetBoolean(index) ? (byte)1 : (byte)0;
                break;
            case ValueConversion.SignedInteger:
                StoreInteger(leaf, checked(ReadSigned(SlotBytes(array, index)) * leaf.Multiplier), sink);
                break;
            case ValueConversion.UnsignedInteger:
                StoreInteger(leaf, (long)ReadUnsigned(SlotBytes(array, index)), sink);
                break;
            case ValueConversion.Date64ToDays:
                StoreInteger(leaf, FloorDivide(ReadSigned(SlotBytes(array, index)), MillisecondsPerDay), sink);
                break;
            case ValueConversion.RawSlot:
                SlotBytes(array, index).CopyTo(sink.AppendFixed());
                break;
            case ValueConversion.BigEndianDecimal:
            {
                ReadOnlySpan<byte> little = SlotBytes(array, index);
                Span<byte> target = sink.AppendFixed();
                // The low bytes in reverse order: big-endian two's complement of the same value.
                for (int i = 0; i < target.Length; i++)
                {
                    target[i] = little[target.Length - 1 - i];
                }
                break;
            }
            case ValueConversion.Bytes:
            {
                ReadOnlySpan<byte> bytes = array.GetBytes(index);
                bytes.CopyTo(sink.AppendBytes(bytes.Length));
                break;
            }
            default:
                throw new InvalidOperationException($"column {leaf.DottedPath}: a value in a column that is always null");
        }
    }

    private static void StoreInteger(LeafPlan leaf, long value, ColumnBuffer sink)
    {
        if (leaf.PhysicalType == PhysicalType.Int32)
        {
            BinaryPrimitives.WriteInt32LittleEndian(sink.AppendFixed(), unchecked((int)value));
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(sink.AppendFixed(), value);
        }
    }

    private static long FloorDivide(long value, long divisor)
    {
        (long quotient, long remainder) = Math.DivRem(value, divisor);
        return remainder < 0 ? quotient - 1 : quotient;
    }

    private static ReadOnlySpan<byte> SlotBytes(ArrayData array, int index)
    {
        int width = array.Type.PhysicalType.BitWidth / 8;
        return array.Buffers[1].Span.Slice((array.Offset + index) * width, width);
    }

    private static long ReadSigned(ReadOnlySpan<byte> slot) => slot.Length switch
    {
        1 => (sbyte)slot[0],
        2 => BinaryPrimitives.ReadInt16LittleEndian(slot),
        4 => BinaryPrimitives.ReadInt32LittleEndian(slot),
        // Decimals wider than 8 bytes whose precision fits INT64: the low 8 bytes are the value.
        _ => BinaryPrimitives.ReadInt64LittleEndian(slot),
    };

    private static ulong ReadUnsigned(ReadOnlySpan<byte> slot) => slot.Length switch
    {
        1 => slot[0],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(slot),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(slot),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(slot),
    };
}
