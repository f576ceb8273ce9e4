using System.Buffers.Binary;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>A stream that breaks off mid-message reports, as <see cref="ArrowFormatException.Offset"/>, the byte where that message starts.</summary>
public class ErrorPositionTests
{
    private const string Golden = "1.0.0-littleendian/generated_primitive";

    /// <summary>The golden stream and the offset of its second message (the first is the schema, which has no body).</summary>
    private static (byte[] Stream, int SecondMessage) GoldenStream()
    {
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(Golden, ".stream"));
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(stream));
        int schemaMetadata = BinaryPrimitives.ReadInt32LittleEndian(stream.AsSpan(4));
        return (stream, 8 + schemaMetadata);
    }

    [Theory]
    [InlineData(3)]  // not even a prefix
    [InlineData(12)] // a prefix, then metadata that runs past the end
    public void Split_reports_the_offset_of_the_broken_message(int keptOfSecond)
    {
        (byte[] stream, int second) = GoldenStream();
        var truncated = stream.AsMemory(0, second + keptOfSecond);
        var error = Assert.Throws<ArrowFormatException>(() => IpcMessageDecoder.Split(truncated).ToList());
        Assert.Equal(second, error.Offset);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(100)]
    public void The_stream_reader_reports_the_offset_of_the_broken_message(int keptOfSecond)
    {
        (byte[] stream, int second) = GoldenStream();
        var error = Assert.Throws<ArrowFormatException>(() =>
        {
            using var reader = new ArrowStreamReader(stream.AsMemory(0, second + keptOfSecond));
            while (reader.ReadNext() is { } batch)
            {
                batch.Dispose();
            }
        });
        Assert.Equal(second, error.Offset);
    }
}
