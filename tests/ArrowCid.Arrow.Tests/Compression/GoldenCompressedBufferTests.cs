using System.Buffers.Binary;
using ArrowCid.Arrow.Compression;
using ArrowCid.TestSupport;

namespace ArrowCid.Arrow.Tests.Compression;

/// <summary>
/// Compressed body buffers written by Arrow C++ 2.0.0 (the arrow-testing integration files).
/// Without an IPC reader the buffers are found by their frame magic; the 8 bytes before each
/// frame are the BUFFER method's uncompressed-length prefix, which must equal what it decodes to.
/// </summary>
public class GoldenCompressedBufferTests
{
    private static readonly string Folder = Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden", "2.0.0-compression");

    [Theory]
    [InlineData("generated_zstd.stream", CompressionCodec.Zstd, 8)]
    [InlineData("generated_uncompressible_zstd.stream", CompressionCodec.Zstd, 1)]
    [InlineData("generated_zstd.arrow_file", CompressionCodec.Zstd, 8)]
    [InlineData("generated_lz4.stream", CompressionCodec.Lz4Frame, 8)]
    [InlineData("generated_uncompressible_lz4.stream", CompressionCodec.Lz4Frame, 1)]
    [InlineData("generated_lz4.arrow_file", CompressionCodec.Lz4Frame, 8)]
    public void Every_frame_decodes_to_the_length_before_it(string file, CompressionCodec codec, int expectedFrames)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        byte[] magic = codec == CompressionCodec.Zstd ? [0x28, 0xB5, 0x2F, 0xFD] : [0x04, 0x22, 0x4D, 0x18];
        int frames = 0;
        for (int at = bytes.AsSpan().IndexOf(magic); at >= 0; at = Next(bytes, magic, at))
        {
            long length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(at - 8));
            Assert.InRange(length, 1, 1 << 20);
            byte[] output = new byte[length];
            if (codec == CompressionCodec.Zstd)
            {
                int frameSize = Zstd.FindFrameCompressedSize(bytes.AsSpan(at));
                Assert.Equal(length, Zstd.GetFrameContentSize(bytes.AsSpan(at, frameSize)));
                Zstd.Decompress(bytes.AsSpan(at, frameSize), output);
                Assert.Equal(output, BodyCompression.DecompressBufferToArray(codec, bytes.AsSpan(at - 8, frameSize + 8), length));
            }
            else
            {
                int frameSize = Lz4Frame.DecompressFrame(bytes.AsSpan(at), output);
                Assert.Equal(output, BodyCompression.DecompressBufferToArray(codec, bytes.AsSpan(at - 8, frameSize + 8), length));
            }

            frames++;
        }

        Assert.Equal(expectedFrames, frames);
    }

    [Theory]
    [InlineData("generated_uncompressible_zstd.stream", CompressionCodec.Zstd)]
    [InlineData("generated_uncompressible_lz4.stream", CompressionCodec.Lz4Frame)]
    public void Uncompressed_buffers_are_marked_with_minus_one(string file, CompressionCodec codec)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(Folder, file));
        byte[] marker = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(marker, BodyCompression.UncompressedMarker);
        int at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at > 0);

        // The raw bytes run to the end of the file at most; the stored form hands them back as they are.
        ReadOnlyMemory<byte> raw = BodyCompression.DecompressBuffer(codec, bytes.AsMemory(at, 8 + 16), 16);
        Assert.Equal(bytes.AsSpan(at + 8, 16).ToArray(), raw.ToArray());
    }

    private static int Next(byte[] bytes, byte[] magic, int previous)
    {
        int next = bytes.AsSpan(previous + 1).IndexOf(magic);
        return next < 0 ? -1 : previous + 1 + next;
    }
}
