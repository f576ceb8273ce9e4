using System.Buffers;
using ArrowCid.Parquet.Encodings;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Encodings;

public class DeltaBinaryPackedTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Spec_example_1_decodes()
    {
        // Encodings.md example 1: 1..5, block size 8, 1 miniblock. Deltas are all 1, so the min
        // delta is 1 and every relative delta 0: bit width 0, no miniblock bytes.
        // Header: 8, 1, 5, zigzag(1) = 2. Block: zigzag(1) = 2, width 0.
        byte[] encoded = [8, 1, 5, 2, 2, 0];
        long[] values = new long[5];
        Assert.Equal(encoded.Length, DeltaBinaryPacked.DecodeInt64(encoded, values));
        Assert.Equal([1L, 2, 3, 4, 5], values);
    }

    [Fact]
    public void Spec_example_2_decodes()
    {
        // Encodings.md example 2: 7,5,3,1,2,3,4,5 → deltas -2,-2,-2,1,1,1,1; min -2; relative
        // 0,0,0,3,3,3,3 at width 2. Header: 8, 1, 8, zigzag(7) = 14. Block: zigzag(-2) = 3,
        // width 2, then 8 values × 2 bits = 2 bytes: 0,0,0,3 → 0b11000000, 3,3,3,(pad 0) → 0b00111111.
        byte[] encoded = [8, 1, 8, 14, 3, 2, 0b11000000, 0b00111111];
        int[] values = new int[8];
        Assert.Equal(encoded.Length, DeltaBinaryPacked.DecodeInt32(encoded, values));
        Assert.Equal([7, 5, 3, 1, 2, 3, 4, 5], values);
    }

    [Fact]
    public void Int64_values_round_trip_including_extremes()
    {
        var extremes = Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, 1L);
        var anyLong = Gen.OneOf(extremes, ArbMap.Default.GeneratorFor<long>());
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.ArrayOf(anyLong)), (long[] values) =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            DeltaBinaryPacked.EncodeInt64(values, buffer);
            long[] decoded = new long[values.Length];
            Assert.Equal(buffer.WrittenCount, DeltaBinaryPacked.DecodeInt64(buffer.WrittenSpan, decoded));
            Assert.Equal(values, decoded);
        }));
    }

    [Fact]
    public void Int32_values_round_trip_with_widths_at_most_32()
    {
        var extremes = Gen.Elements(int.MinValue, int.MaxValue, 0, -1, 1);
        var anyInt = Gen.OneOf(extremes, ArbMap.Default.GeneratorFor<int>());
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.ArrayOf(anyInt)), (int[] values) =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            DeltaBinaryPacked.EncodeInt32(values, buffer);
            int[] decoded = new int[values.Length];
            DeltaBinaryPacked.DecodeInt32(buffer.WrittenSpan, decoded);
            Assert.Equal(values, decoded);
        }));
    }

    [Fact]
    public void Alternating_extremes_need_width_64_and_wrap_correctly()
    {
        // Deltas wrap: 0 → MinValue is MinValue, MinValue → MaxValue is -1, MaxValue → MinValue
        // is +1, MaxValue → 0 is MinValue + 1. With min delta MinValue, the relative delta of +1
        // is 2^63 + 1, which only a 64-bit miniblock holds.
        long[] values = [0, long.MinValue, long.MaxValue, long.MinValue, long.MaxValue, 0];
        var buffer = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.EncodeInt64(values, buffer);
        long[] decoded = new long[values.Length];
        DeltaBinaryPacked.DecodeInt64(buffer.WrittenSpan, decoded);
        Assert.Equal(values, decoded);
        Assert.Contains((byte)64, buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Empty_and_single_values_have_headers_only()
    {
        var buffer = new ArrayBufferWriter<byte>();
        DeltaBinaryPacked.EncodeInt64([], buffer);
        Assert.Equal([0x80, 0x01, 4, 0, 0], buffer.WrittenSpan.ToArray());
        Assert.Equal(5, DeltaBinaryPacked.DecodeInt64(buffer.WrittenSpan, []));
        buffer.Clear();
        DeltaBinaryPacked.EncodeInt64([-3], buffer);
        long[] one = new long[1];
        DeltaBinaryPacked.DecodeInt64(buffer.WrittenSpan, one);
        Assert.Equal(-3, one[0]);
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, 1, 0 })]                   // block size 0
    [InlineData(new byte[] { 8, 3, 1, 0 })]                   // 8 not divisible by 3 miniblocks
    [InlineData(new byte[] { 8, 1, 2, 0 })]                   // count 2 ≠ the 1 wanted
    [InlineData(new byte[] { 8, 1, 1 })]                      // header cut short
    public void Malformed_headers_are_rejected(byte[] encoded)
    {
        Assert.Throws<ParquetFormatException>(() => DeltaBinaryPacked.DecodeInt64(encoded, new long[1]));
    }

    [Fact]
    public void Width_above_64_and_missing_miniblock_bytes_are_rejected()
    {
        Assert.Throws<ParquetFormatException>(() => DeltaBinaryPacked.DecodeInt64([8, 1, 2, 0, 0, 65], new long[2]));
        Assert.Throws<ParquetFormatException>(() => DeltaBinaryPacked.DecodeInt64([8, 1, 2, 0, 0, 8, 1], new long[2]));
    }
}
