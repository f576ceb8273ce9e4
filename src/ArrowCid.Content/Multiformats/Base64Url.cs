namespace ArrowCid.Content.Multiformats;

/// <summary>RFC 4648 base64url without padding; canonical (unused trailing bits must be zero).</summary>
internal static class Base64Url
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(int)(((long)data.Length * 8 + 5) / 6)];
        int buffer = 0;
        int bits = 0;
        int written = 0;
        foreach (byte b in data)
        {
            buffer = ((buffer << 8) | b) & 0xFFFF;
            bits += 8;
            while (bits >= 6)
            {
                bits -= 6;
                chars[written++] = Alphabet[(buffer >> bits) & 63];
            }
        }

        if (bits > 0)
        {
            chars[written] = Alphabet[(buffer << (6 - bits)) & 63];
        }

        return new string(chars);
    }

    public static byte[] Decode(ReadOnlySpan<char> text, int baseOffset)
    {
        if (text.Length % 4 == 1)
        {
            throw new ContentFormatException($"base64url text of {text.Length} characters cannot encode whole bytes", baseOffset + text.Length);
        }

        var bytes = new byte[(int)((long)text.Length * 6 / 8)];
        int buffer = 0;
        int bits = 0;
        int written = 0;
        for (int i = 0; i < text.Length; i++)
        {
            int value = Alphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ContentFormatException($"'{text[i]}' is not a base64url character (padding is not allowed)", baseOffset + i);
            }

            buffer = ((buffer << 6) | value) & 0xFFF;
            bits += 6;
            if (bits >= 8)
            {
                bits -= 8;
                bytes[written++] = (byte)(buffer >> bits);
            }
        }

        if ((buffer & ((1 << bits) - 1)) != 0)
        {
            throw new ContentFormatException("base64url text has non-zero trailing bits (not canonical)", baseOffset + text.Length - 1);
        }

        return bytes;
    }
}
