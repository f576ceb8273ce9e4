namespace ArrowCid.Http2.Hpack;

/// <summary>
/// The Huffman code of RFC 7541 Appendix B: encoding straight from the code list, decoding with a
/// 4-bit state machine (one table look-up per half octet) built once from the same list.
/// </summary>
internal static class HpackHuffman
{
    /// <summary>The end-of-string symbol; a string that contains it is malformed.</summary>
    public const int Eos = 256;

    // RFC 7541 Appendix B, "code as hex aligned to LSB", for symbols 0 to 256 (EOS).
    private static readonly uint[] Codes =
    [
        0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7, // 0..7
        0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec, // 8..15
        0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3, // 16..23
        0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb, // 24..31
        0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa, // 32..39
        0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18, // 40..47
        0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, // 48..55
        0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc, // 56..63
        0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, // 64..71
        0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, // 72..79
        0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, // 80..87
        0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22, // 88..95
        0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26, // 96..103
        0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7, // 104..111
        0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78, // 112..119
        0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc, // 120..127
        0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9, // 128..135
        0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf, // 136..143
        0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3, // 144..151
        0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef, // 152..159
        0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde, // 160..167
        0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec, // 168..175
        0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef, // 176..183
        0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1, // 184..191
        0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec, // 192..199
        0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed, // 200..207
        0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2, // 208..215
        0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5, // 216..223
        0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3, // 224..231
        0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4, // 232..239
        0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea, // 240..247
        0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee, // 248..255
        0x3fffffff, // 256..256
    ];

    // RFC 7541 Appendix B, "len in bits", for symbols 0 to 256 (EOS).
    private static readonly byte[] Lengths =
    [
        13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, // 0..15
        28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28, // 16..31
        6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, // 32..47
        5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, // 48..63
        13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, // 64..79
        7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, // 80..95
        15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, // 96..111
        6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, // 112..127
        20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, // 128..143
        24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, // 144..159
        22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, // 160..175
        21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, // 176..191
        26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, // 192..207
        19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, // 208..223
        20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, // 224..239
        26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, // 240..255
        30, // 256..256
    ];

    // Decoding state machine. A state is an internal node of the code tree (256 of them; 0 is the root).
    // Transitions[state * 16 + nibble] packs: bits 0-7 the next state, bits 8-15 the symbol completed
    // on the way (if any), bit 16 "a symbol was completed", bit 17 "the EOS code was completed" (an error).
    private const int EmitFlag = 1 << 16;
    private const int EosFlag = 1 << 17;
    private static readonly int[] Transitions;

    // What ending a string in a state means: 0 acceptable padding (or none), otherwise the error below.
    private const byte EndOk = 0;
    private const byte EndPaddingTooLong = 1;
    private const byte EndPaddingNotEos = 2;
    private static readonly byte[] EndStates;

#pragma warning disable CA1810 // The two decode tables come out of one walk over the code tree.
    static HpackHuffman()
#pragma warning restore CA1810
    {
        (Transitions, EndStates) = BuildDecodeTables();
    }

    /// <summary>The code of one symbol (0 to 256), aligned to the least significant bit.</summary>
    public static uint GetCode(int symbol) => Codes[symbol];

    /// <summary>The bit length of one symbol's code.</summary>
    public static int GetCodeLength(int symbol) => Lengths[symbol];

    /// <summary>
    /// Octets the Huffman encoding of <paramref name="s"/> (characters taken as Latin-1 octets) takes,
    /// or -1 when a character is above U+00FF and so is no octet.
    /// </summary>
    public static long GetEncodedLength(ReadOnlySpan<char> s)
    {
        long bits = 0;
        foreach (char c in s)
        {
            if (c > 0xFF)
            {
                return -1;
            }

            bits += Lengths[c];
        }

        return (bits + 7) >> 3;
    }

    /// <summary>
    /// Huffman-encodes <paramref name="s"/> (every character at most U+00FF) into <paramref name="destination"/>,
    /// padding the last octet with the most significant bits of EOS; returns the octets written.
    /// </summary>
    public static int Encode(ReadOnlySpan<char> s, Span<byte> destination)
    {
        ulong pending = 0;
        int pendingBits = 0;
        int written = 0;
        foreach (char c in s)
        {
            pending = (pending << Lengths[c]) | Codes[c];
            pendingBits += Lengths[c];
            while (pendingBits >= 8)
            {
                pendingBits -= 8;
                destination[written++] = (byte)(pending >> pendingBits);
            }
        }

        if (pendingBits > 0)
        {
            destination[written++] = (byte)((pending << (8 - pendingBits)) | (0xFFu >> pendingBits));
        }

        return written;
    }

