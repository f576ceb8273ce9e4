using System.IO.Compression;
using ArrowCid.Parquet.Codecs;
using ArrowCid.Parquet.Metadata;
using ArrowCid.TestSupport;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Parquet.Tests.Codecs;

public class CodecTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(100);

    public static TheoryData<CompressionCodec> Available => new()
    {
        CompressionCodec.Uncompressed, CompressionCodec.Snappy, CompressionCodec.Gzip, CompressionCodec.Brotli,
        CompressionCodec.Zstd, CompressionCodec.Lz4Raw,
    };

    [Theory]
    [MemberData(nameof(Available))]
    public void Available_codecs_round_trip_any_bytes(CompressionCodec codec)
    {
        IParquetCodec implementation = ParquetCodecs.Get(codec);
        Assert.Equal(codec, implementation.Codec);
        Check.One(Runs, Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Arb.From(Gen.Choose(0, 5000)), (byte[] raw, int zeros) =>
        {
            byte[] data = [.. raw, .. new byte[zeros]];
            byte[] compressed = implementation.Compress(data);
            Assert.Equal(data, implementation.Decompress(compressed, data.Length));
        }));
    }

    [Theory]
    [MemberData(nameof(Available))]
    public void A_wrong_uncompressed_size_is_rejected(CompressionCodec codec)
    {
        IParquetCodec implementation = ParquetCodecs.Get(codec);
        byte[] data = new byte[1000];
        byte[] compressed = implementation.Compress(data);
        Assert.Throws<ParquetFormatException>(() => implementation.Decompress(compressed, 999));
        Assert.Throws<ParquetFormatException>(() => implementation.Decompress(compressed, 1001));
    }

    [Fact]
    public void Gzip_reads_on_into_following_members()
    {
        byte[] first = GzipMember("hello, "u8.ToArray());
        byte[] second = GzipMember("world"u8.ToArray());
        byte[] both = [.. first, .. second];
        Assert.Equal("hello, world"u8.ToArray(), ParquetCodecs.Get(CompressionCodec.Gzip).Decompress(both, 12));
    }

    [Theory]
    [InlineData(CompressionCodec.Lzo, "LZO")]
    [InlineData(CompressionCodec.Lz4, "LZ4")]
    [InlineData((CompressionCodec)42, "#42")]
    public void Unavailable_codecs_say_so(CompressionCodec codec, string name)
    {
        var error = Assert.Throws<ParquetFormatException>(() => ParquetCodecs.Get(codec));
        Assert.Equal($"codec {name} not available", error.Message);
    }

    [Theory]
    [MemberData(nameof(Available))]
    public void Corrupt_input_gives_the_one_exception(CompressionCodec codec)
    {
        IParquetCodec implementation = ParquetCodecs.Get(codec);
        byte[] compressed = implementation.Compress(Enumerable.Range(0, 4000).Select(i => (byte)(i * 7 % 13)).ToArray());
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] broken = (byte[])compressed.Clone();
            broken[random.Next(broken.Length)] ^= (byte)(1 << random.Next(8));
            int length = random.Next(2) == 0 ? broken.Length : random.Next(broken.Length);
            try
            {
                implementation.Decompress(broken.AsSpan(0, length), 4000);
            }
            catch (ParquetFormatException)
            {
                // the documented outcome; a flip in a literal may also decode to other bytes
            }
        }
    }

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4Raw)]
    public void Native_codecs_refuse_a_size_the_data_cannot_produce(CompressionCodec codec)
    {
        IParquetCodec implementation = ParquetCodecs.Get(codec);
        byte[] compressed = implementation.Compress(new byte[100]);
        // Far more than the frame can yield: refused without allocating the claimed size.
        Assert.Throws<ParquetFormatException>(() => implementation.Decompress(compressed, int.MaxValue));
    }

    [Theory]
    [InlineData(27, 1000)]
    [InlineData(27, 1 << 20)]
    [InlineData(31, 70_000)]
    public void Zstd_pages_streamed_without_a_content_size_and_with_a_large_window_decode(int windowLog, int size)
    {
        // arrow-rs streams its zstd pages: no content size, a window far larger than the page.
        byte[] page = Enumerable.Range(0, size).Select(i => (byte)(i % 251 ^ i / 1000)).ToArray();
        byte[] frame = StreamedZstd.Compress(page, windowLog);
        Assert.Equal(page, ParquetCodecs.Get(CompressionCodec.Zstd).Decompress(frame, size));
    }

    [Fact]
    public void A_zstd_page_that_expands_past_its_declared_size_is_refused_in_bounded_memory()
    {
        // 256 MiB of zeros in a few kilobytes, declared as a 4 KiB page.
        byte[] bomb = StreamedZstd.Compress(new byte[256 << 20]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ParquetFormatException>(() => ParquetCodecs.Get(CompressionCodec.Zstd).Decompress(bomb, 4096));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than the expected 4096 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Snappy_refuses_an_implausible_declared_length_before_allocating()
    {
        // Preamble declares 2^28 bytes from a 5-byte block: no snappy stream expands that much.
        byte[] block = [0x80, 0x80, 0x80, 0x80, 0x01];
        Assert.Throws<ParquetFormatException>(() => ParquetCodecs.Get(CompressionCodec.Snappy).Decompress(block, 1 << 28));
    }

    private static byte[] GzipMember(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(data);
        }
        return output.ToArray();
    }
}
