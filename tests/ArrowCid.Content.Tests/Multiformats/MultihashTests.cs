using System.Security.Cryptography;
using System.Text;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Tests.Multiformats;

public class MultihashTests
{
    // FIPS 180-2 test vector: SHA-256("abc").
    private const string AbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Sha256_multihash_is_code_length_digest()
    {
        var hash = Multihash.Sha256(Encoding.ASCII.GetBytes("abc"));
        Assert.Equal("1220" + AbcSha256, Convert.ToHexStringLower(hash.ToBytes()));
        Assert.Equal(Multicodec.Sha2256, hash.Code);
        Assert.True(hash.Verify(Encoding.ASCII.GetBytes("abc")));
        Assert.False(hash.Verify(Encoding.ASCII.GetBytes("abd")));
    }

    [Fact]
    public void Identity_multihash_inlines_data()
    {
        var hash = Multihash.Identity([1, 2, 3]);
        Assert.Equal("0003010203", Convert.ToHexStringLower(hash.ToBytes()));
        Assert.True(hash.Verify([1, 2, 3]));
        Assert.Equal(hash, Multihash.Parse(hash.ToBytes()));
    }

    [Theory]
    [InlineData("1320", "Unsupported multihash function")]
    [InlineData("1210", "32-byte digest")]
    [InlineData("1220aabb", "truncated")]
    [InlineData("008101", "cap")]
    public void Refuses_bad_multihashes(string hex, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => Multihash.Parse(Convert.FromHexString(hex)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_refuses_trailing_bytes()
    {
        var bytes = Multihash.Sha256([]).ToBytes().Concat(new byte[] { 0 }).ToArray();
        Assert.Throws<ContentFormatException>(() => Multihash.Parse(bytes));
    }

    [Fact]
    public void Equality_is_by_value()
    {
        var data = RandomNumberGenerator.GetBytes(100);
        Assert.Equal(Multihash.Sha256(data), Multihash.Sha256(data.ToArray()));
        Assert.Equal(Multihash.Sha256(data).GetHashCode(), Multihash.Sha256(data.ToArray()).GetHashCode());
        Assert.NotEqual(Multihash.Sha256(data), Multihash.Sha256(data.AsSpan(1)));
    }
}
