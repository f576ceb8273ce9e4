using System.Text;
using ArrowCid.Content.Multiformats;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.Multiformats;

public class MultibaseTests
{
    // RFC 4648 section 10 vectors, with padding removed as multibase requires.
    [Theory]
    [InlineData("", "b", "f", "u")]
    [InlineData("f", "bmy", "f66", "uZg")]
    [InlineData("fo", "bmzxq", "f666f", "uZm8")]
    [InlineData("foo", "bmzxw6", "f666f6f", "uZm9v")]
    [InlineData("foob", "bmzxw6yq", "f666f6f62", "uZm9vYg")]
    [InlineData("fooba", "bmzxw6ytb", "f666f6f6261", "uZm9vYmE")]
    [InlineData("foobar", "bmzxw6ytboi", "f666f6f626172", "uZm9vYmFy")]
    public void Matches_rfc4648_vectors(string text, string base32, string base16, string base64Url)
    {
        var data = Encoding.ASCII.GetBytes(text);
        Assert.Equal(base32, Multibase.Encode(data));
        Assert.Equal(base32.ToUpperInvariant(), Multibase.Encode(data, 'B'));
        Assert.Equal(base16, Multibase.Encode(data, 'f'));
        Assert.Equal("F" + base16[1..].ToUpperInvariant(), Multibase.Encode(data, 'F'));
        Assert.Equal(base64Url, Multibase.Encode(data, 'u'));
        foreach (var encoded in new[] { base32, base32.ToUpperInvariant(), base16, "F" + base16[1..].ToUpperInvariant(), base64Url })
        {
            Assert.Equal(data, Multibase.Decode(encoded));
        }
    }

    // Bitcoin base58: leading zero bytes become '1'; "Hello World!" is a widely published vector.
    [Theory]
    [InlineData("48656c6c6f20576f726c6421", "z2NEpo7TZRRrLZSi2U")]
    [InlineData("0000", "z11")]
    [InlineData("00ff", "z15Q")]
    public void Matches_base58btc_vectors(string hex, string text)
    {
        Assert.Equal(text, Multibase.Encode(Convert.FromHexString(hex), 'z'));
        Assert.Equal(Convert.FromHexString(hex), Multibase.Decode(text));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("xabc", "Unsupported multibase prefix")]
    [InlineData("bMZXW6", "not a lower-case base32")]
    [InlineData("bmz1a", "not a lower-case base32")]
    [InlineData("bm", "cannot encode whole bytes")]
    [InlineData("bmz", "non-zero trailing bits")]
    [InlineData("f6", "odd number")]
    [InlineData("f6A", "not a lower-case base16")]
    [InlineData("uZg==", "padding is not allowed")]
    [InlineData("uZh", "non-zero trailing bits")]
    [InlineData("z0", "not a base58btc")]
    public void Refuses_invalid_text(string text, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => Multibase.Decode(text));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Multibase.TryDecode(text, out _));
    }

    [Fact]
    public void Round_trips_random_bytes_in_every_encoding()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), data =>
            "bBzfFu".All(prefix => Multibase.Decode(Multibase.Encode(data, prefix)).AsSpan().SequenceEqual(data)))
            .QuickCheckThrowOnFailure();
    }
}
