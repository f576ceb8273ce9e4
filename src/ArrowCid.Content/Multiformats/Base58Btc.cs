namespace ArrowCid.Content.Multiformats;

/// <summary>
/// Bitcoin's base58 alphabet. The conversion is quadratic in the length, so input is capped at
/// <see cref="MaxTextLength"/> characters; CIDs need fewer than 100.
/// </summary>
internal static class Base58Btc
{
    public const int MaxTextLength = 4096;
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxTextLength)
        {
            throw new ArgumentException($"base58btc encoding is limited to {MaxTextLength} bytes.", nameof(data));
        }

        int zeros = 0;
        while (zeros < data.Length && data[zeros] == 0)
        {
            zeros++;
        }

        // Repeated division of the big-endian number by 58; digits come out least significant first.
        var digits = new byte[data.Length * 138 / 100 + 1];
        int length = 0;
        for (int i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (int j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % 58);
                carry /= 58;
            }

            while (carry > 0)
            {
                digits[length++] = (byte)(carry % 58);
                carry /= 58;
            }
        }

        var chars = new char[zeros + length];
        chars.AsSpan(0, zeros).Fill('1');
        for (int i = 0; i < length; i++)
        {
            chars[zeros + i] = Alphabet[digits[length - 1 - i]];
        }

        return new string(chars);
    }

    public static byte[] Decode(ReadOnlySpan<char> text, int baseOffset)
    {
        if (text.Length > MaxTextLength)
        {
            throw new ContentFormatException($"base58btc text of {text.Length} characters exceeds the {MaxTextLength}-character cap", baseOffset);
        }

        int zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }

        // Multiply-and-add by 58 into a little-endian byte accumulator.
        var bytes = new byte[text.Length * 733 / 1000 + 1];
        int length = 0;
        for (int i = zeros; i < text.Length; i++)
        {
            int value = Alphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ContentFormatException($"'{text[i]}' is not a base58btc character", baseOffset + i);
            }

            int carry = value;
            for (int j = 0; j < length; j++)
            {
                carry += bytes[j] * 58;
                bytes[j] = (byte)carry;
                carry >>= 8;
            }

            while (carry > 0)
            {
                bytes[length++] = (byte)carry;
                carry >>= 8;
            }
        }

        var result = new byte[zeros + length];
        for (int i = 0; i < length; i++)
        {
            result[zeros + i] = bytes[length - 1 - i];
        }

        return result;
    }
}
