namespace ArrowCid.Content.Multiformats;

/// <summary>
/// A base-N text of a big-endian number, each leading zero byte written as the alphabet's first
/// character (base58btc, base36): the one conversion both use. It is quadratic in the length, so
/// input is capped at <see cref="MaxTextLength"/> characters; CIDs need fewer than 100.
/// </summary>
internal sealed class RadixAlphabet
{
    public const int MaxTextLength = 4096;

    private readonly string _alphabet;
    private readonly string _name;

    private RadixAlphabet(string name, string alphabet)
    {
        _name = name;
        _alphabet = alphabet;
    }

    /// <summary>Bitcoin's base58 alphabet.</summary>
    public static RadixAlphabet Base58Btc { get; } = new("base58btc", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz");

    /// <summary>base36, lower case (multibase 'k', the text of IPNS names).</summary>
    public static RadixAlphabet Base36Lower { get; } = new("base36", "0123456789abcdefghijklmnopqrstuvwxyz");

    public string Encode(ReadOnlySpan<byte> data)
    {
        if (data.Length > MaxTextLength)
        {
            throw new ArgumentException($"{_name} encoding is limited to {MaxTextLength} bytes.", nameof(data));
        }

        int radix = _alphabet.Length;
        int zeros = 0;
        while (zeros < data.Length && data[zeros] == 0)
        {
            zeros++;
        }

        // Repeated division of the big-endian number by the radix; digits come out least significant first.
        var digits = new byte[(data.Length * 8 / (int)Math.Floor(Math.Log2(radix))) + 1];
        int length = 0;
        for (int i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (int j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % radix);
                carry /= radix;
            }

            while (carry > 0)
            {
                digits[length++] = (byte)(carry % radix);
                carry /= radix;
            }
        }

        var chars = new char[zeros + length];
        chars.AsSpan(0, zeros).Fill(_alphabet[0]);
        for (int i = 0; i < length; i++)
        {
            chars[zeros + i] = _alphabet[digits[length - 1 - i]];
        }

        return new string(chars);
    }

    public byte[] Decode(ReadOnlySpan<char> text, int baseOffset)
    {
        if (text.Length > MaxTextLength)
        {
            throw new ContentFormatException($"{_name} text of {text.Length} characters exceeds the {MaxTextLength}-character cap", baseOffset);
        }

        int radix = _alphabet.Length;
        int zeros = 0;
        while (zeros < text.Length && text[zeros] == _alphabet[0])
        {
            zeros++;
        }

        // Multiply-and-add by the radix into a little-endian byte accumulator.
        var bytes = new byte[(int)Math.Ceiling(text.Length * Math.Log2(radix) / 8) + 1];
        int length = 0;
        for (int i = zeros; i < text.Length; i++)
        {
            int value = _alphabet.IndexOf(text[i], StringComparison.Ordinal);
            if (value < 0)
            {
                throw new ContentFormatException($"'{text[i]}' is not a {_name} character", baseOffset + i);
            }

            int carry = value;
            for (int j = 0; j < length; j++)
            {
                carry += bytes[j] * radix;
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
