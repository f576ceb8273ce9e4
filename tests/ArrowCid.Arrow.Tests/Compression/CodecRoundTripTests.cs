using ArrowCid.Arrow.Compression;
using ArrowCid.TestSupport;

namespace ArrowCid.Arrow.Tests.Compression;

public class CodecRoundTripTests
{
    public static IEnumerable<object[]> Cases() => TestData.SizesAndKinds();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Zstd_round_trips(int size, bool compressible)
    {
        byte[] data = TestData.Make(size, compressible);
        byte[] compressed = new byte[Zstd.CompressBound(size)];
        int length = Zstd.Compress(data, compressed, level: 3);
        ReadOnlySpan<byte> frame = compressed.AsSpan(0, length);

        byte[] output = new byte[size];
        Assert.Equal(size, Zstd.Decompress(frame, output));
        Assert.Equal(data, output);
        Assert.Equal(size, Zstd.GetFrameContentSize(frame));
        Assert.Equal(data, Zstd.DecompressToArray(frame, size));
        if (compressible && size > 1000)
        {
            Assert.True(length < size / 2, $"{length} of {size}");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lz4_frame_round_trips(int size, bool compressible)
    {
        byte[] data = TestData.Make(size, compressible);
        byte[] compressed = new byte[Lz4Frame.CompressBound(size)];
        int length = Lz4Frame.Compress(data, compressed);
        Assert.Equal(new byte[] { 0x04, 0x22, 0x4D, 0x18 }, compressed[..4]);

        byte[] output = new byte[size];
        Assert.Equal(size, Lz4Frame.Decompress(compressed.AsSpan(0, length), output));
        Assert.Equal(data, output);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Lz4_block_round_trips(int size, bool compressible)
    {
        byte[] data = TestData.Make(size, compressible);
        byte[] compressed = new byte[Lz4Block.CompressBound(size)];
        int length = Lz4Block.Compress(data, compressed);

        byte[] output = new byte[size];
        Assert.Equal(size, Lz4Block.Decompress(compressed.AsSpan(0, length), output));
        Assert.Equal(data, output);
    }

    [Fact]
    public void Every_decoder_insists_on_the_exact_size()
    {
        byte[] data = TestData.Compressible(5000);
        byte[] zstd = Compress(data, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d));
        byte[] lz4 = Compress(data, Lz4Frame.CompressBound, Lz4Frame.Compress);
        byte[] block = Compress(data, Lz4Block.CompressBound, Lz4Block.Compress);
        foreach (int wrong in new[] { 4999, 5001, 0 })
        {
            Assert.Throws<ArrowFormatException>(() => Zstd.Decompress(zstd, new byte[wrong]));
            Assert.Throws<ArrowFormatException>(() => Lz4Frame.Decompress(lz4, new byte[wrong]));
            Assert.Throws<ArrowFormatException>(() => Lz4Block.Decompress(block, new byte[wrong]));
        }
    }

    [Fact]
    public void Truncated_or_padded_frames_are_refused()
    {
        byte[] data = TestData.Compressible(70_000);
        byte[] zstd = Compress(data, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d));
        byte[] lz4 = Compress(data, Lz4Frame.CompressBound, Lz4Frame.Compress);
        byte[] output = new byte[data.Length];

        Assert.Throws<ArrowFormatException>(() => Zstd.Decompress(zstd.AsSpan(0, zstd.Length - 1), output));
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(zstd.AsSpan(0, zstd.Length - 1), data.Length));
        Assert.Throws<ArrowFormatException>(() => Zstd.Decompress([.. zstd, 0, 0, 0, 0], output));
        ArrowFormatException truncated = Assert.Throws<ArrowFormatException>(() => Lz4Frame.Decompress(lz4.AsSpan(0, lz4.Length - 1), output));
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);
        ArrowFormatException trailing = Assert.Throws<ArrowFormatException>(() => Lz4Frame.Decompress([.. lz4, 0], output));
        Assert.Contains("unexpected bytes after the frame", trailing.Message, StringComparison.Ordinal);
        Assert.Throws<ArrowFormatException>(() => Zstd.Decompress([], output));
        Assert.Throws<ArrowFormatException>(() => Lz4Frame.Decompress([], []));
        Assert.Throws<ArrowFormatException>(() => Lz4Block.Decompress([], []));
    }

    [Fact]
    public void Zstd_errors_carry_the_library_error_name()
    {
        byte[] garbage = [0x28, 0xB5, 0x2F, 0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => Zstd.Decompress(garbage, new byte[10]));
        Assert.StartsWith("zstd: ", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArrowFormatException>(() => Zstd.GetFrameContentSize([1, 2, 3, 4, 5, 6, 7, 8]));
    }

    [Fact]
    public void Concatenated_zstd_frames_decode_together_to_the_exact_size()
    {
        byte[] first = TestData.Compressible(3000, seed: 5);
        byte[] second = TestData.Random(2000, seed: 6);
        byte[] frames =
        [
            .. Compress(first, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d)),
            .. Compress(second, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d)),
        ];

        byte[] all = [.. first, .. second];
        Assert.Equal(all, Zstd.DecompressToArray(frames, 5000));
        byte[] exact = new byte[5000];
        Zstd.Decompress(frames, exact);
        Assert.Equal(all, exact);
        ArrowFormatException over = Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frames, 4999));
        Assert.Contains("more than the expected 4999 bytes", over.Message, StringComparison.Ordinal);
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frames, 5001));
    }

    [Fact]
    public void A_hand_written_zstd_frame_without_a_content_size_decodes()
    {
        // RFC 8878: magic FD2FB528 (LE bytes 28 B5 2F FD); frame header descriptor 0x00 (no
        // content size, not single-segment, no checksum, no dictionary); window descriptor 0x00
        // (2^10-byte window); one block header of 3 LE bytes = last(1) | type raw(0) << 1 |
        // size(5) << 3 = 0x29; then the 5 raw bytes.
        byte[] frame = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, 0x29, 0x00, 0x00, .. "hello"u8];
        Assert.Equal(-1, Zstd.GetFrameContentSize(frame));
        Assert.Equal("hello"u8.ToArray(), Zstd.DecompressToArray(frame, 5));
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frame, 4));
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frame, 100));
        byte[] exact = new byte[5];
        Zstd.Decompress(frame, exact);
        Assert.Equal("hello"u8.ToArray(), exact);
    }

    [Theory]
    [InlineData(10, 100)]
    [InlineData(27, 100)]
    [InlineData(27, 300_000)]
    [InlineData(31, 5000)]
    public void Streamed_zstd_frames_with_a_large_window_and_no_content_size_decode(int windowLog, int size)
    {
        // What arrow-rs and `zstd --long=27 < pipe` write: the window dwarfs the data, no size recorded.
        byte[] data = TestData.Compressible(size, seed: windowLog);
        byte[] frame = StreamedZstd.Compress(data, windowLog);
        Assert.Equal(-1, Zstd.GetFrameContentSize(frame));
        Assert.Equal(data, Zstd.DecompressToArray(frame, size));
        byte[] exact = new byte[size];
        Assert.Equal(size, Zstd.Decompress(frame, exact));
        Assert.Equal(data, exact);
    }

    [Fact]
    public void A_zstd_bomb_is_refused_at_the_expected_size_without_decoding_it_all()
    {
        // 64 MiB of zeros streams into a few kilobytes; the caller expects 1000 bytes.
        byte[] frame = StreamedZstd.Compress(new byte[64 << 20]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frame, 1000));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than the expected 1000 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void A_size_no_zstd_input_could_reach_is_refused_before_allocating()
    {
        byte[] frame = StreamedZstd.Compress(TestData.Compressible(1000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frame, int.MaxValue / 2));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("cannot decompress to", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
        // A length the input could reach but does not costs what the input makes plausible, not the claim.
        int claimed = frame.Length * Zstd.MaxExpansion;
        before = GC.GetAllocatedBytesForCurrentThread();
        error = Assert.Throws<ArrowFormatException>(() => Zstd.DecompressToArray(frame, claimed));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("decompressed to 1000 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < Math.Max(128 * 1024, frame.Length * 64), $"a claim of {claimed} bytes allocated {allocated}");
        // At zstd's largest ratio the bound still admits honest data: 8 MiB of zeros.
        byte[] zeros = StreamedZstd.Compress(new byte[8 << 20], level: 19);
        Assert.True((long)zeros.Length * Zstd.MaxExpansion >= 8 << 20);
        Assert.Equal(new byte[8 << 20], Zstd.DecompressToArray(zeros, 8 << 20));
    }

    private delegate int Compressor(ReadOnlySpan<byte> source, Span<byte> destination);

    private static byte[] Compress(byte[] data, Func<int, int> bound, Compressor compress)
    {
        byte[] buffer = new byte[bound(data.Length)];
        return buffer[..compress(data, buffer)];
    }
}
