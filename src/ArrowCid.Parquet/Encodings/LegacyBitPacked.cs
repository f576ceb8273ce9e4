namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// The deprecated BIT_PACKED level encoding (Encodings.md, = 4): values packed from the most
/// significant bit of each byte down, no header, no length prefix.
/// </summary>
public static class LegacyBitPacked
{
    /// <summary>Decodes <c>destination.Length</c> levels; returns the bytes used.</summary>
    public static int Decode(ReadOnlySpan<byte> source, int bitWidth, Span<int> destination)
    {
        if (bitWidth is < 0 or > 32)
        {
            throw new ParquetFormatException($"BIT_PACKED: bit width {bitWidth} is outside 0..32");
        }
        long bytes = BitPacking.ByteCount(destination.Length, bitWidth);
        if (bytes > source.Length)
        {
            throw new ParquetFormatException($"BIT_PACKED: {destination.Length} levels need {bytes} bytes, {source.Length} present");
        }
        long bit = 0;
        for (int i = 0; i < destination.Length; i++)
        {
            uint value = 0;
            for (int k = 0; k < bitWidth; k++, bit++)
            {
                value = (value << 1) | (uint)((source[(int)(bit >> 3)] >> (7 - (int)(bit & 7))) & 1);
            }
            destination[i] = unchecked((int)value);
        }
        return (int)bytes;
    }
}
