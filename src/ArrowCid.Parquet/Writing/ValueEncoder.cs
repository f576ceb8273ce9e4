using System.Buffers;
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
    public static void Encode(ColumnBuffer buffer, PhysicalType type, Encoding encoding, int start, int end, ArrayBufferWriter<byte> output)
    {
        int width = buffer.Width;
        ReadOnlySpan<byte> rows = width == 0 ? default : buffer.FixedValues[(start * width)..(end * width)];
        switch (encoding)
        {
            case Encoding.Plain when type == PhysicalType.Boolean:
                PlainEncoding.EncodeBooleans(MemoryMarshal.Cast<byte, bool>(rows), output);
                break;
            case Encoding.Plain when width == 0:
                PlainEncoding.EncodeByteArrays(Slice(buffer, start, end), output);
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
    public static void EncodeDictionary(ColumnBuffer buffer, PhysicalType type, IReadOnlyList<int> entries, ArrayBufferWriter<byte> output)
    {
        _ = type;
        var copy = new ColumnBuffer(buffer.Width);
        foreach (int index in entries)
        {
            ReadOnlySpan<byte> value = buffer.Value(index);
            value.CopyTo(buffer.Width == 0 ? copy.AppendBytes(value.Length) : copy.AppendFixed());
        }
        Encode(copy, type, Encoding.Plain, 0, entries.Count, output);
    }

    /// <summary>RLE_DICTIONARY indices: one byte of bit width, then the RLE/bit-packed hybrid.</summary>
    public static void EncodeIndices(ReadOnlySpan<int> indices, int dictionarySize, ArrayBufferWriter<byte> output)
    {
        // At least 1 bit: a zero width is legal but some readers mishandle it.
        int bitWidth = Math.Max(1, RleBitPackedHybrid.BitWidthFor(dictionarySize - 1));
        output.GetSpan(1)[0] = (byte)bitWidth;
        output.Advance(1);
        RleBitPackedHybrid.Encode(indices, bitWidth, output);
    }

    private static void EncodeRleBooleans(ReadOnlySpan<byte> rows, ArrayBufferWriter<byte> output)
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

    private static ByteArrayValues Slice(ColumnBuffer buffer, int start, int end)
    {
        var builder = new ByteArrayBuilder();
        for (int i = start; i < end; i++)
        {
            builder.Add(buffer.Value(i));
        }
        return builder.Build();
    }
}
