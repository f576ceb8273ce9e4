using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.DagCbor;

public class DagCborVectorTests
{
    // RFC 8949 Appendix A examples that are valid DAG-CBOR.
    public static TheoryData<string, DagNode> Rfc8949Examples => new()
    {
        { "00", DagNode.Of(0L) },
        { "17", DagNode.Of(23L) },
        { "1818", DagNode.Of(24L) },
        { "1864", DagNode.Of(100L) },
        { "1903e8", DagNode.Of(1000L) },
        { "1a000f4240", DagNode.Of(1000000L) },
        { "1b000000e8d4a51000", DagNode.Of(1000000000000L) },
        { "1bffffffffffffffff", DagNode.Of(ulong.MaxValue) },
        { "20", DagNode.Of(-1L) },
        { "3863", DagNode.Of(-100L) },
        { "3903e7", DagNode.Of(-1000L) },
        { "3b7fffffffffffffff", DagNode.Of(long.MinValue) },
        { "fb3ff199999999999a", DagNode.Of(1.1) },
        { "fb7e37e43c8800759c", DagNode.Of(1.0e+300) },
        { "f4", DagNode.False },
        { "f5", DagNode.True },
        { "f6", DagNode.Null },
        { "40", DagNode.OfBytes([]) },
        { "4401020304", DagNode.OfBytes([1, 2, 3, 4]) },
        { "60", DagNode.Of("") },
        { "6161", DagNode.Of("a") },
        { "6449455446", DagNode.Of("IETF") },
        { "62c3bc", DagNode.Of("\u00fc") },
        { "80", DagNode.ListOf() },
        { "83010203", DagNode.ListOf(DagNode.Of(1L), DagNode.Of(2L), DagNode.Of(3L)) },
        { "a0", DagNode.MapOf() },
        { "a26161016162820203", DagNode.MapOf(("a", DagNode.Of(1L)), ("b", DagNode.ListOf(DagNode.Of(2L), DagNode.Of(3L)))) },
    };

    [Theory]
    [MemberData(nameof(Rfc8949Examples))]
    public void Encodes_and_decodes_rfc8949_examples(string hex, DagNode node)
    {
        Assert.Equal(hex, Convert.ToHexStringLower(DagCborEncoder.Encode(node)));
        Assert.Equal(node, DagCborDecoder.Decode(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Floats_are_always_64_bit_even_when_smaller_would_do()
    {
        // RFC 8949 shows 1.5 as f93e00 (half precision); DAG-CBOR requires the 64-bit form.
        Assert.Equal("fb3ff8000000000000", Convert.ToHexStringLower(DagCborEncoder.Encode(DagNode.Of(1.5))));
        Assert.Equal("fb8000000000000000", Convert.ToHexStringLower(DagCborEncoder.Encode(DagNode.Of(-0.0))));
    }

    [Fact]
    public void Map_keys_sort_length_first_then_bytewise()
    {
        var node = DagNode.MapOf(("bb", DagNode.Null), ("a", DagNode.Null), ("ab", DagNode.Null), ("c", DagNode.Null));
        Assert.Equal(new[] { "a", "c", "ab", "bb" }, node.Entries.Select(e => e.Key));
        Assert.Equal("a46161f66163f6626162f6626262f6", Convert.ToHexStringLower(DagCborEncoder.Encode(node)));
    }

    [Fact]
    public void Links_are_tag_42_around_a_zero_prefixed_cid()
    {
        var cid = Cid.ForRaw([]);
        var bytes = DagCborEncoder.Encode(DagNode.Of(cid));
        var expected = "d82a5825" + "00" + Convert.ToHexStringLower(cid.ToBytes());
        Assert.Equal(expected, Convert.ToHexStringLower(bytes));
        Assert.Equal(cid, DagCborDecoder.Decode(bytes).AsLink());
    }

    [Fact]
    public void Empty_map_block_has_the_expected_cid()
    {
        // The block is the single byte a0; its CID is CIDv1 dag-cbor over sha2-256(a0).
        DagCborEncoder.EncodeBlock(DagNode.MapOf(), out var cid);
        var expected = new byte[] { 1, 0x71, 0x12, 0x20 }.Concat(System.Security.Cryptography.SHA256.HashData(new byte[] { 0xa0 })).ToArray();
        Assert.Equal(expected, cid.ToBytes());
    }

    [Fact]
    public void Nodes_refuse_values_outside_the_data_model()
    {
        Assert.Throws<ArgumentException>(() => DagNode.Of(double.NaN));
        Assert.Throws<ArgumentException>(() => DagNode.Of(double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => DagNode.Of("\ud800"));
        Assert.Throws<ArgumentException>(() => DagNode.MapOf(("a", DagNode.Null), ("a", DagNode.True)));
    }

    [Fact]
    public void Encoder_refuses_trees_the_decoder_would_refuse_as_too_deep()
    {
        var node = DagNode.ListOf();
        for (int i = 0; i < DagCborDecoder.MaxDepth; i++)
        {
            node = DagNode.ListOf(node);
        }

        Assert.Throws<ArgumentException>(() => DagCborEncoder.Encode(node));
    }
}
