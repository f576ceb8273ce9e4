using System.Buffers;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// DELTA_LENGTH_BYTE_ARRAY (Encodings.md, = 6): all lengths as DELTA_BINARY_PACKED INT32, then
/// all bytes back to back.
/// </summary>
public static class DeltaLengthByteArray
{
    /// <summary>Decodes <paramref name="count"/> values into <paramref name="destination"/>; returns the bytes used.</summary>
    public static int Decode(ReadOnlySpan<byte> source, int count, ByteArrayBuilder destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int[] lengths = ArrayPool<int>.Shared.Rent(count);
        try
        {
            Span<int> lengthSpan = lengths.AsSpan(0, count);
            int position = DeltaBinaryPacked.DecodeInt32(source, lengthSpan);
            long total = 0;
            foreach (int length in lengthSpan)
            {
                if (length < 0)
                {
                    throw new ParquetFormatException($"DELTA_LENGTH_BYTE_ARRAY: negative length {length}");
                }
                total += length;
            }
            if (total > source.Length - position)
            {
                throw new ParquetFormatException($"DELTA_LENGTH_BYTE_ARRAY: lengths sum to {total} bytes, {source.Length - position} present");
            }
            foreach (int length in lengthSpan)
            {
                destination.Add(source.Slice(position, length));
                position += length;
            }
            return position;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(lengths);
        }
    }

    /// <summary>Encodes the values.</summary>
    public static void Encode(ByteArrayValues values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(output);
        int[] lengths = new int[values.Count];
        for (int i = 0; i < lengths.Length; i++)
        {
            lengths[i] = values.Offsets[i + 1] - values.Offsets[i];
        }
        DeltaBinaryPacked.EncodeInt32(lengths, output);
        output.Write(values.Data.AsSpan(0, values.Offsets[^1]));
    }
}
