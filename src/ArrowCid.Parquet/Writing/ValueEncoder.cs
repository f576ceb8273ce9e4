using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// Encodes a range of a <see cref="ColumnBuffer"/>'s values in one encoding (the values section
/// of a data page, or a dictionary page). Every encoding reads the same buffer, so each is written
/// once for all physical types.
/// </summary>
internal static class ValueEncoder
{
    /// <summary>Whether <paramref name="encoding"/> can encode values of <paramref name="type"/>.</summary>
    public static bool Supports(Encoding encoding, PhysicalType type) => encoding switch
    {
        Encoding.Plain => true,
        Encoding.Rle => type == PhysicalType.Boolean,
        Encoding.DeltaBinaryPacked => type is PhysicalType.Int32 or PhysicalType.Int64,
        Encoding.DeltaLengthByteArray => type == PhysicalType.ByteArray,
        Encoding.DeltaByteArray => type is PhysicalType.ByteArray or PhysicalType.FixedLenByteArray,
        Encoding.ByteStreamSplit => type is PhysicalType.Float or PhysicalType.Double or PhysicalType.Int32
            or PhysicalType.Int64 or PhysicalType.FixedLenByteArray,
        _ => false,
    };

    /// <summary>Encodes values <paramref name="start"/>..<paramref name="end"/> (exclusive).</summary>
    public static void Encode(ColumnBuffer buffer, PhysicalType type, Encoding encoding, int start, int end, IBufferWriter<byte> output)
    {
        int width = buffer.Width;
        ReadOnlySpan<byte> rows = width == 0 ? default : buffer.FixedValues[(start * width)..(end * width)];
        switch (encoding)
        {
            case Encoding.Plain when type == PhysicalType.Boolean:
                EncodePlainBooleans(rows, output);
                break;
            case Encoding.Plain when width == 0:
                EncodePlainByteArrays(buffer, start, end, output);
                break;
            case Encoding.Plain:
                output.Write(rows);
                break;
            case Encoding.Rle:
                EncodeRleBooleans(rows, output);
                break;
            case Encoding.DeltaBinaryPacked when type == PhysicalType.Int32:
                DeltaBinaryPacked.EncodeInt32(MemoryMarshal.Cast<byte, int>(rows), output);
                break;
            case Encoding.DeltaBinaryPacked:
                DeltaBinaryPacked.EncodeInt64(MemoryMarshal.Cast<byte, long>(rows), output);
                break;
            case Encoding.DeltaLengthByteArray:
                DeltaLengthByteArray.Encode(Slice(buffer, start, end), output);
                break;
            case Encoding.DeltaByteArray:
                DeltaByteArray.Encode(Slice(buffer, start, end), output);
                break;
            case Encoding.ByteStreamSplit:
                output.Write(ByteStreamSplit.Encode(rows, width));
                break;
            default:
                throw new ArgumentException($"encoding {encoding} cannot encode {type} values");
        }
    }

    /// <summary>PLAIN encoding of the dictionary entries (values addressed by index).</summary>
    public static void EncodeDictionary(ColumnBuffer buffer, IReadOnlyList<int> entries, IBufferWriter<byte> output)
    {
        foreach (int index in entries)
        {
            ReadOnlySpan<byte> value = buffer.Value(index);
            if (buffer.Width == 0)
            {
                BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), value.Length);
                output.Advance(4);
            }
            output.Write(value);
        }
    }

    /// <summary>RLE_DICTIONARY indices: one byte of bit width, then the RLE/bit-packed hybrid.</summary>
    public static void EncodeIndices(ReadOnlySpan<int> indices, int dictionarySize, IBufferWriter<byte> output)
    {
        // At least 1 bit: a zero width is legal but some readers mishandle it.
        int bitWidth = Math.Max(1, RleBitPackedHybrid.BitWidthFor(dictionarySize - 1));
        output.GetSpan(1)[0] = (byte)bitWidth;
        output.Advance(1);
        RleBitPackedHybrid.Encode(indices, bitWidth, output);
    }

    private static void EncodeRleBooleans(ReadOnlySpan<byte> rows, IBufferWriter<byte> output)
    {
        int[] bits = ArrayPool<int>.Shared.Rent(rows.Length);
        try
        {
            for (int i = 0; i < rows.Length; i++)
            {
                bits[i] = rows[i];
            }
            RleBitPackedHybrid.EncodeWithLengthPrefix(bits.AsSpan(0, rows.Length), 1, output);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(bits);
        }
    }

    /// <summary>PLAIN byte arrays straight from the buffer's offsets and data: one length and one copy per value.</summary>
    private static void EncodePlainByteArrays(ColumnBuffer buffer, int start, int end, IBufferWriter<byte> output)
    {
        ReadOnlySpan<int> offsets = buffer.Offsets;
        ReadOnlySpan<byte> data = buffer.Data;
        int total = checked((end - start) * 4 + (offsets[end] - offsets[start]));
        Span<byte> target = output.GetSpan(Math.Max(total, 1));
        int position = 0;
        for (int i = start; i < end; i++)
        {
            int from = offsets[i];
            int length = offsets[i + 1] - from;
            BinaryPrimitives.WriteInt32LittleEndian(target[position..], length);
            data.Slice(from, length).CopyTo(target[(position + 4)..]);
            position += 4 + length;
        }
        output.Advance(total);
    }

    /// <summary>PLAIN booleans (one byte 0/1 each in the buffer) packed 8 to a byte, LSB first.</summary>
    private static void EncodePlainBooleans(ReadOnlySpan<byte> rows, IBufferWriter<byte> output)
    {
        int bytes = (rows.Length + 7) / 8;
        Span<byte> target = output.GetSpan(Math.Max(bytes, 1))[..bytes];
        int whole = rows.Length / 8;
        for (int b = 0; b < whole; b++)
        {
            // Eight 0/1 bytes read as one little-endian word: byte k's bit lands at bit k by the multiply.
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(rows.Slice(b * 8, 8));
            target[b] = (byte)((word * 0x0102040810204080UL) >> 56);
        }
        if (whole < bytes)
        {
            byte last = 0;
            for (int i = whole * 8; i < rows.Length; i++)
            {
                last |= (byte)(rows[i] << (i & 7));
            }
            target[whole] = last;
        }
        output.Advance(bytes);
    }

    private static ByteArrayValues Slice(ColumnBuffer buffer, int start, int end)
    {
        ReadOnlySpan<int> offsets = buffer.Offsets;
        int[] rebased = new int[end - start + 1];
        for (int i = 0; i < rebased.Length; i++)
        {
            rebased[i] = offsets[start + i] - offsets[start];
        }
        return new ByteArrayValues(rebased, buffer.Data[offsets[start]..offsets[end]].ToArray());
    }
}
