using System.Text;
using ArrowCid.Grpc;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Grpc.Tests;

/// <summary>grpc-message percent-encoding, grpc-timeout and metadata rules.</summary>
public sealed class ProtocolTextTests
{
    [Theory]
    [InlineData("", "")]
    [InlineData("plain", "plain")]
    [InlineData("100%", "100%25")]
    [InlineData("ü", "%C3%BC")]
    [InlineData("a\nb", "a%0Ab")]
    [InlineData("😀", "%F0%9F%98%80")]
    public void Status_message_encoding_matches_the_spec(string text, string wire)
    {
        Assert.Equal(wire, GrpcStatusMessage.Encode(text));
        Assert.Equal(text, GrpcStatusMessage.Decode(wire));
    }

    [Theory]
    [InlineData("%", "%")]
    [InlineData("%4", "%4")]
    [InlineData("%zz!", "%zz!")]
    [InlineData("%41%42", "AB")]
    public void Status_message_decoding_is_lenient(string wire, string text) =>
        Assert.Equal(text, GrpcStatusMessage.Decode(wire));

    [Fact]
    public void Status_message_round_trips_any_valid_unicode()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<string>(), (string s) =>
        {
            string text = s ?? "";
            bool validUtf16 = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) == text;
            string wire = GrpcStatusMessage.Encode(text);
            bool printable = wire.All(c => c is >= ' ' and <= '~');
            return !validUtf16 || (printable && GrpcStatusMessage.Decode(wire) == text);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("150n", 2L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void Timeout_parses_every_unit(string text, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(text, out TimeSpan timeout));
        Assert.Equal(ticks, timeout.Ticks);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("5")]
    [InlineData("5s")]
    [InlineData("123456789m")]
    [InlineData(" 5S")]
    [InlineData("+5S")]
    public void Timeout_rejects_malformed_values(string? text) => Assert.False(GrpcTimeout.TryParse(text, out _));

    [Fact]
    public void Timeout_format_never_shortens_and_fits_eight_digits()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<long>(), ticks =>
        {
            var timeout = TimeSpan.FromTicks(Math.Abs(ticks % TimeSpan.FromDays(3650).Ticks) + 1);
            string text = GrpcTimeout.Format(timeout);
            return text.Length <= 9 && GrpcTimeout.TryParse(text, out TimeSpan back) && back >= timeout;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Metadata_validates_keys_and_values()
    {
        var metadata = new Metadata();
        metadata.Add("Mixed-Case", "v");
        Assert.Equal("mixed-case", metadata[0].Key);
        Assert.Throws<ArgumentException>(() => metadata.Add("grpc-status", "0"));
        Assert.Throws<ArgumentException>(() => metadata.Add("bad key", "v"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x-bin", "text"));
        Assert.Throws<ArgumentException>(() => metadata.Add("x", [1, 2]));
        Assert.Throws<ArgumentException>(() => metadata.Add("x", "ü"));
        metadata.Add("x-bin", [1, 2]);
        Assert.Equal(new byte[] { 1, 2 }, metadata.GetValueBytes("x-bin"));
    }
}
