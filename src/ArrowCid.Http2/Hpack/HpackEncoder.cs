using System.Buffers;

namespace ArrowCid.Http2.Hpack;

/// <summary>
/// Encodes header fields as HPACK (RFC 7541) without a dynamic table, so it keeps no state: a field
/// in the static table is sent as its index, any other field as a literal without indexing.
/// </summary>
public static class HpackEncoder
{
    /// <summary>
    /// Appends one header field: fully indexed when (name, value) is in the static table, otherwise a
    /// literal without indexing that names the static table's entry when the name is there and spells the
    /// name out otherwise. Strings are Huffman-coded when that is shorter.
    /// </summary>
    /// <param name="name">The field name, taken as given (the HTTP/2 layer checks it is lowercase).</param>
    /// <param name="value">The field value.</param>
    /// <param name="output">Receives the encoded representation.</param>
    /// <exception cref="ArgumentException">A character of the name or value is above U+00FF, so is no octet.</exception>
    public static void Encode(string name, string value, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(output);

        int nameIndex = HpackStaticTable.FindName(name);
        int fieldIndex = HpackStaticTable.FindField(nameIndex, value);
        if (fieldIndex != 0)
        {
            Span<byte> indexed = output.GetSpan(2);
            output.Advance(WriteInteger(indexed, 0x80, 7, fieldIndex));
            return;
        }

        long valueHuffman = EncodedLength(value, nameof(value));
        long nameHuffman = nameIndex == 0 ? EncodedLength(name, nameof(name)) : 0;

        // Prefix integers take at most 6 octets each; a string never takes more than its raw length.
        long bound = 6 + (nameIndex == 0 ? 6 + (long)name.Length : 0) + 6 + (long)value.Length;
        if (bound > int.MaxValue)
        {
            throw new ArgumentException("Header field is too large to encode.", nameof(value));
        }

        Span<byte> span = output.GetSpan((int)bound);
        int written;
        if (nameIndex != 0)
        {
            written = WriteInteger(span, 0x00, 4, nameIndex);
        }
        else
        {
            span[0] = 0x00;
            written = 1 + WriteString(span[1..], name, nameHuffman);
        }

        written += WriteString(span[written..], value, valueHuffman);
        output.Advance(written);
    }

    private static long EncodedLength(string s, string paramName)
    {
        long length = HpackHuffman.GetEncodedLength(s);
        if (length < 0)
        {
            throw new ArgumentException("Header names and values are octets: a character above U+00FF cannot be encoded.", paramName);
        }

        return length;
    }

    private static int WriteString(Span<byte> destination, string s, long huffmanLength)
    {
        if (huffmanLength < s.Length)
        {
            int written = WriteInteger(destination, 0x80, 7, (int)huffmanLength);
            return written + HpackHuffman.Encode(s, destination[written..]);
        }

        int n = WriteInteger(destination, 0x00, 7, s.Length);
        Span<byte> raw = destination.Slice(n, s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            raw[i] = (byte)s[i];
        }

        return n + s.Length;
    }

    /// <summary>Writes an integer with an N-bit prefix (RFC 7541 section 5.1); returns the octets written.</summary>
    internal static int WriteInteger(Span<byte> destination, byte firstOctetFlags, int prefixBits, int value)
    {
        int mask = (1 << prefixBits) - 1;
        if (value < mask)
        {
            destination[0] = (byte)(firstOctetFlags | value);
            return 1;
        }

        destination[0] = (byte)(firstOctetFlags | mask);
        int written = 1;
        uint rest = (uint)(value - mask);
        while (rest >= 0x80)
        {
            destination[written++] = (byte)(rest | 0x80);
            rest >>= 7;
        }

        destination[written++] = (byte)rest;
        return written;
    }
}
