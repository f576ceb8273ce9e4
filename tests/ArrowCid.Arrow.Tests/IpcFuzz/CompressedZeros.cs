using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>Decompression bombs for tests (also linked into the Flight and gateway tests, which send them to a node).</summary>
internal static class CompressedZeros
{
    /// <summary>One int64 column of <paramref name="rows"/> zeros per batch, compressed: a few KiB that claim 8 bytes a row.</summary>
    public static byte[] Stream(int rows, int batches, CompressionCodec codec)
    {
        var schema = new Schema([new Field("zeros", ArrowType.Int64, nullable: false)]);
        var column = new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, new byte[rows * 8L]], [], null);
        using var buffer = new MemoryStream();
        using (var writer = new ArrowStreamWriter(buffer, schema, new IpcWriteOptions { Compression = codec }, leaveOpen: true))
        {
            for (int i = 0; i < batches; i++)
            {
                writer.Write(new RecordBatch(schema, rows, [column]));
            }

            writer.Finish();
        }

        return buffer.ToArray();
    }
}
