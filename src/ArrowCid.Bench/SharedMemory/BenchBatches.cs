using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Bench.SharedMemory;

/// <summary>Batches of one non-null int64 column whose values depend on a seed (so each seed has its own CID).</summary>
internal static class BenchBatches
{
    private static readonly Schema Schema = new([new Field("v", ArrowType.Int64, nullable: false)]);

    /// <summary>About 1 KiB of canonical bytes (112 values plus the schema and framing).</summary>
    public static RecordBatch Small(long seed) => OfValues(Values(112, seed));

    /// <summary>A batch of about <paramref name="bytes"/> bytes.</summary>
    public static RecordBatch OfSize(long bytes, long seed) => OfValues(Values(checked((int)(bytes / sizeof(long))), seed));

    /// <summary>The same values with the first one changed: a new CID over (almost) the same bytes.</summary>
    public static RecordBatch Variant(RecordBatch batch, long seed)
    {
        byte[] bytes = batch.Column(0).Buffers[1].ToArray();
        MemoryMarshal.Cast<byte, long>(bytes.AsSpan())[0] = seed;
        return OfValues(bytes);
    }

    // Values are written straight into the byte array the column owns: no second copy of a 1 GiB batch.
    private static byte[] Values(int count, long seed)
    {
        var bytes = new byte[count * (long)sizeof(long)];
        var values = MemoryMarshal.Cast<byte, long>(bytes.AsSpan());
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = seed * 1_000_003 + i;
        }

        return bytes;
    }

    private static RecordBatch OfValues(byte[] bytes)
    {
        int count = bytes.Length / sizeof(long);
        return new RecordBatch(Schema, count, [new ArrayData(ArrowType.Int64, count, 0, 0, [ReadOnlyMemory<byte>.Empty, bytes])]);
    }
}
