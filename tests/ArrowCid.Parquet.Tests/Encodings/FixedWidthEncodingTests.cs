using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Parquet.Encodings;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Encodings;

public class FixedWidthEncodingTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(200);

    private static void PlainRoundTrip<T>(T[] values) where T : unmanaged
    {
        var buffer = new ArrayBufferWriter<byte>();
        PlainEncoding.Encode<T>(values, buffer);
        Assert.Equal(values.Length * Marshal.SizeOf<T>(), buffer.WrittenCount);
        T[] decoded = new T[values.Length];
        Assert.Equal(buffer.WrittenCount, PlainEncoding.Decode<T>(buffer.WrittenSpan, decoded));
        Assert.Equal(values, decoded);
    }

    [Fact]
    public void Plain_round_trips_every_fixed_width_type()
    {
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<int[]>(), (int[] v) => PlainRoundTrip(v)));
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<long[]>(), (long[] v) => PlainRoundTrip(v)));
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<float[]>(), (float[] v) => PlainRoundTrip(v)));
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<double[]>(), (double[] v) => PlainRoundTrip(v)));
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<long[]>(), (long[] v) => PlainRoundTrip(v.Select(x => new Int96(x, (int)(x >> 7))).ToArray())));
        PlainRoundTrip(new[] { int.MinValue, int.MaxValue, 0 });
        PlainRoundTrip(new[] { long.MinValue, long.MaxValue });
        PlainRoundTrip(new[] { double.NaN, double.NegativeInfinity, -0.0, double.Epsilon });
    }

    [Fact]
    public void Int96_is_twelve_little_endian_bytes()
    {
        Assert.Equal(12, Marshal.SizeOf<Int96>());
        var buffer = new ArrayBufferWriter<byte>();
        PlainEncoding.Encode<Int96>([new Int96(0x0807060504030201, 0x0C0B0A09)], buffer);
        Assert.Equal(Enumerable.Range(1, 12).Select(i => (byte)i), buffer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Plain_booleans_pack_lsb_first()
    {
        // true,false,true,true → bits 0,2,3 → 0b1101; nine values spill into a second byte.
        var buffer = new ArrayBufferWriter<byte>();
        PlainEncoding.EncodeBooleans([true, false, true, true, false, false, false, false, true], buffer);
        Assert.Equal([0b00001101, 0b00000001], buffer.WrittenSpan.ToArray());
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<bool[]>(), (bool[] values) =>
        {
            var b = new ArrayBufferWriter<byte>();
            PlainEncoding.EncodeBooleans(values, b);
            bool[] decoded = new bool[values.Length];
            PlainEncoding.DecodeBooleans(b.WrittenSpan, decoded);
            Assert.Equal(values, decoded);
        }));
    }

    [Fact]
    public void Plain_short_input_is_rejected()
    {
        Assert.Throws<ParquetFormatException>(() => PlainEncoding.Decode<long>([1, 2, 3], new long[1]));
        Assert.Throws<ParquetFormatException>(() => PlainEncoding.DecodeBooleans([1], new bool[9]));
    }

    [Fact]
    public void Byte_stream_split_spec_example()
    {
        // Encodings.md: AA BB CC DD | 00 11 22 33 | A3 B4 C5 D6 → AA 00 A3 BB 11 B4 CC 22 C5 DD 33 D6.
        byte[] values = [0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x11, 0x22, 0x33, 0xA3, 0xB4, 0xC5, 0xD6];
        byte[] split = ByteStreamSplit.Encode(values, 4);
        Assert.Equal([0xAA, 0x00, 0xA3, 0xBB, 0x11, 0xB4, 0xCC, 0x22, 0xC5, 0xDD, 0x33, 0xD6], split);
        byte[] back = new byte[12];
        ByteStreamSplit.Decode(split, 4, 3, back);
        Assert.Equal(values, back);
    }

    [Fact]
    public void Byte_stream_split_round_trips_any_width()
    {
        Check.One(Runs, Prop.ForAll(Arb.From(Gen.Choose(1, 16)), ArbMap.Default.ArbFor<byte[]>(), (int width, byte[] raw) =>
        {
            byte[] values = raw.AsSpan(0, raw.Length - raw.Length % width).ToArray();
            byte[] back = new byte[values.Length];
            ByteStreamSplit.Decode(ByteStreamSplit.Encode(values, width), width, values.Length / width, back);
            Assert.Equal(values, back);
        }));
        Assert.Throws<ParquetFormatException>(() => ByteStreamSplit.Decode(new byte[7], 4, 2, new byte[8]));
    }

    [Fact]
    public void Legacy_bit_packed_levels_are_msb_first()
    {
        // Encodings.md BIT_PACKED: 0..7 at width 3 → 00000101 00111001 01110111.
        int[] levels = new int[8];
        Assert.Equal(3, LegacyBitPacked.Decode([0b00000101, 0b00111001, 0b01110111], 3, levels));
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], levels);
    }
}
