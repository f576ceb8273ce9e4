using System.Buffers;
using System.Text;
using ArrowCid.Parquet.Encodings;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Encodings;

public class ByteArrayEncodingTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(200);

    private static ByteArrayValues Strings(params string[] values) =>
        ByteArrayValues.From(values.Select(Encoding.UTF8.GetBytes));

    private static string[] AsStrings(ByteArrayValues values) =>
        Enumerable.Range(0, values.Count).Select(i => Encoding.UTF8.GetString(values[i])).ToArray();

    [Fact]
    public void Delta_length_spec_example_keeps_the_bytes_back_to_back()
    {
        // Encodings.md: "Hello", "World", "Foobar", "ABCDEF" → DeltaEncoding(5, 5, 6, 6) then
        // "HelloWorldFoobarABCDEF".
        var buffer = new ArrayBufferWriter<byte>();
        DeltaLengthByteArray.Encode(Strings("Hello", "World", "Foobar", "ABCDEF"), buffer);
        byte[] encoded = buffer.WrittenSpan.ToArray();
        Assert.EndsWith("HelloWorldFoobarABCDEF", Encoding.ASCII.GetString(encoded), StringComparison.Ordinal);
        var lengths = new int[4];
        DeltaBinaryPacked.DecodeInt32(encoded, lengths);
        Assert.Equal([5, 5, 6, 6], lengths);
        var decoded = new ByteArrayBuilder();
        Assert.Equal(encoded.Length, DeltaLengthByteArray.Decode(encoded, 4, decoded));
        Assert.Equal(["Hello", "World", "Foobar", "ABCDEF"], AsStrings(decoded.Build()));
    }

    [Fact]
    public void Delta_byte_array_spec_example_shares_prefixes()
    {
        // Encodings.md: "axis", "axle", "babble", "babyhood" → prefixes (0, 2, 0, 3), suffix
        // lengths (4, 2, 6, 5), suffix bytes "axislebabbleyhood".
        var buffer = new ArrayBufferWriter<byte>();
        DeltaByteArray.Encode(Strings("axis", "axle", "babble", "babyhood"), buffer);
        byte[] encoded = buffer.WrittenSpan.ToArray();
        Assert.EndsWith("axislebabbleyhood", Encoding.ASCII.GetString(encoded), StringComparison.Ordinal);
        var prefixes = new int[4];
        int used = DeltaBinaryPacked.DecodeInt32(encoded, prefixes);
        Assert.Equal([0, 2, 0, 3], prefixes);
        var suffixLengths = new int[4];
        DeltaBinaryPacked.DecodeInt32(encoded.AsSpan(used), suffixLengths);
        Assert.Equal([4, 2, 6, 5], suffixLengths);
        var decoded = new ByteArrayBuilder();
        DeltaByteArray.Decode(encoded, 4, decoded);
        Assert.Equal(["axis", "axle", "babble", "babyhood"], AsStrings(decoded.Build()));
    }

    [Fact]
    public void All_byte_array_encodings_round_trip_any_values()
    {
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<byte[][]>(), (byte[][] raw) =>
        {
            // Sorted copies share long prefixes, the case DELTA_BYTE_ARRAY is for.
            byte[][] values = raw.Where(v => v is not null).OrderBy(v => Convert.ToHexString(v), StringComparer.Ordinal).ToArray();
            ByteArrayValues input = ByteArrayValues.From(values);
            foreach (var (encode, decode) in Codecs())
            {
                var buffer = new ArrayBufferWriter<byte>();
                encode(input, buffer);
                var output = new ByteArrayBuilder();
                Assert.Equal(buffer.WrittenCount, decode(buffer.WrittenSpan.ToArray(), values.Length, output));
                ByteArrayValues decoded = output.Build();
                Assert.Equal(input.Offsets, decoded.Offsets);
                Assert.Equal(input.Data, decoded.Data);
            }
        }));
    }

    private static IEnumerable<(Action<ByteArrayValues, IBufferWriter<byte>>, Func<byte[], int, ByteArrayBuilder, int>)> Codecs()
    {
        yield return (PlainEncoding.EncodeByteArrays, (b, n, o) => PlainEncoding.DecodeByteArrays(b, n, o));
        yield return (DeltaLengthByteArray.Encode, (b, n, o) => DeltaLengthByteArray.Decode(b, n, o));
        yield return (DeltaByteArray.Encode, (b, n, o) => DeltaByteArray.Decode(b, n, o));
    }

    [Fact]
    public void Prefix_longer_than_the_previous_value_is_rejected()
    {
        var buffer = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.EncodeInt32([0, 5], buffer);           // second value claims 5 shared bytes
        DeltaLengthByteArray.Encode(Strings("ab", "c"), buffer);
        Assert.Throws<ParquetFormatException>(() => DeltaByteArray.Decode(buffer.WrittenSpan, 2, new ByteArrayBuilder()));
    }

    [Fact]
    public void Plain_length_past_the_end_is_rejected()
    {
        Assert.Throws<ParquetFormatException>(() => PlainEncoding.DecodeByteArrays([5, 0, 0, 0, 1, 2], 1, new ByteArrayBuilder()));
        Assert.Throws<ParquetFormatException>(() => PlainEncoding.DecodeByteArrays([0xFF, 0xFF, 0xFF, 0xFF], 1, new ByteArrayBuilder()));
    }
}
