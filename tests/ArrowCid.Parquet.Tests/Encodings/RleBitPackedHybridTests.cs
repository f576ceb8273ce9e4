using System.Buffers;
using ArrowCid.Parquet.Encodings;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Encodings;

public class RleBitPackedHybridTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    [Fact]
    public void Spec_bit_packed_example_decodes()
    {
        // Encodings.md: 0..7 at bit width 3 packs LSB-first into 10001000 11000110 11111010.
        // Header: one group of 8, bit-packed → (1 << 1) | 1 = 3.
        byte[] encoded = [0x03, 0b10001000, 0b11000110, 0b11111010];
        int[] values = new int[8];
        Assert.Equal(4, RleBitPackedHybrid.Decode(encoded, 3, values));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], values);
    }

    [Fact]
    public void Rle_run_decodes_with_its_value_in_ceil_width_bytes()
    {
        // A run of 300 copies of 0x1234 at width 13: header 300 << 1 = 600 = ULEB 0xD8 0x04,
        // then the value in ceil(13 / 8) = 2 little-endian bytes.
        byte[] encoded = [0xD8, 0x04, 0x34, 0x12];
        int[] values = new int[300];
        Assert.Equal(4, RleBitPackedHybrid.Decode(encoded, 13, values));
        Assert.All(values, v => Assert.Equal(0x1234, v));
    }

    [Fact]
    public void Length_prefixed_form_reports_prefix_plus_body()
    {
        var buffer = new ArrayBufferWriter<byte>();
        RleBitPackedHybrid.EncodeWithLengthPrefix([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1], 1, buffer);
        int[] values = new int[11];
        Assert.Equal(buffer.WrittenCount, RleBitPackedHybrid.DecodeWithLengthPrefix(buffer.WrittenSpan, 1, values));
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1], values);
    }

    [Fact]
    public void Any_values_round_trip_at_any_width_0_to_32()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Choose(0, 32)), ArbMap.Default.ArbFor<int[]>(), Arb.From(Gen.Choose(0, 40)), (int width, int[] raw, int repeat) =>
        {
            // Long runs alongside noise exercise both run kinds and their boundaries.
            uint mask = width == 32 ? uint.MaxValue : (1u << width) - 1;
            int[] values = raw.SelectMany(v => Enumerable.Repeat((int)((uint)v & mask), 1 + (v & 1) * repeat)).ToArray();
            var buffer = new ArrayBufferWriter<byte>();
            RleBitPackedHybrid.Encode(values, width, buffer);
            int[] decoded = new int[values.Length];
            int used = RleBitPackedHybrid.Decode(buffer.WrittenSpan, width, decoded);
            Assert.Equal(values, decoded);
            Assert.Equal(buffer.WrittenCount, used);
        }));
    }

    [Fact]
    public void Extremes_round_trip_at_width_32()
    {
        int[] values = [int.MinValue, -1, 0, int.MaxValue, 1, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MinValue];
        var buffer = new ArrayBufferWriter<byte>();
        RleBitPackedHybrid.Encode(values, 32, buffer);
        int[] decoded = new int[values.Length];
        RleBitPackedHybrid.Decode(buffer.WrittenSpan, 32, decoded);
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void Empty_input_and_zero_width()
    {
        var buffer = new ArrayBufferWriter<byte>();
        RleBitPackedHybrid.Encode([], 5, buffer);
        Assert.Equal(0, buffer.WrittenCount);
        Assert.Equal(0, RleBitPackedHybrid.Decode([], 5, []));
        RleBitPackedHybrid.Encode(new int[20], 0, buffer);
        int[] zeros = new int[20];
        RleBitPackedHybrid.Decode(buffer.WrittenSpan, 0, zeros);
        Assert.All(zeros, z => Assert.Equal(0, z));
    }

    [Theory]
    [InlineData(new byte[] { 0x03, 0x01 }, 3, 8)]           // bit-packed group needs 3 bytes
    [InlineData(new byte[] { 0x10 }, 8, 8)]                 // RLE run without its value byte
    [InlineData(new byte[] { 0x10, 0x09 }, 3, 8)]           // value 9 does not fit 3 bits
    [InlineData(new byte[] { 0x04, 0x01 }, 1, 8)]           // only 2 of 8 values present
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, 1, 8)] // varint too long
    public void Malformed_runs_are_rejected(byte[] encoded, int width, int count)
    {
        Assert.Throws<ParquetFormatException>(() => RleBitPackedHybrid.Decode(encoded, width, new int[count]));
    }

    [Fact]
    public void Packing_int_values_gives_the_general_packers_bytes_and_zero_padding()
    {
        // The hybrid's 32-bit packer against the general one (DELTA_BINARY_PACKED's), into
        // destinations that start dirty: the bits after the last value must be cleared.
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Choose(1, 32)), ArbMap.Default.ArbFor<int[]>(), Arb.From(Gen.Choose(0, 7)), (int width, int[] raw, int padding) =>
        {
            uint mask = width == 32 ? uint.MaxValue : (1u << width) - 1;
            int[] values = raw.Select(v => (int)((uint)v & mask)).ToArray();
            int bytes = (int)BitPacking.ByteCount(values.Length + padding, width);
            byte[] expected = Enumerable.Repeat((byte)0xA5, bytes).ToArray();
            BitPacking.Pack(values.Select(v => (ulong)(uint)v).Concat(Enumerable.Repeat(0UL, padding)).ToArray(), width, expected);
            byte[] actual = Enumerable.Repeat((byte)0x5A, bytes).ToArray();
            BitPacking.Pack(values, width, actual);
            Assert.Equal(expected, actual);
        }));
    }

    [Fact]
    public void A_value_wider_than_the_bit_width_is_refused()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => RleBitPackedHybrid.Encode([1, 7, 8, 2], 3, buffer));
        Assert.Contains("value 8 does not fit 3 bits", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => RleBitPackedHybrid.Encode([0, -1], 31, buffer));
    }

    [Fact]
    public void Width_above_32_is_rejected()
    {
        Assert.Throws<ParquetFormatException>(() => RleBitPackedHybrid.Decode([0], 33, new int[1]));
    }
}
