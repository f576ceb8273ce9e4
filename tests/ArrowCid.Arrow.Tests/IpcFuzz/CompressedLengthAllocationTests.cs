using System.Buffers.Binary;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Found by <see cref="IpcFuzzTests"/> (seed 20250917 input 9283): a compressed body buffer's
/// uncompressed-length prefix is trusted up to a cap derived from other untrusted fields (here the
/// last offset of the utf8 offsets buffer), and the reader allocates that many bytes before it has
/// decoded anything. Invariant 3 says a claimed length alone must not buy an allocation.
/// </summary>
public sealed class CompressedLengthAllocationTests
{
    private const string OneString = """
        {"schema": {"fields": [{"name": "s", "nullable": true, "type": {"name": "utf8"}, "children": []}]},
         "batches": [{"count": 1, "columns": [{"name": "s", "count": 1, "VALIDITY": [1], "OFFSET": [0, 3], "DATA": ["abc"]}]}]}
        """;

    /// <summary>The claimed length written into both the last offset and the data buffer's prefix.</summary>
    private const int Claimed = 0x7FFF0000;

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4Frame)]
    public void A_lying_uncompressed_length_does_not_allocate_it(CompressionCodec codec)
    {
        byte[] stream = HostileStream(codec);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArrowFormatException>(() =>
        {
            using var reader = new ArrowStreamReader(stream);
            while (reader.ReadNext() is not null)
            {
            }
        });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(
            allocated <= IpcFuzzTests.AllocationBound(stream.Length),
            $"{codec}: a {stream.Length}-byte stream made the reader allocate {allocated} bytes before it failed with: {error.Message}");
    }

    /// <summary>
    /// A one-row utf8 batch written with <paramref name="codec"/>: both tiny buffers do not shrink, so
    /// they are stored raw behind a -1 prefix. Patched: offsets [0, 3] → [0, Claimed], and the data
    /// buffer's prefix -1 → Claimed, so "abc" is presented as a frame that inflates to ~2 GiB.
    /// </summary>
    private static byte[] HostileStream(CompressionCodec codec)
    {
        var file = IntegrationJson.Parse(OneString);
        using var buffer = new MemoryStream();
        using (var writer = new ArrowStreamWriter(buffer, file.Schema, new IpcWriteOptions { Compression = codec }, leaveOpen: true))
        {
            writer.Write(file.Batches[0]);
            writer.Finish();
        }

        byte[] bytes = buffer.ToArray();
        byte[] rawOffsets = [.. Enumerable.Repeat((byte)0xFF, 8), 0, 0, 0, 0, 3, 0, 0, 0];
        byte[] rawData = [.. Enumerable.Repeat((byte)0xFF, 8), (byte)'a', (byte)'b', (byte)'c'];
        int offsets = bytes.AsSpan().IndexOf(rawOffsets);
        int data = bytes.AsSpan().IndexOf(rawData);
        Assert.True(offsets > 0 && data > offsets, "the writer did not store the tiny buffers raw behind a -1 prefix");
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offsets + 12), Claimed);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(data), Claimed);
        return bytes;
    }
}
