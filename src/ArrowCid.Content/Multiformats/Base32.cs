namespace ArrowCid.Content.Multiformats;

/// <summary>RFC 4648 base32 without padding, in the lower- or upper-case alphabet.</summary>
internal static class Base32
{
    private const string Lower = "abcdefghijklmnopqrstuvwxyz234567";
    private const string Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static void Encode(ReadOnlySpan<byte> data, bool upper, Span<char> destination)
    {
        string alphabet = upper ? Upper : Lower;
        int buffer = 0;
        int bits = 0;
        int written = 0;
        foreach (byte b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                destination[written++] = alphabet[(buffer >> bits) & 31];
            }
        }

        if (bits > 0)
        {
            destination[written] = alphabet[(buffer << (5 - bits)) & 31];
        }
    }

    public static int EncodedLength(int byteCount) => (int)(((long)byteCount * 8 + 4) / 5);

    /// <summary>Decodes <paramref name="text"/>; errors report <paramref name="baseOffset"/> + index.</summary>
    public static byte[] Decode(ReadOnlySpan<char> text, bool upper, int baseOffset)
    {
        // 8 characters carry 5 bytes; a final group of 1, 3 or 6 characters cannot come from whole bytes.
        int remainder = text.Length % 8;
        if (remainder is 1 or 3 or 6)
        {
            throw new ContentFormatException($"base32 text of {text.Length} characters cannot encode whole bytes", baseOffset + text.Length);
        }

        var bytes = new byte[(int)((long)text.Length * 5 / 8)];
        int buffer = 0;
        int bits = 0;
        int written = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int value = ValueOf(text[i], upper);
            if (value < 0)
            {
                throw new ContentFormatException($"'{text[i]}' is not a {(upper ? "upper" : "lower")}-case base32 character", baseOffset + i);
            }

            buffer = ((buffer << 5) | value) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                bytes[written++] = (byte)(buffer >> bits);
            }
        }

        // Canonical form: the unused low bits of the last character are zero.
        if ((buffer & ((1 << bits) - 1)) != 0)
        {
            throw new ContentFormatException("base32 text has non-zero trailing bits (not canonical)", baseOffset + text.Length - 1);
        }

        return bytes;
    }

    private static int ValueOf(char c, bool upper)
    {
        char first = upper ? 'A' : 'a';
        if (c >= first && c < first + 26)
        {
            return c - first;
        }

        return c is >= '2' and <= '7' ? c - '2' + 26 : -1;
    }
}
