using System.Numerics;
using System.Runtime.InteropServices;

namespace ArrowCid.Arrow.Memory;

/// <summary>Bit-level helpers for validity bitmaps and boolean buffers (LSB-first bit order).</summary>
public static class BitUtil
{
    /// <summary>Whether bit <paramref name="index"/> is set.</summary>
    public static bool GetBit(ReadOnlySpan<byte> bits, long index) => (bits[(int)(index >> 3)] & (1 << (int)(index & 7))) != 0;

    /// <summary>Sets or clears bit <paramref name="index"/>.</summary>
    public static void SetBit(Span<byte> bits, long index, bool value)
    {
        int b = (int)(index >> 3);
        byte mask = (byte)(1 << (int)(index & 7));
        bits[b] = value ? (byte)(bits[b] | mask) : (byte)(bits[b] & ~mask);
    }

    /// <summary>Bytes needed for <paramref name="bitCount"/> bits.</summary>
    public static long BytesForBits(long bitCount) => (bitCount + 7) >> 3;

    /// <summary>Rounds up to a multiple of <paramref name="alignment"/> (a power of two).</summary>
    public static long RoundUp(long value, int alignment) => (value + alignment - 1) & ~(long)(alignment - 1);

    /// <summary>Number of set bits among <paramref name="length"/> bits starting at bit <paramref name="offset"/>.</summary>
    public static int CountSetBits(ReadOnlySpan<byte> bits, int offset, int length)
    {
        if (length == 0)
        {
            return 0;
        }

        int count = 0;
        int i = offset;
        int end = offset + length;
        // Leading bits up to a byte boundary.
        while (i < end && (i & 7) != 0)
        {
            count += GetBit(bits, i) ? 1 : 0;
            i++;
        }

        // Whole 64-bit words, then whole bytes.
        int byteIndex = i >> 3;
        int wholeBytes = (end - i) >> 3;
        var words = MemoryMarshal.Cast<byte, ulong>(bits.Slice(byteIndex, wholeBytes & ~7));
        foreach (ulong w in words)
        {
            count += BitOperations.PopCount(w);
        }

        for (int b = byteIndex + (words.Length * 8); b < byteIndex + wholeBytes; b++)
        {
            count += BitOperations.PopCount((uint)bits[b]);
        }

        i += wholeBytes * 8;
        while (i < end)
        {
            count += GetBit(bits, i) ? 1 : 0;
            i++;
        }

        return count;
    }

    /// <summary>Copies <paramref name="length"/> bits from <paramref name="src"/> at <paramref name="srcOffset"/> to <paramref name="dst"/> starting at bit 0; bits past the length in the last byte are zeroed.</summary>
    public static void CopyBits(ReadOnlySpan<byte> src, int srcOffset, int length, Span<byte> dst)
    {
        int byteCount = (int)BytesForBits(length);
        if ((srcOffset & 7) == 0)
        {
            src.Slice(srcOffset >> 3, byteCount).CopyTo(dst);
        }
        else
        {
            int shift = srcOffset & 7;
            int start = srcOffset >> 3;
            for (int b = 0; b < byteCount; b++)
            {
                int lo = src[start + b] >> shift;
                int hi = start + b + 1 < src.Length ? src[start + b + 1] << (8 - shift) : 0;
                dst[b] = (byte)(lo | hi);
            }
        }

        if ((length & 7) != 0)
        {
            dst[byteCount - 1] &= (byte)((1 << (length & 7)) - 1);
        }
    }
}