    /// <summary>Huffman-encodes octets (used by tests and tools; the encoder works on strings).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> octets)
    {
        var chars = new char[octets.Length];
        for (int i = 0; i < octets.Length; i++)
        {
            chars[i] = (char)octets[i];
        }

        var result = new byte[GetEncodedLength(chars)];
        Encode(chars, result);
        return result;
    }

    /// <summary>
    /// Most octets decoding <paramref name="encodedLength"/> Huffman-coded octets can give (the shortest code has 5 bits).
    /// </summary>
    public static int GetMaxDecodedLength(int encodedLength) => (int)(((long)encodedLength * 8) / 5);

    /// <summary>
    /// Decodes a Huffman-coded string into <paramref name="destination"/> (at least
    /// <see cref="GetMaxDecodedLength"/> octets) and returns the octets written.
    /// </summary>
    /// <exception cref="HpackException">EOS inside the string, or padding that is longer than 7 bits or not all ones.</exception>
    public static int Decode(ReadOnlySpan<byte> encoded, Span<byte> destination)
    {
        int[] transitions = Transitions;
        int state = 0;
        int written = 0;
        foreach (byte octet in encoded)
        {
            int t = transitions[(state << 4) | (octet >> 4)];
            if ((t & (EmitFlag | EosFlag)) != 0)
            {
                if ((t & EosFlag) != 0)
                {
                    throw EosInString();
                }

                destination[written++] = (byte)(t >> 8);
            }

            t = transitions[((t & 0xFF) << 4) | (octet & 0x0F)];
            if ((t & (EmitFlag | EosFlag)) != 0)
            {
                if ((t & EosFlag) != 0)
                {
                    throw EosInString();
                }

                destination[written++] = (byte)(t >> 8);
            }

            state = t & 0xFF;
        }

        switch (EndStates[state])
        {
            case EndOk:
                return written;
            case EndPaddingTooLong:
                throw new HpackException("Huffman-coded string has padding longer than 7 bits (RFC 7541 section 5.2).");
            default:
                throw new HpackException(
                    "Huffman-coded string ends in padding that is not the most significant bits of the EOS code (RFC 7541 section 5.2).");
        }
    }

    private static HpackException EosInString() =>
        new("Huffman-coded string contains the EOS symbol (RFC 7541 section 5.2).");

    private static (int[] Transitions, byte[] EndStates) BuildDecodeTables()
    {
        // The code tree: children[node * 2 + bit] is an internal node (> 0), a leaf (~symbol, < 0), or absent (0).
        const int internalNodes = 256; // a complete prefix code over 257 symbols
        var children = new int[internalNodes * 2];
        var depth = new int[internalNodes];
        var allOnes = new bool[internalNodes];
        allOnes[0] = true;
        int nodeCount = 1;
        for (int symbol = 0; symbol <= Eos; symbol++)
        {
            uint code = Codes[symbol];
            int length = Lengths[symbol];
            int node = 0;
            for (int i = length - 1; i > 0; i--)
            {
                int bit = (int)((code >> i) & 1);
                int next = children[(node * 2) + bit];
                if (next == 0)
                {
                    next = nodeCount++;
                    children[(node * 2) + bit] = next;
                    depth[next] = depth[node] + 1;
                    allOnes[next] = allOnes[node] && bit == 1;
                }

                node = next;
            }

            children[(node * 2) + (int)(code & 1)] = ~symbol;
        }

        if (nodeCount != internalNodes)
        {
            throw new InvalidOperationException("The Huffman code list is not a complete prefix code.");
        }

        var transitions = new int[internalNodes * 16];
        for (int state = 0; state < internalNodes; state++)
        {
            for (int nibble = 0; nibble < 16; nibble++)
            {
                int node = state;
                int entry = 0;
                for (int i = 3; i >= 0; i--)
                {
                    int child = children[(node * 2) + ((nibble >> i) & 1)];
                    if (child < 0)
                    {
                        int symbol = ~child;
                        if (symbol == Eos)
                        {
                            entry |= EosFlag;
                            break;
                        }

                        // The shortest code has 5 bits, so at most one symbol ends within 4 bits.
                        entry |= EmitFlag | (symbol << 8);
                        node = 0;
                    }
                    else
                    {
                        node = child;
                    }
                }

                transitions[(state * 16) + nibble] = entry | ((entry & EosFlag) != 0 ? 0 : node);
            }
        }

        var endStates = new byte[internalNodes];
        for (int state = 0; state < internalNodes; state++)
        {
            endStates[state] = !allOnes[state] ? EndPaddingNotEos : depth[state] > 7 ? EndPaddingTooLong : EndOk;
        }

        return (transitions, endStates);
    }
}
