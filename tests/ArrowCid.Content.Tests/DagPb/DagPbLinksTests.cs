using ArrowCid.Content.DagPb;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.DagPb;

public class DagPbLinksTests
{
    [Fact]
    public void Reads_every_link_hash_in_order_and_skips_names_sizes_and_data()
    {
        var first = Cid.ForRaw("first"u8);
        // A CIDv0 (what go-ipfs writes in UnixFS folders): sha2-256 multihash alone.
        var second = Cid.CreateV0(Multihash.Sha256("second"u8));
        byte[] node = [.. Link(first, "a"), .. Link(second, "bee"), 0x0A, 0x03, 1, 2, 3];

        Assert.Equal([first, second], DagPbLinks.Of(node));
        Assert.Empty(DagPbLinks.Of([0x0A, 0x02, 0x08, 0x01])); // Data only: a UnixFS leaf
        Assert.Empty(DagPbLinks.Of([]));
    }

    [Fact]
    public void A_link_whose_hash_is_not_a_readable_cid_is_left_out()
    {
        var good = Cid.ForRaw("good"u8);
        // sha2-512: well-formed, but not a hash this library names.
        byte[] unreadable = [0x01, 0x55, 0x13, 0x40, .. new byte[64]];
        byte[] node = [.. Link(unreadable, "x"), .. Link(good, "y")];

        Assert.Equal([good], DagPbLinks.Of(node));
    }

    [Theory]
    [InlineData("12")] // a field key with no value
    [InlineData("12ff01")] // a length past the end
    [InlineData("0b")] // wire type 3 (groups), which protobuf 3 does not use
    [InlineData("80")] // a truncated varint key
    public void Malformed_protobuf_is_a_ContentFormatException(string hex)
    {
        Assert.Throws<ContentFormatException>(() => DagPbLinks.Of(Convert.FromHexString(hex)));
    }

    private static byte[] Link(Cid cid, string name) => Link(cid.ToBytes(), name);

    // PBLink { 1: Hash, 2: Name, 3: Tsize } inside PBNode field 2.
    private static byte[] Link(byte[] hash, string name)
    {
        byte[] link = [0x0A, (byte)hash.Length, .. hash, 0x12, (byte)name.Length, .. System.Text.Encoding.UTF8.GetBytes(name), 0x18, 0x80, 0x01];
        return [0x12, (byte)link.Length, .. link];
    }
}
