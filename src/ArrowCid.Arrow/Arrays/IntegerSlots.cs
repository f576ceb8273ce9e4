using System.Buffers.Binary;

namespace ArrowCid.Arrow.Arrays;

/// <summary>
/// Reads and writes dictionary indices and run ends, whatever their integer width: the one place
/// that turns 1, 2, 4 or 8 little-endian bytes into a long (uint64 above long.MaxValue throws
/// <see cref="OverflowException"/>; validated arrays never hold one).
/// </summary>
public static class IntegerSlots
{
    /// <summary>The index stored in slot <paramref name="slot"/> of a dictionary-encoded array.</summary>
    public static long DictionaryIndex(ArrayData a, int slot)
    {
        var indexType = a.Type.PhysicalType.IndexType!;
        int width = indexType.BitWidth / 8;
        return Read(a.Buffers[1].Span.Slice((a.Offset + slot) * width, width), indexType.IsSignedInteger);
    }

    /// <summary>The run end at physical position <paramref name="physicalSlot"/> of a run-ends child.</summary>
    public static long RunEnd(ArrayData runEnds, int physicalSlot)
    {
        int width = runEnds.Type.BitWidth / 8;
        return Read(runEnds.Buffers[1].Span.Slice(physicalSlot * width, width), signed: true);
    }

    /// <summary>A little-endian integer of 1, 2, 4 or 8 bytes.</summary>
    public static long Read(ReadOnlySpan<byte> bytes, bool signed) => bytes.Length switch
    {
        1 => signed ? (sbyte)bytes[0] : bytes[0],
        2 => signed ? BinaryPrimitives.ReadInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        4 => signed ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        _ => signed ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : checked((long)BinaryPrimitives.ReadUInt64LittleEndian(bytes)),
    };

    /// <summary>Writes <paramref name="value"/> as a little-endian integer as wide as <paramref name="destination"/>.</summary>
    public static void Write(Span<byte> destination, long value)
    {
        switch (destination.Length)
        {
            case 1: destination[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteInt16LittleEndian(destination, (short)value); break;
            case 4: BinaryPrimitives.WriteInt32LittleEndian(destination, (int)value); break;
            default: BinaryPrimitives.WriteInt64LittleEndian(destination, value); break;
        }
    }
}
