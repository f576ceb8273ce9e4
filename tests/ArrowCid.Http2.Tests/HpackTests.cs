using System.Buffers;
using ArrowCid.Http2.Hpack;

namespace ArrowCid.Http2.Tests;

/// <summary>HPACK (RFC 7541): the RFC's Appendix C examples, the encoder, and every malformation the decoder must refuse.</summary>
public sealed class HpackTests
{
    private static KeyValuePair<string, string> F(string name, string value) => new(name, value);

    internal static byte[] Hex(string hex)
    {
        string digits = new([.. hex.Where(Uri.IsHexDigit)]);
        return Convert.FromHexString(digits);
    }

    private static List<KeyValuePair<string, string>> Decode(HpackDecoder decoder, byte[] block)
    {
        var headers = new List<KeyValuePair<string, string>>();
        Assert.True(decoder.Decode(block, headers), "the block is over the header list limit");
        return headers;
    }

    private static byte[] EncodeFields(params KeyValuePair<string, string>[] fields)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var field in fields)
        {
            HpackEncoder.Encode(field.Key, field.Value, writer);
        }

        return writer.WrittenSpan.ToArray();
    }

    // ---- C.1 integers ----

    [Theory]
    [InlineData(10, 5, "0a")] // C.1.1
    [InlineData(1337, 5, "1f9a0a")] // C.1.2
    [InlineData(42, 8, "2a")] // C.1.3
    public void C1_integer_representation(int value, int prefixBits, string hex)
    {
        byte[] expected = Hex(hex);
        var buffer = new byte[8];
        int written = HpackEncoder.WriteInteger(buffer, 0, prefixBits, value);
        Assert.Equal(expected, buffer[..written]);

        int pos = 0;
        Assert.Equal(value, HpackDecoder.ReadInteger(expected, ref pos, prefixBits));
        Assert.Equal(expected.Length, pos);
    }

    [Fact]
    public void Integers_round_trip_up_to_int_max_for_every_prefix()
    {
        int[] values = [0, 1, 14, 15, 16, 30, 31, 62, 63, 126, 127, 128, 254, 255, 256, 1337, 16510, 16511, 2_097_278, int.MaxValue - 1, int.MaxValue];
        var buffer = new byte[8];
        for (int prefix = 4; prefix <= 8; prefix++)
        {
            foreach (int value in values)
            {
                int written = HpackEncoder.WriteInteger(buffer, 0, prefix, value);
                int pos = 0;
                Assert.Equal(value, HpackDecoder.ReadInteger(buffer.AsSpan(0, written), ref pos, prefix));
                Assert.Equal(written, pos);
            }
        }
    }

    // ---- C.2 literal fields ----

    [Fact]
    public void C2_1_literal_with_indexing()
    {
        var decoder = new HpackDecoder();
        var headers = Decode(decoder, Hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
        Assert.Equal([F("custom-key", "custom-header")], headers);
        Assert.Equal([F("custom-key", "custom-header")], decoder.DynamicTableEntries);
        Assert.Equal(55, decoder.DynamicTableSize);
    }

    [Fact]
    public void C2_2_literal_without_indexing()
    {
        var decoder = new HpackDecoder();
        Assert.Equal([F(":path", "/sample/path")], Decode(decoder, Hex("040c 2f73 616d 706c 652f 7061 7468")));
        Assert.Empty(decoder.DynamicTableEntries);
        Assert.Equal(0, decoder.DynamicTableSize);
    }

    [Fact]
    public void C2_3_literal_never_indexed()
    {
        var decoder = new HpackDecoder();
        Assert.Equal([F("password", "secret")], Decode(decoder, Hex("1008 7061 7373 776f 7264 0673 6563 7265 74")));
        Assert.Empty(decoder.DynamicTableEntries);
        Assert.Equal(0, decoder.DynamicTableSize);
    }

    [Fact]
    public void C2_4_indexed_field()
    {
        var decoder = new HpackDecoder();
        Assert.Equal([F(":method", "GET")], Decode(decoder, Hex("82")));
        Assert.Empty(decoder.DynamicTableEntries);
    }

    // ---- C.3 to C.6 sequences ----

    internal sealed record Step(string Hex, KeyValuePair<string, string>[] Fields, KeyValuePair<string, string>[] Table, int TableSize);

    private static readonly KeyValuePair<string, string>[] Request1 =
        [F(":method", "GET"), F(":scheme", "http"), F(":path", "/"), F(":authority", "www.example.com")];

    private static readonly KeyValuePair<string, string>[] Request2 =
        [F(":method", "GET"), F(":scheme", "http"), F(":path", "/"), F(":authority", "www.example.com"), F("cache-control", "no-cache")];

    private static readonly KeyValuePair<string, string>[] Request3 =
        [F(":method", "GET"), F(":scheme", "https"), F(":path", "/index.html"), F(":authority", "www.example.com"), F("custom-key", "custom-value")];

    private static readonly KeyValuePair<string, string>[] RequestTable1 = [F(":authority", "www.example.com")];
    private static readonly KeyValuePair<string, string>[] RequestTable2 = [F("cache-control", "no-cache"), F(":authority", "www.example.com")];
    private static readonly KeyValuePair<string, string>[] RequestTable3 =
        [F("custom-key", "custom-value"), F("cache-control", "no-cache"), F(":authority", "www.example.com")];

    private const string Date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
    private const string Date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
    private const string Cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
    private const string Location = "https://www.example.com";

    private static readonly KeyValuePair<string, string>[] Response1 =
        [F(":status", "302"), F("cache-control", "private"), F("date", Date1), F("location", Location)];

    private static readonly KeyValuePair<string, string>[] Response2 =
        [F(":status", "307"), F("cache-control", "private"), F("date", Date1), F("location", Location)];

    private static readonly KeyValuePair<string, string>[] Response3 =
        [F(":status", "200"), F("cache-control", "private"), F("date", Date2), F("location", Location), F("content-encoding", "gzip"), F("set-cookie", Cookie)];

    private static readonly KeyValuePair<string, string>[] ResponseTable1 =
        [F("location", Location), F("date", Date1), F("cache-control", "private"), F(":status", "302")];

    private static readonly KeyValuePair<string, string>[] ResponseTable2 =
        [F(":status", "307"), F("location", Location), F("date", Date1), F("cache-control", "private")];

    private static readonly KeyValuePair<string, string>[] ResponseTable3 =
        [F("set-cookie", Cookie), F("content-encoding", "gzip"), F("date", Date2)];

    internal static readonly Step[] C3 =
    [
        new("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", Request1, RequestTable1, 57),
        new("8286 84be 5808 6e6f 2d63 6163 6865", Request2, RequestTable2, 110),
        new("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", Request3, RequestTable3, 164),
    ];

    internal static readonly Step[] C4 =
    [
        new("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", Request1, RequestTable1, 57),
        new("8286 84be 5886 a8eb 1064 9cbf", Request2, RequestTable2, 110),
        new("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", Request3, RequestTable3, 164),
    ];

    internal static readonly Step[] C5 =
    [
        new(
            """
            4803 3330 3258 0770 7269 7661 7465 611d
            4d6f 6e2c 2032 3120 4f63 7420 3230 3133
            2032 303a 3133 3a32 3120 474d 546e 1768
            7474 7073 3a2f 2f77 7777 2e65 7861 6d70
            6c65 2e63 6f6d
            """,
            Response1,
            ResponseTable1,
            222),
        new("4803 3330 37c1 c0bf", Response2, ResponseTable2, 222),
        new(
            """
            88c1 611d 4d6f 6e2c 2032 3120 4f63 7420
            3230 3133 2032 303a 3133 3a32 3220 474d
            54c0 5a04 677a 6970 7738 666f 6f3d 4153
            444a 4b48 514b 425a 584f 5157 454f 5049
            5541 5851 5745 4f49 553b 206d 6178 2d61
            6765 3d33 3630 303b 2076 6572 7369 6f6e
            3d31
            """,
            Response3,
            ResponseTable3,
            215),
    ];

    internal static readonly Step[] C6 =
    [
        new(
            """
            4882 6402 5885 aec3 771a 4b61 96d0 7abe
            9410 54d4 44a8 2005 9504 0b81 66e0 82a6
            2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8
            e9ae 82ae 43d3
            """,
            Response1,
            ResponseTable1,
            222),
        new("4883 640e ffc1 c0bf", Response2, ResponseTable2, 222),
        new(
            """
            88c1 6196 d07a be94 1054 d444 a820 0595
            040b 8166 e084 a62d 1bff c05a 839b d9ab
            77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b
            3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
            9587 3160 65c0 03ed 4ee5 b106 3d50 07
            """,
            Response3,
            ResponseTable3,
            215),
    ];

    private static void RunSeries(int tableSize, Step[] steps)
    {
        var decoder = new HpackDecoder(tableSize);
        foreach (var step in steps)
        {
            Assert.Equal(step.Fields, Decode(decoder, Hex(step.Hex)));
            Assert.Equal(step.Table, decoder.DynamicTableEntries);
            Assert.Equal(step.TableSize, decoder.DynamicTableSize);
        }
    }

    [Fact]
    public void C3_requests_without_huffman() => RunSeries(4096, C3);

    [Fact]
    public void C4_requests_with_huffman() => RunSeries(4096, C4);

    [Fact]
    public void C5_responses_without_huffman_evict_at_256() => RunSeries(256, C5);

    [Fact]
    public void C6_responses_with_huffman_evict_at_256() => RunSeries(256, C6);

    // ---- Huffman ----

    [Theory]
    [InlineData("www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff")]
    [InlineData("no-cache", "a8eb 1064 9cbf")]
    [InlineData("custom-key", "25a8 49e9 5ba9 7d7f")]
    [InlineData("custom-value", "25a8 49e9 5bb8 e8b4 bf")]
    [InlineData("302", "6402")]
    [InlineData("307", "640e ff")]
    [InlineData("private", "aec3 771a 4b")]
    [InlineData(Date1, "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff")]
    [InlineData(Date2, "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff")]
    [InlineData(Location, "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3")]
    [InlineData("gzip", "9bd9 ab")]
    [InlineData(Cookie, "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07")]
    public void Huffman_coding_of_the_rfc_strings(string text, string hex)
    {
        byte[] expected = Hex(hex);
        Assert.Equal(expected.Length, HpackHuffman.GetEncodedLength(text));
        var encoded = new byte[expected.Length];
        Assert.Equal(expected.Length, HpackHuffman.Encode(text, encoded));
        Assert.Equal(expected, encoded);

        var decoded = new byte[HpackHuffman.GetMaxDecodedLength(expected.Length)];
        int n = HpackHuffman.Decode(expected, decoded);
        Assert.Equal(text, System.Text.Encoding.Latin1.GetString(decoded, 0, n));
    }

    [Fact]
    public void Huffman_codes_form_a_complete_prefix_code_and_every_symbol_decodes_alone()
    {
        // Kraft sum of exactly 1: complete; the decoder build also checks prefix-freeness.
        double kraft = 0;
        for (int s = 0; s <= HpackHuffman.Eos; s++)
        {
            kraft += Math.Pow(2, -HpackHuffman.GetCodeLength(s));
        }

        Assert.Equal(1.0, kraft, 12);
        Assert.Equal(0x3fffffffu, HpackHuffman.GetCode(HpackHuffman.Eos));
        Assert.Equal(30, HpackHuffman.GetCodeLength(HpackHuffman.Eos));

        var output = new byte[16];
        for (int s = 0; s < 256; s++)
        {
            byte[] encoded = HpackHuffman.Encode([(byte)s]);
            Assert.Equal(1, HpackHuffman.Decode(encoded, output));
            Assert.Equal(s, output[0]);
        }
    }

    // ---- Encoder ----

    [Fact]
    public void Encoder_uses_the_static_table()
    {
        Assert.Equal(Hex("82"), EncodeFields(F(":method", "GET")));
        Assert.Equal(Hex("88"), EncodeFields(F(":status", "200")));
        Assert.Equal(Hex("90"), EncodeFields(F("accept-encoding", "gzip, deflate")));

        // Name in the static table (":path" is index 4): literal without indexing, 4-bit name index.
        byte[] path = EncodeFields(F(":path", "/sample/path"));
        Assert.Equal(0x04, path[0]);
        Assert.Equal([F(":path", "/sample/path")], Decode(new HpackDecoder(), path));

        // ":status" 302: name index 8.
        Assert.Equal(Hex("0882 6402"), EncodeFields(F(":status", "302")));

        // A name beyond 15 needs a continuation octet: "www-authenticate" is 61 = 15 + 46.
        Assert.Equal(Hex("0f2e 0178"), EncodeFields(F("www-authenticate", "x")));
        Assert.Equal(Hex("bd"), EncodeFields(F("www-authenticate", "")));

        // Unknown name: literal name, and Huffman only where shorter ("custom-key" is, "\u00ff\u00fe" is not).
        Assert.Equal(Hex("0088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"), EncodeFields(F("custom-key", "custom-value")));
        Assert.Equal(Hex("0002 fffe 00"), EncodeFields(F("\u00ff\u00fe", "")));
    }

    [Fact]
    public void Encoder_uses_no_dynamic_table()
    {
        var decoder = new HpackDecoder();
        Decode(decoder, EncodeFields(F("grpc-status", "0"), F("content-type", "application/grpc"), F(":status", "200"), F("x", new string('v', 300))));
        Assert.Empty(decoder.DynamicTableEntries);
    }

    [Fact]
    public void Encoder_refuses_characters_that_are_not_octets()
    {
        var writer = new ArrayBufferWriter<byte>();
        Assert.Throws<ArgumentException>(() => HpackEncoder.Encode("x", "\u0100", writer));
        Assert.Throws<ArgumentException>(() => HpackEncoder.Encode("\u20ac", "v", writer));
        Assert.Equal(0, writer.WrittenCount);
    }

    [Fact]
    public void Every_octet_round_trips_in_names_and_values()
    {
        string all = new([.. Enumerable.Range(0, 256).Select(i => (char)i)]);
        string reversed = new([.. all.Reverse()]);
        var fields = new[] { F(all, reversed), F(reversed, all), F("n", all), F(":path", all) };
        Assert.Equal(fields, Decode(new HpackDecoder(), EncodeFields(fields)));
    }

    [Fact]
    public void Random_fields_round_trip_through_encoder_and_decoder()
    {
        var random = new Random(7541);
        string[] staticNames = [":authority", ":method", ":path", ":status", "content-type", "user-agent", "www-authenticate", "accept-encoding"];
        string[] staticValues = ["GET", "POST", "/", "200", "gzip, deflate", ""];
        for (int round = 0; round < 3000; round++)
        {
            int count = random.Next(0, 12);
            var fields = new KeyValuePair<string, string>[count];
            for (int i = 0; i < count; i++)
            {
                string name = random.Next(4) == 0 ? staticNames[random.Next(staticNames.Length)] : RandomString(random);
                string value = random.Next(4) == 0 ? staticValues[random.Next(staticValues.Length)] : RandomString(random);
                fields[i] = F(name, value);
            }

            var decoder = new HpackDecoder(4096, int.MaxValue);
            Assert.Equal(fields, Decode(decoder, EncodeFields(fields)));
        }
    }

    internal static string RandomString(Random random)
    {
        int length = random.Next(3) switch
        {
            0 => random.Next(0, 4),
            1 => random.Next(0, 40),
            _ => random.Next(0, 300),
        };
        var chars = new char[length];
        bool textual = random.Next(2) == 0;
        for (int i = 0; i < length; i++)
        {
            chars[i] = textual ? (char)random.Next(0x20, 0x7F) : (char)random.Next(0, 256);
        }

        return new string(chars);
    }

    // ---- Decoder details ----

    [Fact]
    public void Static_table_names_decode_to_one_shared_instance()
    {
        var first = Decode(new HpackDecoder(), Hex("82 0882 6402 0f2e 0178"));
        var second = Decode(new HpackDecoder(), Hex("82 0882 6402 0f2e 0178"));
        for (int i = 0; i < first.Count; i++)
        {
            Assert.Same(first[i].Key, second[i].Key);
        }

        Assert.Same(first[0].Value, second[0].Value); // fully indexed ":method: GET"

        // A literal name that spells a static name (plain and Huffman-coded) also comes back as the table's instance.
        var literal = Decode(new HpackDecoder(), EncodeLiteralName("content-type", huffman: false));
        var huffman = Decode(new HpackDecoder(), EncodeLiteralName("content-type", huffman: true));
        var indexed = Decode(new HpackDecoder(), EncodeFields(F("content-type", "application/grpc")));
        Assert.Same(indexed[0].Key, literal[0].Key);
        Assert.Same(indexed[0].Key, huffman[0].Key);
    }

    private static byte[] EncodeLiteralName(string name, bool huffman)
    {
        var block = new List<byte> { 0x00 };
        if (huffman)
        {
            byte[] coded = HpackHuffman.Encode(System.Text.Encoding.Latin1.GetBytes(name));
            block.Add((byte)(0x80 | coded.Length));
            block.AddRange(coded);
        }
        else
        {
            block.Add((byte)name.Length);
            block.AddRange(System.Text.Encoding.Latin1.GetBytes(name));
        }

        block.Add(0x00);
        return [.. block];
    }

    [Fact]
    public void Size_updates_at_the_start_of_a_block_evict_and_bound_the_table()
    {
        var decoder = new HpackDecoder(4096);
        Decode(decoder, Hex(C3[0].Hex));
        Decode(decoder, Hex(C3[1].Hex));
        Assert.Equal(110, decoder.DynamicTableSize);

        // Size update to 60 (3f 1d): the oldest entry goes, the newest (53 octets) stays; two updates in a row are fine.
        Assert.Equal([F(":method", "GET")], Decode(decoder, Hex("3f e1 1f 3f 1d 82")));
        Assert.Equal(60, decoder.DynamicTableCapacity);
        Assert.Equal([F("cache-control", "no-cache")], decoder.DynamicTableEntries);
        Assert.Equal(53, decoder.DynamicTableSize);

        // An entry larger than the whole table empties it and is not added.
        string longValue = new('v', 30); // 10 + 30 + 32 = 72 > 60
        Assert.Equal([F("custom-key", longValue)], Decode(decoder, RawHttp2Peer.EncodeWithIndexing("custom-key", longValue)));
        Assert.Empty(decoder.DynamicTableEntries);
        Assert.Equal(0, decoder.DynamicTableSize);

        // Size 0 then back to the full 4096.
        Decode(decoder, Hex("20"));
        Assert.Equal(0, decoder.DynamicTableCapacity);
        Decode(decoder, Hex("3f e1 1f 418c f1e3 c2e5 f23a 6ba0 ab90 f4ff be"));
        Assert.Equal([F(":authority", "www.example.com")], decoder.DynamicTableEntries);
    }

    [Fact]
    public void Entry_exactly_the_table_size_fits_and_one_octet_more_empties_the_table()
    {
        var decoder = new HpackDecoder(100);
        string fits = new('v', 67); // 1 + 67 + 32 = 100
        Decode(decoder, RawHttp2Peer.EncodeWithIndexing("n", fits));
        Assert.Equal([F("n", fits)], decoder.DynamicTableEntries);
        Assert.Equal(100, decoder.DynamicTableSize);

        Decode(decoder, RawHttp2Peer.EncodeWithIndexing("n", fits + "v"));
        Assert.Empty(decoder.DynamicTableEntries);
        Assert.Equal(0, decoder.DynamicTableSize);
    }

    [Fact]
    public void Decoding_indexed_fields_allocates_nothing_but_the_list_growth()
    {
        var decoder = new HpackDecoder();
        byte[] block = Hex("8286 8488 8f 90");
        var headers = new List<KeyValuePair<string, string>>(16);
        decoder.Decode(block, headers);
        headers.Clear();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            decoder.Decode(block, headers);
            headers.Clear();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Dynamic_table_holds_many_entries_across_wraparound()
    {
        var decoder = new HpackDecoder(4096);
        var block = new List<byte>();
        for (int i = 0; i < 500; i++)
        {
            string value = i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
            block.Clear();
            block.AddRange([0x40, 0x01, (byte)'k', 0x05]);
            block.AddRange(System.Text.Encoding.ASCII.GetBytes(value));
            block.Add(0xBE); // index 62: the entry just added
            Assert.Equal([F("k", value), F("k", value)], Decode(decoder, [.. block]));
        }

        // Each entry is 1 + 5 + 32 = 38 octets: 107 fit in 4096.
        Assert.Equal(107, decoder.DynamicTableEntries.Count);
        Assert.Equal(107 * 38, decoder.DynamicTableSize);
        Assert.Equal(F("k", "00499"), decoder.DynamicTableEntries[0]);
        Assert.Equal(F("k", "00393"), decoder.DynamicTableEntries[106]);
    }

    // ---- Malformations ----

    [Theory]
    [InlineData("ffff ffff ff0f", "overflows")] // index 127 + 127 + ... + 15·2^28 > int.MaxValue
    [InlineData("ff80 8080 8080 00", "too many continuation")]
    [InlineData("ff80", "ends inside an integer")]
    [InlineData("0005 6162", "runs past the end")] // literal name of 5 octets, 2 left
    [InlineData("00", "ends before a string literal")]
    [InlineData("0001 61", "ends before a string literal")] // name present, value missing
    [InlineData("0084 ffff ffff 00", "EOS symbol")] // 30 ones inside the string
    [InlineData("0082 1fff 00", "padding longer than 7 bits")] // 'a' then 11 one-bits
    [InlineData("0081 ff 00", "padding longer than 7 bits")] // 8 one-bits alone
    [InlineData("0081 18 00", "not the most significant bits of the EOS")] // 'a' then 000
    [InlineData("80", "index 0")]
    [InlineData("be", "index 62 is beyond")] // dynamic table empty
    [InlineData("7e 00", "index 62 is beyond")] // literal with indexing, name index 62
    [InlineData("0f2f 00", "index 62 is beyond")] // literal without indexing, name index 62
    [InlineData("3fe2 1f", "exceeds the 4096 octets")] // size update to 4097
    [InlineData("82 20", "may only begin a header block")]
    public void Malformed_blocks_throw_hpack_exception(string hex, string messagePart)
    {
        var decoder = new HpackDecoder();
        var error = Assert.Throws<HpackException>(() => decoder.Decode(Hex(hex), []));
        Assert.Contains(messagePart, error.Message, StringComparison.OrdinalIgnoreCase);

        // The decoder is then unusable: its table may no longer match the peer's.
        Assert.Throws<HpackException>(() => decoder.Decode(Hex("82"), []));
    }

    [Fact]
    public void Size_update_may_equal_the_advertised_limit()
    {
        var decoder = new HpackDecoder();
        Assert.Empty(Decode(decoder, Hex("3fe1 1f")));
        Assert.Equal(4096, decoder.DynamicTableCapacity);
        Assert.Throws<HpackException>(() => new HpackDecoder(100).Decode(Hex("3f 46"), [])); // 101 > 100
        Assert.Empty(Decode(new HpackDecoder(100), Hex("3f 45"))); // 100
    }

    [Fact]
    public void Header_list_limit_counts_octets_plus_32_per_field()
    {
        // ":method: GET" counts 7 + 3 + 32 = 42.
        Assert.Equal(2, Decode(new HpackDecoder(4096, 84), Hex("8282")).Count);
        var fields = new List<KeyValuePair<string, string>>();
        Assert.False(new HpackDecoder(4096, 83).Decode(Hex("8282"), fields));
        Assert.Single(fields);

        // The limit holds across references to one large dynamic entry.
        byte[] big = RawHttp2Peer.EncodeWithIndexing("big", new string('x', 1000));
        var decoder = new HpackDecoder(4096, 10_000);
        var repeat = new List<byte>(big);
        repeat.AddRange(Enumerable.Repeat((byte)0xBE, 20));
        Assert.False(decoder.Decode(repeat.ToArray(), []));
    }

    [Fact]
    public void A_block_over_the_header_list_limit_is_still_decoded_to_its_end_so_the_table_stays_in_step()
    {
        // Over the limit after the fourth reference; an entry is inserted after that point.
        var decoder = new HpackDecoder(4096, 3000);
        byte[] block = [.. RawHttp2Peer.EncodeWithIndexing("big", new string('x', 1000)), .. Enumerable.Repeat((byte)0xBE, 4), .. RawHttp2Peer.EncodeWithIndexing("after", "the limit")];
        Assert.False(decoder.Decode(block, []));
        Assert.Equal(new KeyValuePair<string, string>("after", "the limit"), decoder.DynamicTableEntries[0]);

        // The next block refers to both entries and decodes (index 62 is the newest).
        Assert.Equal(
            [new("after", "the limit"), new("big", new string('x', 1000))],
            Decode(decoder, Hex("bebf")));
    }

    // ---- Fuzz ----

    [Fact]
    public void Mutated_blocks_decode_or_throw_hpack_exception_only()
    {
        var random = new Random(20_000);

        // Corpus: the RFC's blocks (with the blocks before them, so that table references resolve) and encoder output.
        var corpus = new List<(int TableSize, byte[][] Before, byte[] Block)>();
        foreach (var (size, steps) in new[] { (4096, C3), (4096, C4), (256, C5), (256, C6) })
        {
            for (int i = 0; i < steps.Length; i++)
            {
                corpus.Add((size, [.. steps.Take(i).Select(s => Hex(s.Hex))], Hex(steps[i].Hex)));
            }
        }

        for (int i = 0; i < 40; i++)
        {
            var fields = Enumerable.Range(0, random.Next(1, 6)).Select(_ => F(RandomString(random), RandomString(random))).ToArray();
            byte[] block = EncodeFields(fields);
            if (random.Next(2) == 0 && block.Length > 0 && block[0] == 0x00)
            {
                block[0] = 0x40; // literal with incremental indexing
            }

            corpus.Add((4096, [], block));
        }

        int decoded = 0;
        int rejected = 0;
        for (int round = 0; round < 20_000; round++)
        {
            var (size, before, original) = corpus[random.Next(corpus.Count)];
            byte[] mutated = Mutate(random, original);
            var decoder = new HpackDecoder(size, 16 * 1024);
            foreach (byte[] earlier in before)
            {
                decoder.Decode(earlier, []);
            }

            try
            {
                decoder.Decode(mutated, []);
                decoded++;
            }
            catch (HpackException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"Round {round}: {e.GetType().Name} for block {Convert.ToHexString(mutated)}: {e}");
            }
        }

        Assert.True(decoded > 500, $"only {decoded} mutated blocks decoded");
        Assert.True(rejected > 500, $"only {rejected} mutated blocks were rejected");
    }

    private static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        int mutations = random.Next(1, 4);
        for (int m = 0; m < mutations; m++)
        {
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    int flip = random.Next(bytes.Count);
                    bytes[flip] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    int cut = random.Next(bytes.Count);
                    bytes.RemoveRange(cut, bytes.Count - cut); // truncation
                    break;
                case 2:
                    bytes.Insert(random.Next(bytes.Count + 1), (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(random.Next(bytes.Count));
                    break;
                default:
                    if (bytes.Count > 0)
                    {
                        bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
