namespace ArrowCid.Content.Multiformats;

/// <summary>
/// Multibase text: one prefix character naming the encoding, then the encoded bytes. Supported:
/// 'b' base32 (lower, the CIDv1 default), 'B' base32upper, 'z' base58btc, 'f' base16 (lower),
/// 'F' base16upper, 'u' base64url, 'k' base36 (lower, the text of IPNS names). Each prefix has one case-exact alphabet and no padding, so a
/// text decodes to bytes in exactly one way.
/// </summary>
public static class Multibase
{
    /// <summary>base32 lower-case, RFC 4648 alphabet, no padding.</summary>
    public const char Base32Lower = 'b';

    /// <summary>base32 upper-case, RFC 4648 alphabet, no padding.</summary>
    public const char Base32Upper = 'B';

    /// <summary>base58 with the Bitcoin alphabet.</summary>
    public const char Base58Btc = 'z';

    /// <summary>base16 lower-case.</summary>
    public const char Base16Lower = 'f';

    /// <summary>base16 upper-case.</summary>
    public const char Base16Upper = 'F';

    /// <summary>base64 URL-safe alphabet, no padding.</summary>
    public const char Base64Url = 'u';

    /// <summary>base36 lower-case (<c>0-9a-z</c>), the text of IPNS names (<c>k51…</c>).</summary>
    public const char Base36Lower = 'k';

    /// <summary>Whether <paramref name="prefix"/> names a supported encoding.</summary>
    /// <param name="prefix">A multibase prefix character.</param>
    /// <returns>True for b, B, z, f, F, u and k.</returns>
    public static bool IsSupported(char prefix) => prefix is Base32Lower or Base32Upper or Base58Btc or Base16Lower or Base16Upper or Base64Url or Base36Lower;

    /// <summary>Encodes <paramref name="data"/> with the prefix character in front.</summary>
    /// <param name="data">Bytes to encode.</param>
    /// <param name="prefix">The encoding; base32 lower by default.</param>
    /// <returns>Multibase text.</returns>
    /// <exception cref="ArgumentException">Unsupported prefix.</exception>
    public static string Encode(ReadOnlySpan<byte> data, char prefix = Base32Lower) => prefix + EncodeWithoutPrefix(data, prefix);

    /// <summary>Encodes <paramref name="data"/> without the prefix character.</summary>
    /// <param name="data">Bytes to encode.</param>
    /// <param name="prefix">The encoding.</param>
    /// <returns>Encoded text.</returns>
    /// <exception cref="ArgumentException">Unsupported prefix.</exception>
    public static string EncodeWithoutPrefix(ReadOnlySpan<byte> data, char prefix)
    {
        switch (prefix)
        {
            case Base32Lower:
            case Base32Upper:
                var chars = new char[Base32.EncodedLength(data.Length)];
                Base32.Encode(data, prefix == Base32Upper, chars);
                return new string(chars);
            case Base58Btc:
                return RadixAlphabet.Base58Btc.Encode(data);
            case Base36Lower:
                return RadixAlphabet.Base36Lower.Encode(data);
            case Base16Lower:
            case Base16Upper:
                return Base16.Encode(data, prefix == Base16Upper);
            case Base64Url:
                return Multiformats.Base64Url.Encode(data);
            default:
                throw new ArgumentException($"Unsupported multibase prefix '{prefix}'.", nameof(prefix));
        }
    }

    /// <summary>Decodes multibase text (prefix included).</summary>
    /// <param name="text">Multibase text.</param>
    /// <returns>The bytes.</returns>
    /// <exception cref="ContentFormatException">Empty text, unknown prefix or invalid characters.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            throw new ContentFormatException("Multibase text is empty", 0);
        }

        return DecodeWithoutPrefix(text[1..], text[0], 1);
    }

    /// <summary>Decodes multibase text without throwing.</summary>
    /// <param name="text">Multibase text.</param>
    /// <param name="bytes">The bytes, or null on failure.</param>
    /// <returns>Whether the text was valid.</returns>
    public static bool TryDecode(ReadOnlySpan<char> text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        try
        {
            bytes = Decode(text);
            return true;
        }
        catch (ContentFormatException)
        {
            bytes = null;
            return false;
        }
    }

    internal static byte[] DecodeWithoutPrefix(ReadOnlySpan<char> body, char prefix, int baseOffset) => prefix switch
    {
        Base32Lower => Base32.Decode(body, upper: false, baseOffset),
        Base32Upper => Base32.Decode(body, upper: true, baseOffset),
        Base58Btc => RadixAlphabet.Base58Btc.Decode(body, baseOffset),
        Base36Lower => RadixAlphabet.Base36Lower.Decode(body, baseOffset),
        Base16Lower => Base16.Decode(body, upper: false, baseOffset),
        Base16Upper => Base16.Decode(body, upper: true, baseOffset),
        Base64Url => Multiformats.Base64Url.Decode(body, baseOffset),
        _ => throw new ContentFormatException($"Unsupported multibase prefix '{prefix}'", baseOffset - 1),
    };
}
