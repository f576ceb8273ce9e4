using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Decompression bombs (issue 35): a small stream whose compressed buffers inflate to far more than
/// it is. The claimed sizes are checked against the reader's budget, per message and over the whole
/// reader, before anything is allocated for them.
/// </summary>
public sealed class DecompressionBombTests
{
    private static int ReadAll(byte[] stream, IpcReadOptions options)
    {
        using var reader = new ArrowStreamReader(stream, options);
        int read = 0;
        while (reader.ReadNext() is { } batch)
        {
            batch.Dispose();
            read++;
        }

        return read;
    }

    [Theory]
    [InlineData(CompressionCodec.Zstd)]
    [InlineData(CompressionCodec.Lz4Frame)]
    public void A_message_that_inflates_past_its_budget_is_refused_before_it_is_allocated(CompressionCodec codec)
    {
        byte[] bomb = CompressedZeros.Stream(4 << 20, batches: 1, codec);   // 32 MiB of zeros
        Assert.True(bomb.Length < 1 << 20, $"{bomb.Length} bytes");
        var options = new IpcReadOptions { MaxDecompressedBytesPerMessage = 1 << 20 };

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ArrowFormatException>(() => ReadAll(bomb, options));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("MaxDecompressedBytesPerMessage", error.Message, StringComparison.Ordinal);
        Assert.Contains("max_decompressed_bytes_per_message", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8 << 20, $"the reader allocated {allocated} bytes before it refused");
        Assert.Equal(1, ReadAll(bomb, IpcReadOptions.Default));
    }

    [Fact]
    public void A_reader_stops_once_all_its_messages_pass_the_readers_budget()
    {
        byte[] stream = CompressedZeros.Stream(64 << 10, batches: 4, CompressionCodec.Zstd);   // 4 x 512 KiB
        var options = new IpcReadOptions { MaxDecompressedBytesPerMessage = 1 << 20, MaxDecompressedBytesPerReader = (3 << 19) + 100 };

        var error = Assert.Throws<ArrowFormatException>(() => ReadAll(stream, options));

        Assert.Contains("MaxDecompressedBytesPerReader", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, ReadAll(stream, options with { MaxDecompressedBytesPerReader = 4 << 19 }));
    }
}
