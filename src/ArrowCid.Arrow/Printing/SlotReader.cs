using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Printing;

/// <summary>Raw reads of one fixed-width slot, shared by <see cref="ValueReader"/> and <see cref="ValueText"/>.</summary>
internal static class SlotReader
{
    /// <summary>The bytes of slot <paramref name="index"/> of a fixed-width array.</summary>
    public static ReadOnlySpan<byte> Bytes(ArrayData array, int index)
    {
        int width = array.Layout.ValueBitWidth / 8;
        return array.Buffers[1].Span.Slice((array.Offset + index) * width, width);
    }

    /// <summary>Any integer-stored slot (integers, dates, times, timestamps, durations, dictionary indices) widened to Int128.</summary>
    public static Int128 Integer(ArrayData array, int index, ArrowTypeId storage)
    {
        var bytes = Bytes(array, index);
        return storage switch
        {
            ArrowTypeId.Int8 => (sbyte)bytes[0],
            ArrowTypeId.UInt8 => bytes[0],
            ArrowTypeId.Int16 => BinaryPrimitives.ReadInt16LittleEndian(bytes),
            ArrowTypeId.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            ArrowTypeId.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            ArrowTypeId.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            _ when bytes.Length == 4 => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadInt64LittleEndian(bytes),
        };
    }

    /// <summary>A 32- or 64-bit signed slot (temporal types) as long.</summary>
    public static long Signed(ArrayData array, int index) => (long)Integer(array, index, ArrowTypeId.Int64);

    /// <summary>The dictionary slot a dictionary-encoded slot points at.</summary>
    public static int DictionaryIndex(ArrayData array, int index) =>
        (int)Integer(array, index, array.Type.PhysicalType.IndexType!.Id);

    /// <summary>Child index range of a list-like slot, as ints (validated arrays keep them in range).</summary>
    public static (int Start, int End) ListRange(ArrayData array, int index)
    {
        var (start, end) = array.GetListRange(index);
        return ((int)start, (int)end);
    }
}
