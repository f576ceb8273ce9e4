using ArrowCid.Content.Multiformats;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Content.Tests.Multiformats;

public class VarintTests
{
    // Examples from the multiformats unsigned-varint README.
    [Theory]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "8001")]
    [InlineData(255UL, "ff01")]
    [InlineData(300UL, "ac02")]
    [InlineData(16384UL, "808001")]
    [InlineData(0UL, "00")]
    [InlineData(0x7FFFFFFFFFFFFFFFUL, "ffffffffffffffff7f")]
    public void Encodes_and_decodes_spec_examples(ulong value, string hex)
    {
        Assert.Equal(hex, Convert.ToHexStringLower(Varint.ToBytes(value)));
        var bytes = Convert.FromHexString(hex + "aa");
        Assert.Equal(value, Varint.Read(bytes, out int read));
        Assert.Equal(hex.Length / 2, read);
    }

    [Theory]
    [InlineData("8000", "not minimally encoded")]
    [InlineData("ff00", "not minimally encoded")]
    [InlineData("80", "truncated")]
    [InlineData("", "ended")]
    [InlineData("ffffffffffffffffff01", "longer than 9 bytes")]
    public void Refuses_malformed_varints(string hex, string reason)
    {
        var ex = Assert.Throws<ContentFormatException>(() => Varint.Read(Convert.FromHexString(hex), out _));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Varint.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void Refuses_to_write_values_beyond_63_bits()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Varint.ToBytes(1UL << 63));
    }

    [Fact]
    public void Round_trips_every_63_bit_value()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<ulong>(), raw =>
        {
            ulong value = raw >> 1;
            var bytes = Varint.ToBytes(value);
            return Varint.Read(bytes, out int read) == value && read == bytes.Length && bytes.Length == Varint.GetLength(value);
        }).QuickCheckThrowOnFailure();
    }
}
