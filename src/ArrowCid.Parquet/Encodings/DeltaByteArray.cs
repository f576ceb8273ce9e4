using System.Buffers;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// DELTA_BYTE_ARRAY (Encodings.md, = 7), front coding: the length of the prefix shared with the
/// previous value (DELTA_BINARY_PACKED), then the suffixes (DELTA_LENGTH_BYTE_ARRAY).
/// </summary>
public static class DeltaByteArray
{
    /// <summary>Decodes <paramref name="count"/> values into <paramref name="destination"/>; returns the bytes used.</summary>
    public static int Decode(ReadOnlySpan<byte> source, int count, ByteArrayBuilder destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        int[] prefixes = ArrayPool<int>.Shared.Rent(count);
        try
        {
            int position = DeltaBinaryPacked.DecodeInt32(source, prefixes.AsSpan(0, count));
            var suffixes = new ByteArrayBuilder();
            position += DeltaLengthByteArray.Decode(source.Slice(position), count, suffixes);
            // Shared prefixes repeat earlier bytes: what they expand to is checked before it is copied.
            long expanded = suffixes.ByteLength;
            foreach (int prefix in prefixes.AsSpan(0, count))
            {
                expanded += Math.Max(0, prefix);
            }
            destination.EnsureRoom(expanded);
            int previous = -1;
            for (int i = 0; i < count; i++)
            {
                int prefix = prefixes[i];
                int previousLength = previous < 0 ? 0 : destination[previous].Length;
                if (prefix < 0 || prefix > previousLength)
                {
                    throw new ParquetFormatException($"DELTA_BYTE_ARRAY: value {i} shares {prefix} bytes with a previous value of {previousLength}");
                }
                ReadOnlySpan<byte> suffix = suffixes[i];
                Span<byte> target = destination.Append(prefix + suffix.Length);
                if (prefix > 0)
                {
                    // Append may have moved the buffer, so the previous value is read afresh.
                    destination[previous][..prefix].CopyTo(target);
                }
                suffix.CopyTo(target[prefix..]);
                previous = destination.Count - 1;
            }
            return position;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(prefixes);
        }
    }

    /// <summary>Encodes the values.</summary>
    public static void Encode(ByteArrayValues values, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(output);
        int[] prefixes = new int[values.Count];
        var suffixes = new ByteArrayBuilder();
        for (int i = 0; i < values.Count; i++)
        {
            ReadOnlySpan<byte> current = values[i];
            int prefix = i == 0 ? 0 : current.CommonPrefixLength(values[i - 1]);
            prefixes[i] = prefix;
            suffixes.Add(current[prefix..]);
        }
        DeltaBinaryPacked.EncodeInt32(prefixes, output);
        DeltaLengthByteArray.Encode(suffixes.Build(), output);
    }
}
