using ArrowCid.Arrow.Compression;

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
        Assert.Equal(data, Zstd.DecompressAll(frame, size));
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
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressAll(zstd.AsSpan(0, zstd.Length - 1), data.Length));
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
    public void Concatenated_zstd_frames_decode_together_up_to_the_cap()
    {
        byte[] first = TestData.Compressible(3000, seed: 5);
        byte[] second = TestData.Random(2000, seed: 6);
        byte[] frames =
        [
            .. Compress(first, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d)),
            .. Compress(second, Zstd.CompressBound, (s, d) => Zstd.Compress(s, d)),
        ];

        byte[] all = [.. first, .. second];
        Assert.Equal(all, Zstd.DecompressAll(frames, 5000));
        Assert.Equal(all, Zstd.DecompressAll(frames, 1 << 20));
        byte[] exact = new byte[5000];
        Zstd.Decompress(frames, exact);
        Assert.Equal(all, exact);
        ArrowFormatException error = Assert.Throws<ArrowFormatException>(() => Zstd.DecompressAll(frames, 4999));
        Assert.Contains("limit", error.Message, StringComparison.Ordinal);
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
        Assert.Equal("hello"u8.ToArray(), Zstd.DecompressAll(frame, 100));
        Assert.Throws<ArrowFormatException>(() => Zstd.DecompressAll(frame, 4));
        byte[] exact = new byte[5];
        Zstd.Decompress(frame, exact);
        Assert.Equal("hello"u8.ToArray(), exact);
    }

    private delegate int Compressor(ReadOnlySpan<byte> source, Span<byte> destination);

    private static byte[] Compress(byte[] data, Func<int, int> bound, Compressor compress)
    {
        byte[] buffer = new byte[bound(data.Length)];
        return buffer[..compress(data, buffer)];
    }
}
