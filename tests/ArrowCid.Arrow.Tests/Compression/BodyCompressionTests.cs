using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Compression;
using ArrowCid.TestSupport;

namespace ArrowCid.Arrow.Tests.Compression;

public class BodyCompressionTests
{
    public static IEnumerable<object[]> Cases() =>
        TestData.SizesAndKinds().SelectMany(c => new[] { new[] { c[0], c[1], CompressionCodec.Zstd }, new[] { c[0], c[1], CompressionCodec.Lz4Frame } });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Buffers_round_trip_in_the_stored_form(int size, bool compressible, CompressionCodec codec)
    {
        byte[] data = TestData.Make(size, compressible);
        var writer = new ArrayBufferWriter<byte>();
        int written = BodyCompression.CompressBuffer(codec, data, writer);
        Assert.Equal(writer.WrittenCount, written);

        if (size == 0)
        {
            Assert.Equal(0, written); // Message.fbs: empty buffers may be stored as 0 bytes, no header
        }
        else
        {
            long prefix = BinaryPrimitives.ReadInt64LittleEndian(writer.WrittenSpan);
            Assert.Equal(compressible && size > 100 ? size : BodyCompression.UncompressedMarker, prefix);
            Assert.True(written <= size + BodyCompression.PrefixSize);
        }

        Assert.Equal(data, BodyCompression.DecompressBuffer(codec, writer.WrittenMemory, size).ToArray());
        Assert.Equal(data, BodyCompression.DecompressBufferToArray(codec, writer.WrittenSpan, size));
    }

    [Fact]
    public void The_uncompressed_form_is_returned_without_a_copy()
    {
        byte[] stored = new byte[8 + 100];
        BinaryPrimitives.WriteInt64LittleEndian(stored, -1);
        TestData.Random(100).CopyTo(stored, 8);

        ReadOnlyMemory<byte> buffer = BodyCompression.DecompressBuffer(CompressionCodec.Zstd, stored, 100);
        Assert.True(MemoryMarshal.TryGetArray(buffer, out ArraySegment<byte> segment));
        Assert.Same(stored, segment.Array);
        Assert.Equal(8, segment.Offset);
        Assert.Equal(100, segment.Count);
    }

    [Fact]
    public void A_zstd_buffer_streamed_with_a_large_window_and_no_content_size_decodes()
    {
        // Writers that stream zstd (as arrow-rs does) leave the size out and declare a 128 MiB window.
        byte[] data = TestData.Compressible(5000);
        byte[] stored = Stored(data.Length, StreamedZstd.Compress(data));
        Assert.Equal(data, BodyCompression.DecompressBuffer(CompressionCodec.Zstd, stored, 1 << 20).ToArray());
        Assert.Equal(data, BodyCompression.DecompressBufferToArray(CompressionCodec.Zstd, stored, 1 << 20));
    }

    [Fact]
    public void A_zstd_buffer_that_expands_past_its_prefix_is_refused_in_bounded_memory()
    {
        byte[] stored = Stored(1000, StreamedZstd.Compress(new byte[64 << 20]));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArrowFormatException>(() => BodyCompression.DecompressBuffer(CompressionCodec.Zstd, stored, 1 << 30));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than the expected 1000 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    private static byte[] Stored(long prefix, byte[] payload)
    {
        byte[] stored = new byte[BodyCompression.PrefixSize + payload.Length];
        BinaryPrimitives.WriteInt64LittleEndian(stored, prefix);
        payload.CopyTo(stored, BodyCompression.PrefixSize);
        return stored;
    }

    [Fact]
    public void Codec_none_stores_and_returns_bytes_as_they_are()
    {
        byte[] data = TestData.Random(33);
        var writer = new ArrayBufferWriter<byte>();
        Assert.Equal(33, BodyCompression.CompressBuffer(CompressionCodec.None, data, writer));
        Assert.Equal(data, writer.WrittenSpan.ToArray());
        Assert.Equal(data, BodyCompression.DecompressBuffer(CompressionCodec.None, data, 33).ToArray());
        Assert.Throws<ArrowFormatException>(() => BodyCompression.DecompressBuffer(CompressionCodec.None, data, 32));
    }

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4Frame)]
    public void Lengths_above_the_cap_are_refused_before_decoding(CompressionCodec codec)
    {
        byte[] data = new byte[1 << 20]; // all zeros: a tiny frame that claims a megabyte
        var writer = new ArrayBufferWriter<byte>();
        BodyCompression.CompressBuffer(codec, data, writer);
        Assert.True(writer.WrittenCount < 10_000);
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => BodyCompression.DecompressBuffer(codec, writer.WrittenMemory, (1 << 20) - 1));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);

        // A prefix that lies about the length is caught by the exact-size decode.
        byte[] lying = writer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt64LittleEndian(lying, (1 << 20) - 1);
        Assert.Throws<ArrowFormatException>(() => BodyCompression.DecompressBuffer(codec, lying, 1 << 20));
    }

    [Theory]
    [InlineData(new byte[] { 1, 2, 3 }, "shorter than its 8-byte length prefix")]
    [InlineData(new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0 }, "invalid uncompressed length -2")]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0x80, 0 }, "invalid uncompressed length")]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0 }, "limit")]
    public void Malformed_prefixes_are_named(byte[] stored, string expected)
    {
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => BodyCompression.DecompressBuffer(CompressionCodec.Zstd, stored, long.MaxValue));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_length_prefix_with_nothing_after_it_is_an_empty_buffer()
    {
        Assert.Equal(0, BodyCompression.DecompressBuffer(CompressionCodec.Lz4Frame, new byte[8], 0).Length);
        Assert.Equal(0, BodyCompression.DecompressBuffer(CompressionCodec.Zstd, ReadOnlyMemory<byte>.Empty, 0).Length);
    }
}
