using System.Buffers;
using System.Buffers.Binary;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// The RLE / bit-packing hybrid (Encodings.md, RLE = 3) used for definition and repetition
/// levels, dictionary indices and RLE booleans. A run header is a ULEB128 varint: low bit 1 means
/// a bit-packed run of <c>(header &gt;&gt; 1) · 8</c> values packed LSB-first, low bit 0 an RLE run of
/// <c>header &gt;&gt; 1</c> copies of one value stored in <c>ceil(bitWidth / 8)</c> little-endian bytes.
/// Bit widths 0..32.
/// </summary>
public static class RleBitPackedHybrid
{
    /// <summary>Largest bit width the hybrid carries (values are int32).</summary>
    public const int MaxBitWidth = 32;

    /// <summary>
    /// Decodes exactly <c>destination.Length</c> values from the start of <paramref name="source"/>
    /// and returns how many bytes the runs used. Runs may hold more values than needed (the last
    /// bit-packed group is padded); the extra ones are ignored.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> source, int bitWidth, Span<int> destination)
    {
        CheckBitWidth(bitWidth);
        int position = 0;
        int filled = 0;
        int valueBytes = (bitWidth + 7) / 8;
        while (filled < destination.Length)
        {
            if (position >= source.Length)
            {
                throw new ParquetFormatException($"RLE: data ends after {filled} of {destination.Length} values");
            }
            ulong header = Uleb128.Read(source, ref position, "RLE run header");
            int wanted = destination.Length - filled;
            if ((header & 1) == 1)
            {
                ulong groups = header >> 1;
                long bytes = (long)Math.Min(groups, int.MaxValue) * bitWidth;
                if (bytes > source.Length - position)
                {
                    throw new ParquetFormatException($"RLE: bit-packed run of {groups} groups needs {bytes} bytes, {source.Length - position} left");
                }
                ReadOnlySpan<byte> packed = source.Slice(position, (int)bytes);
                int take = (int)Math.Min((ulong)wanted, groups * 8);
                for (int i = 0; i < take; i++)
                {
                    destination[filled + i] = (int)BitPacking.Read(packed, i, bitWidth);
                }
                filled += take;
                position += (int)bytes;
            }
            else
            {
                ulong runLength = header >> 1;
                if (valueBytes > source.Length - position)
                {
                    throw new ParquetFormatException("RLE: data ends inside a run value");
                }
                uint value = 0;
                for (int b = 0; b < valueBytes; b++)
                {
                    value |= (uint)source[position + b] << (8 * b);
                }
                position += valueBytes;
                if (bitWidth < 32 && value >> bitWidth != 0)
                {
                    throw new ParquetFormatException($"RLE: run value {value} does not fit {bitWidth} bits");
                }
                int take = (int)Math.Min((ulong)wanted, runLength);
                destination.Slice(filled, take).Fill(unchecked((int)value));
                filled += take;
            }
        }
        return position;
    }

    /// <summary>
    /// Decodes the form with a 4-byte little-endian length in front (v1 page levels, RLE
    /// booleans) and returns the bytes used, prefix included.
    /// </summary>
    public static int DecodeWithLengthPrefix(ReadOnlySpan<byte> source, int bitWidth, Span<int> destination)
    {
        if (source.Length < 4)
        {
            throw new ParquetFormatException("RLE: data ends inside the 4-byte length prefix");
        }
        int length = BinaryPrimitives.ReadInt32LittleEndian(source);
        if (length < 0 || length > source.Length - 4)
        {
            throw new ParquetFormatException($"RLE: length prefix {length} exceeds the {source.Length - 4} bytes left");
        }
        Decode(source.Slice(4, length), bitWidth, destination);
        return 4 + length;
    }

    /// <summary>
    /// Encodes <paramref name="values"/> (each in 0..2^bitWidth-1): runs of 8 or more equal values
    /// become RLE runs, everything else bit-packed groups of 8 (the final group zero-padded).
    /// </summary>
    public static void Encode(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        CheckBitWidth(bitWidth);
        ArgumentNullException.ThrowIfNull(output);
        if (bitWidth < 32 && values.IndexOfAnyExceptInRange(0, (1 << bitWidth) - 1) is int outside and >= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(values), $"value {values[outside]} does not fit {bitWidth} bits");
        }
        int valueBytes = (bitWidth + 7) / 8;
        int i = 0;
        while (i < values.Length)
        {
            int run = RunLength(values, i);
            if (run >= 8)
            {
                Uleb128.Write(output, (ulong)run << 1);
                Span<byte> span = output.GetSpan(4);
                BinaryPrimitives.WriteUInt32LittleEndian(span, unchecked((uint)values[i]));
                output.Advance(valueBytes);
                i += run;
                continue;
            }
            // Bit-pack whole groups of 8 until a long run starts at a group boundary.
            int start = i;
            int groups = 0;
            do
            {
                i = Math.Min(i + 8, values.Length);
                groups++;
            }
            while (i < values.Length && groups < 63 && RunLength(values, i) < 8);
            Uleb128.Write(output, ((ulong)groups << 1) | 1);
            int byteCount = groups * bitWidth;
            Span<byte> target = output.GetSpan(Math.Max(byteCount, 1)).Slice(0, byteCount);
            if (bitWidth > 0)
            {
                BitPacking.Pack(values[start..i], bitWidth, target);
            }
            output.Advance(byteCount);
        }
    }

    /// <summary>Encodes with the 4-byte little-endian length prefix.</summary>
    public static void EncodeWithLengthPrefix(ReadOnlySpan<int> values, int bitWidth, IBufferWriter<byte> output)
    {
        var body = new ArrayBufferWriter<byte>();
        Encode(values, bitWidth, body);
        ArgumentNullException.ThrowIfNull(output);
        BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(4), body.WrittenCount);
        output.Advance(4);
        output.Write(body.WrittenSpan);
    }

    /// <summary>Bits needed for levels up to <paramref name="maxValue"/>.</summary>
    public static int BitWidthFor(int maxValue) => BitPacking.WidthOf((uint)maxValue);

    private static int RunLength(ReadOnlySpan<int> values, int start)
    {
        // Vectorised search for the first different value: level runs are often thousands long.
        int different = values[(start + 1)..].IndexOfAnyExcept(values[start]);
        return different < 0 ? values.Length - start : different + 1;
    }

    private static void CheckBitWidth(int bitWidth)
    {
        if (bitWidth is < 0 or > MaxBitWidth)
        {
            throw new ParquetFormatException($"RLE: bit width {bitWidth} is outside 0..{MaxBitWidth}");
        }
    }
}
