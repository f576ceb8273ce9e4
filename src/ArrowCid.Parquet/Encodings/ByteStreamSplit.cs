namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// BYTE_STREAM_SPLIT (Encodings.md, = 9) for any fixed width K (FLOAT 4, DOUBLE 8, INT32 4,
/// INT64 8, FIXED_LEN_BYTE_ARRAY its length): byte b of value i is stored at <c>b·N + i</c>.
/// One transposition serves every type.
/// </summary>
public static class ByteStreamSplit
{
    /// <summary>
    /// Decodes <paramref name="count"/> values of <paramref name="width"/> bytes into
    /// <paramref name="destination"/> (value-major); the streams must fill <paramref name="source"/> exactly.
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> source, int width, int count, Span<byte> destination)
    {
        long bytes = (long)width * count;
        if (width <= 0 || bytes != source.Length)
        {
            throw new ParquetFormatException($"BYTE_STREAM_SPLIT: {count} values of {width} bytes need {bytes} bytes, the page holds {source.Length}");
        }
        if (destination.Length < bytes)
        {
            throw new ArgumentException("destination is too small", nameof(destination));
        }
        for (int b = 0; b < width; b++)
        {
            ReadOnlySpan<byte> stream = source.Slice(b * count, count);
            for (int i = 0; i < count; i++)
            {
                destination[i * width + b] = stream[i];
            }
        }
    }

    /// <summary>Encodes value-major bytes (a whole number of <paramref name="width"/>-byte values).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> values, int width)
    {
        if (width <= 0 || values.Length % width != 0)
        {
            throw new ArgumentException($"input is not a whole number of {width}-byte values", nameof(values));
        }
        int count = values.Length / width;
        byte[] result = new byte[values.Length];
        for (int i = 0; i < count; i++)
        {
            for (int b = 0; b < width; b++)
            {
                result[b * count + i] = values[i * width + b];
            }
        }
        return result;
    }
}
