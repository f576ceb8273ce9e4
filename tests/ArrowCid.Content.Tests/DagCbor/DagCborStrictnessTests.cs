using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.DagCbor;

public class DagCborStrictnessTests
{
    [Theory]
    [InlineData("1817", "shortest form", 0)]
    [InlineData("190017", "shortest form", 0)]
    [InlineData("1a0000ffff", "shortest form", 0)]
    [InlineData("1b00000000ffffffff", "shortest form", 0)]
    [InlineData("5801aa", "shortest form", 0)]
    [InlineData("5f41aaff", "Indefinite-length", 0)]
    [InlineData("9f01ff", "Indefinite-length", 0)]
    [InlineData("bf616101ff", "Indefinite-length", 0)]
    [InlineData("ff", "Break codes", 0)]
    [InlineData("c11a514b67b0", "Tag 1 is not allowed", 0)]
    [InlineData("d9002a4100", "shortest form", 0)]
    [InlineData("d82a01", "must wrap a byte string", 2)]
    [InlineData("d82a4101", "0x00 multibase prefix", 3)]
    [InlineData("d82a40", "0x00 multibase prefix", 3)]
    [InlineData("a2616101616101", "duplicate map key", 4)]
    [InlineData("a2616201616101", "not in canonical order", 4)]
    [InlineData("a262616101616201", "not in canonical order", 5)]
    [InlineData("a10101", "map keys must be strings", 1)]
    [InlineData("0000", "follow the top-level item", 1)]
    [InlineData("f7", "undefined", 0)]
    [InlineData("f0", "Simple value", 0)]
    [InlineData("f820", "Simple value", 0)]
    [InlineData("f93c00", "64-bit", 0)]
    [InlineData("fa3fc00000", "64-bit", 0)]
    [InlineData("fb7ff8000000000000", "NaN and Infinity", 0)]
    [InlineData("fb7ff0000000000000", "NaN and Infinity", 0)]
    [InlineData("fbfff0000000000000", "NaN and Infinity", 0)]
    [InlineData("fb3ff0", "truncated", 0)]
    [InlineData("62c3", "remain", 0)]
    [InlineData("62c328", "not valid UTF-8", 0)]
    [InlineData("5bffffffffffffffff", "remain", 0)]
    [InlineData("9bffffffffffffffff", "more than the", 0)]
    [InlineData("83010203" + "00", "follow", 4)]
    [InlineData("8301", "more than the", 0)]
    [InlineData("a16161", "ended", 3)]
    [InlineData("3bffffffffffffffff", "outside the supported range", 0)]
    [InlineData("1c", "Reserved", 0)]
    [InlineData("", "ended", 0)]
    public void Decoder_refuses_non_canonical_or_invalid_input(string hex, string reason, long offset)
    {
        var ex = Assert.Throws<ContentFormatException>(() => DagCborDecoder.Decode(Convert.FromHexString(hex)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Equal(offset, ex.Offset);
        Assert.False(DagCborDecoder.TryDecode(Convert.FromHexString(hex), out _));
    }

    [Fact]
    public void Link_with_trailing_bytes_after_the_cid_is_refused()
    {
        var cid = Cid.ForRaw([]).ToBytes();
        var content = new byte[] { 0 }.Concat(cid).Concat(new byte[] { 7 }).ToArray();
        var bytes = new byte[] { 0xd8, 0x2a, 0x58, (byte)content.Length }.Concat(content).ToArray();
        var ex = Assert.Throws<ContentFormatException>(() => DagCborDecoder.Decode(bytes));
        Assert.Contains("more than one CID", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Depth_is_limited_to_256_nested_containers()
    {
        static byte[] Nested(int depth) => Enumerable.Repeat((byte)0x81, depth - 1).Append((byte)0x80).ToArray();

        Assert.Equal(DagKind.List, DagCborDecoder.Decode(Nested(DagCborDecoder.MaxDepth)).Kind);
        var ex = Assert.Throws<ContentFormatException>(() => DagCborDecoder.Decode(Nested(DagCborDecoder.MaxDepth + 1)));
        Assert.Contains("nesting deeper", ex.Message, StringComparison.Ordinal);
        Assert.Equal(DagCborDecoder.MaxDepth, ex.Offset);
    }

    [Fact]
    public void DecodeVerified_checks_codec_and_hash()
    {
        var bytes = DagCborEncoder.EncodeBlock(DagNode.MapOf(("x", DagNode.Of(1L))), out var cid);
        Assert.Equal(1L, DagCborDecoder.DecodeVerified(cid, bytes).Items_or_value("x"));
        Assert.Throws<ContentFormatException>(() => DagCborDecoder.DecodeVerified(Cid.ForDagCbor([0xa0]), bytes));
        Assert.Throws<ContentFormatException>(() => DagCborDecoder.DecodeVerified(Cid.ForRaw(bytes), bytes));
    }
}

internal static class DagNodeTestExtensions
{
    public static long Items_or_value(this DagNode map, string key) =>
        map.TryGetValue(key, out var value) ? value.AsInt64() : throw new KeyNotFoundException(key);
}
