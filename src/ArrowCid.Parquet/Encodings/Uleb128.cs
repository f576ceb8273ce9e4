using System.Buffers;

namespace ArrowCid.Parquet.Encodings;

/// <summary>ULEB128 and zigzag varints as the RLE and delta encodings use them, with bounds checks.</summary>
internal static class Uleb128
{
    public static ulong Read(ReadOnlySpan<byte> source, ref int position, string what)
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= source.Length)
            {
                throw new ParquetFormatException($"{what}: data ends inside a varint");
            }
            byte b = source[position++];
            if (shift == 63 && b > 1)
            {
                throw new ParquetFormatException($"{what}: varint overflows 64 bits");
            }
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }
        throw new ParquetFormatException($"{what}: varint longer than 10 bytes");
    }

    public static long ReadZigZag(ReadOnlySpan<byte> source, ref int position, string what)
    {
        ulong n = Read(source, ref position, what);
        return unchecked((long)(n >> 1) ^ -(long)(n & 1));
    }

    public static void Write(IBufferWriter<byte> output, ulong value)
    {
        Span<byte> span = output.GetSpan(10);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        output.Advance(i);
    }

    public static void WriteZigZag(IBufferWriter<byte> output, long value) =>
        Write(output, unchecked((ulong)((value << 1) ^ (value >> 63))));
}
