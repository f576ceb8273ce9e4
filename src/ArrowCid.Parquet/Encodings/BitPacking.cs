using System.Buffers.Binary;

namespace ArrowCid.Parquet.Encodings;

/// <summary>
/// Little-endian, LSB-first bit packing as the RLE/bit-packing hybrid and DELTA_BINARY_PACKED
/// use it: value i of width w occupies bits [i·w, (i+1)·w) of the byte stream, bit 0 being the
/// least significant bit of byte 0. Widths 0..64.
/// </summary>
internal static class BitPacking
{
    /// <summary>Bytes needed for <paramref name="count"/> values of <paramref name="bitWidth"/> bits.</summary>
    public static long ByteCount(long count, int bitWidth) => (count * bitWidth + 7) / 8;

    /// <summary>Reads value <paramref name="index"/>; the caller has checked the bytes are there.</summary>
    public static ulong Read(ReadOnlySpan<byte> source, long index, int bitWidth)
    {
        if (bitWidth == 0)
        {
            return 0;
        }
        long bitPos = index * bitWidth;
        int byteIndex = (int)(bitPos >> 3);
        int shift = (int)(bitPos & 7);
        if (bitWidth <= 56 && byteIndex + 8 <= source.Length)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(byteIndex, 8));
            return (word >> shift) & ((1UL << bitWidth) - 1);
        }
        ulong result = 0;
        int got = 0;
        while (got < bitWidth)
        {
            int take = Math.Min(8 - shift, bitWidth - got);
            ulong bits = (ulong)(source[byteIndex] >> shift) & ((1UL << take) - 1);
            result |= bits << got;
            got += take;
            byteIndex++;
            shift = 0;
        }
        return result;
    }

    /// <summary>
    /// Packs <paramref name="values"/> (each below 2^bitWidth) into <paramref name="destination"/>,
    /// which must hold <see cref="ByteCount"/> bytes and is overwritten.
    /// </summary>
    public static void Pack(ReadOnlySpan<ulong> values, int bitWidth, Span<byte> destination)
    {
        destination.Slice(0, (int)ByteCount(values.Length, bitWidth)).Clear();
        if (bitWidth == 0)
        {
            return;
        }
        long bitPos = 0;
        foreach (ulong value in values)
        {
            int byteIndex = (int)(bitPos >> 3);
            int shift = (int)(bitPos & 7);
            int written = 0;
            while (written < bitWidth)
            {
                int take = Math.Min(8 - shift, bitWidth - written);
                byte bits = (byte)((value >> written) & ((1UL << take) - 1));
                destination[byteIndex] |= (byte)(bits << shift);
                written += take;
                byteIndex++;
                shift = 0;
            }
            bitPos += bitWidth;
        }
    }

    /// <summary>
    /// Packs <paramref name="values"/> (each below 2^bitWidth, bitWidth 1..32) into all of
    /// <paramref name="destination"/>, which is overwritten: the bits after the last value are 0
    /// (the padding of a bit-packed run's last group). Four bytes are stored at a time from a 64-bit
    /// accumulator instead of one value's bits a byte at a time.
    /// </summary>
    public static void Pack(ReadOnlySpan<int> values, int bitWidth, Span<byte> destination)
    {
        if (bitWidth is < 1 or > 32 || ByteCount(values.Length, bitWidth) > destination.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(bitWidth), $"{values.Length} values of {bitWidth} bits into {destination.Length} bytes");
        }
        ulong pending = 0;
        int pendingBits = 0;
        int written = 0;
        foreach (int value in values)
        {
            // pendingBits < 32 before, so the value's bits fit in the 64.
            pending |= (ulong)(uint)value << pendingBits;
            pendingBits += bitWidth;
            if (pendingBits >= 32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(destination[written..], (uint)pending);
                written += 4;
                pending >>= 32;
                pendingBits -= 32;
            }
        }
        for (; pendingBits > 0; pendingBits -= 8)
        {
            destination[written++] = (byte)pending;
            pending >>= 8;
        }
        destination[written..].Clear();
    }

    /// <summary>Bits needed to hold <paramref name="value"/> (0 for 0).</summary>
    public static int WidthOf(ulong value) => 64 - System.Numerics.BitOperations.LeadingZeroCount(value);
}
