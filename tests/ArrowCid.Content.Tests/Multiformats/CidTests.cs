using System.Security.Cryptography;
using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Multiformats;

public class CidTests
{
    // SHA-256 of the empty string (FIPS 180-2); every CID below names empty content.
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    // From the multiformats/cid README: a CIDv0 and the same CID as v1 in base32.
    private const string ReadmeV0 = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n";
    private const string ReadmeV1 = "bafybeihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku";

    [Fact]
    public void Readme_v0_and_v1_name_the_same_hash()
    {
        var v0 = Cid.Parse(ReadmeV0);
        var v1 = Cid.Parse(ReadmeV1);
        Assert.Equal(0, v0.Version);
        Assert.Equal(1, v1.Version);
        Assert.Equal(Multicodec.DagPb, v0.Codec);
        Assert.Equal(Multicodec.DagPb, v1.Codec);
        Assert.Equal(v0.Hash, v1.Hash);
        Assert.Equal(v1, v0.ToV1());
        Assert.Equal(ReadmeV1, v0.ToV1().ToString());
        Assert.Equal(ReadmeV0, v0.ToString());
        Assert.Equal(EmptySha256, Convert.ToHexStringLower(v0.Hash.Digest));
        Assert.True(v0.Verify([]));
    }

    [Fact]
    public void Raw_cid_of_empty_content_matches_an_independent_construction()
    {
        // Binary CIDv1: version 1, raw 0x55, sha2-256 0x12, length 0x20, digest; then 'b' + RFC 4648 base32.
        var expectedBytes = Convert.FromHexString("01551220" + EmptySha256);
        string expected = "b" + ReferenceBase32(expectedBytes);

        var cid = Cid.ForRaw([]);
        Assert.Equal(expectedBytes, cid.ToBytes());
        Assert.Equal(expected, cid.ToString());
        Assert.Equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku", expected);
    }

    [Fact]
    public void DagCbor_cid_uses_codec_0x71()
    {
        var data = Encoding.UTF8.GetBytes("not really cbor but hashed all the same");
        var cid = Cid.ForDagCbor(data);
        var expected = new byte[] { 0x01, 0x71, 0x12, 0x20 }.Concat(SHA256.HashData(data)).ToArray();
        Assert.Equal(expected, cid.ToBytes());
        Assert.StartsWith("bafyrei", cid.ToString(), StringComparison.Ordinal);
        Assert.True(cid.Verify(data));
        Assert.False(cid.Verify(data.AsSpan(1)));
    }

    [Fact]
    public void Every_multibase_round_trips()
    {
        var cid = Cid.ForRaw(Encoding.UTF8.GetBytes("hello"));
        foreach (char prefix in "bBzfFu")
        {
            string text = cid.ToString(prefix);
            Assert.Equal(prefix, text[0]);
            Assert.Equal(cid, Cid.Parse(text));
        }
    }

    [Fact]
    public void Binary_read_reports_length_and_ignores_what_follows()
    {
        var cid = Cid.ForRaw([1, 2, 3]);
        var buffer = cid.ToBytes().Concat(new byte[] { 9, 9 }).ToArray();
        var read = Cid.Read(buffer, out int bytesRead);
        Assert.Equal(cid, read);
        Assert.Equal(cid.EncodedLength, bytesRead);
        Assert.Throws<ContentFormatException>(() => Cid.FromBytes(buffer));
    }

    [Fact]
    public void V0_binary_is_recognised_by_its_multihash_prefix()
    {
        var v0 = Cid.Parse(ReadmeV0);
        Assert.Equal(Cid.V0Length, v0.EncodedLength);
        Assert.Equal(v0, Cid.FromBytes(v0.ToBytes()));
        Assert.Throws<ArgumentException>(() => v0.ToString('b'));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("b", "Varint expected")]
    [InlineData("bafkq", "Varint expected")]
    [InlineData("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR10", "not a base58btc")]
    public void Parse_refuses_invalid_text(string text, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => Cid.Parse(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Cid.TryParse(text, out _));
    }

    [Theory]
    [InlineData("02551220", "Unsupported CID version 2")]
    [InlineData("00551220", "Unsupported CID version 0")]
    [InlineData("015512", "Varint expected")]
    [InlineData("01551220aa", "truncated")]
    [InlineData("01551320", "Unsupported multihash function")]
    public void Binary_read_refuses_invalid_cids(string hex, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => Cid.FromBytes(Convert.FromHexString(hex)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.Throws<ContentFormatException>(() => Cid.Parse(Multibase.Encode(Convert.FromHexString(hex))));
    }

    [Fact]
    public void V0_with_a_multibase_prefix_is_refused()
    {
        var v0 = Cid.Parse(ReadmeV0);
        Assert.Throws<ContentFormatException>(() => Cid.Parse("z" + ReadmeV0));
        Assert.Throws<ContentFormatException>(() => Cid.Parse(Multibase.Encode(v0.ToBytes(), 'b')));
    }

    [Fact]
    public void Equality_and_hash_code_follow_the_bytes()
    {
        var a = Cid.ForRaw([1]);
        var b = Cid.Parse(a.ToString());
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, Cid.ForDagCbor([1]));
        Assert.NotEqual(Cid.Parse(ReadmeV0), Cid.Parse(ReadmeV1));
    }

    // Test-only base32: write the bytes as a bit string and read it back five bits at a time.
    private static string ReferenceBase32(byte[] bytes)
    {
        var bits = string.Concat(bytes.Select(b => Convert.ToString(b, 2).PadLeft(8, '0')));
        bits = bits.PadRight((bits.Length + 4) / 5 * 5, '0');
        var sb = new StringBuilder();
        for (int i = 0; i < bits.Length; i += 5)
        {
            sb.Append("abcdefghijklmnopqrstuvwxyz234567"[Convert.ToInt32(bits.Substring(i, 5), 2)]);
        }

        return sb.ToString();
    }
}
