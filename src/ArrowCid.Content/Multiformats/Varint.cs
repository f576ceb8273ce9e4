using System.Numerics;

namespace ArrowCid.Content.Multiformats;

/// <summary>
/// Unsigned LEB128 varints as the multiformats unsigned-varint spec defines them: 7 bits per byte,
/// least significant group first, high bit set on every byte but the last. The spec caps them at
/// 9 bytes (63 bits) and requires the minimal encoding, so both are enforced on read.
/// </summary>
public static class Varint
{
    /// <summary>The longest varint the spec allows, in bytes.</summary>
    public const int MaxLength = 9;

    /// <summary>The largest value a 9-byte varint can carry (2^63 - 1).</summary>
    public const ulong MaxValue = long.MaxValue;

    /// <summary>Number of bytes <paramref name="value"/> takes when encoded.</summary>
    /// <param name="value">A value no larger than <see cref="MaxValue"/>.</param>
    /// <returns>1 to 9.</returns>
    public static int GetLength(ulong value)
    {
        CheckRange(value);
        int bits = 64 - BitOperations.LeadingZeroCount(value | 1);
        return (bits + 6) / 7;
    }

    /// <summary>Encodes <paramref name="value"/> into <paramref name="destination"/>.</summary>
    /// <param name="value">A value no larger than <see cref="MaxValue"/>.</param>
    /// <param name="destination">Where the bytes go; must hold <see cref="GetLength"/> bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Write(ulong value, Span<byte> destination)
    {
        int length = GetLength(value);
        if (destination.Length < length)
        {
            throw new ArgumentException($"Destination holds {destination.Length} bytes; the varint needs {length}.", nameof(destination));
        }

        for (int i = 0; i < length - 1; i++)
        {
            destination[i] = (byte)((value & 0x7F) | 0x80);
            value >>= 7;
        }

        destination[length - 1] = (byte)value;
        return length;
    }

    /// <summary>Encodes <paramref name="value"/> into a new array.</summary>
    /// <param name="value">A value no larger than <see cref="MaxValue"/>.</param>
    /// <returns>The encoded bytes.</returns>
    public static byte[] ToBytes(ulong value)
    {
        var bytes = new byte[GetLength(value)];
        Write(value, bytes);
        return bytes;
    }

    /// <summary>Decodes one varint from the start of <paramref name="source"/>.</summary>
    /// <param name="source">Bytes beginning with a varint; bytes after it are ignored.</param>
    /// <param name="bytesRead">How many bytes the varint took.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ContentFormatException">Truncated, over-long or non-minimal input.</exception>
    public static ulong Read(ReadOnlySpan<byte> source, out int bytesRead) => Read(source, out bytesRead, 0);

    /// <summary>Decodes one varint without throwing.</summary>
    /// <param name="source">Bytes beginning with a varint.</param>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <param name="bytesRead">How many bytes the varint took, or 0 on failure.</param>
    /// <returns>Whether a valid varint was found.</returns>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        return TryDecode(source, out value, out bytesRead) == null;
    }

    /// <summary>Decodes one varint, reporting errors at <paramref name="baseOffset"/> + position.</summary>
    internal static ulong Read(ReadOnlySpan<byte> source, out int bytesRead, long baseOffset)
    {
        string? error = TryDecode(source, out ulong value, out bytesRead);
        if (error != null)
        {
            throw new ContentFormatException(error, baseOffset);
        }

        return value;
    }

    // Returns null on success, otherwise why the bytes are not a valid varint.
    private static string? TryDecode(ReadOnlySpan<byte> source, out ulong value, out int bytesRead)
    {
        value = 0;
        bytesRead = 0;
        ulong result = 0;
        for (int i = 0; i < MaxLength; i++)
        {
            if (i >= source.Length)
            {
                return source.Length == 0 ? "Varint expected but the input ended" : "Varint truncated: the input ended inside it";
            }

            byte b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // A last byte of zero (beyond the first) means a shorter encoding existed.
                if (b == 0 && i > 0)
                {
                    return "Varint is not minimally encoded";
                }

                value = result;
                bytesRead = i + 1;
                return null;
            }
        }

        return "Varint is longer than 9 bytes";
    }

    private static void CheckRange(ulong value)
    {
        if (value > MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "Varints carry at most 63 bits.");
        }
    }
}
