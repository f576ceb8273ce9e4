namespace ArrowCid.Content.Multiformats;

/// <summary>Hexadecimal in one fixed case: 'f' is lower-case, 'F' upper-case, never mixed.</summary>
internal static class Base16
{
    public static string Encode(ReadOnlySpan<byte> data, bool upper) =>
        upper ? Convert.ToHexString(data) : Convert.ToHexStringLower(data);

    public static byte[] Decode(ReadOnlySpan<char> text, bool upper, int baseOffset)
    {
        if (text.Length % 2 != 0)
        {
            throw new ContentFormatException("base16 text has an odd number of characters", baseOffset + text.Length);
        }

        var bytes = new byte[text.Length / 2];
        for (int i = 0; i < text.Length; i += 2)
        {
            bytes[i / 2] = (byte)((Nibble(text[i], upper, baseOffset + i) << 4) | Nibble(text[i + 1], upper, baseOffset + i + 1));
        }

        return bytes;
    }

    private static int Nibble(char c, bool upper, int offset)
    {
        char letter = upper ? 'A' : 'a';
        if (c is >= '0' and <= '9')
        {
            return c - '0';
        }

        if (c >= letter && c < letter + 6)
        {
            return c - letter + 10;
        }

        throw new ContentFormatException($"'{c}' is not a {(upper ? "upper" : "lower")}-case base16 character", offset);
    }
}
