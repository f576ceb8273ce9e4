using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Flight.Tests.Registry;

/// <summary>Batches for the Flight service tests: small mixed ones and large single-column ones.</summary>
internal static class TestBatches
{
    public static Schema SmallSchema { get; } = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("name", ArrowType.Utf8),
        new Field("score", ArrowType.Float64),
    ]);

    /// <summary>A few rows whose content depends on <paramref name="seed"/>, with nulls.</summary>
    public static RecordBatch Small(int seed, int rows = 5)
    {
        var builder = new RecordBatchBuilder(SmallSchema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow((long)(seed * 1000) + i, i % 3 == 0 ? null : $"row {seed}-{i}", i % 4 == 1 ? null : (seed + i) * 0.5);
        }

        return builder.Build();
    }

    /// <summary>One Int64 column of about <paramref name="bytes"/> bytes of pseudo-random values.</summary>
    public static RecordBatch Large(long bytes, int seed)
    {
        int rows = checked((int)(bytes / 8));
        var values = new long[rows];
        var random = new Random(seed);
        for (int i = 0; i < rows; i++)
        {
            values[i] = random.NextInt64();
        }

        var schema = new Schema([new Field("v", ArrowType.Int64, nullable: false)]);
        var column = new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()]);
        return new RecordBatch(schema, rows, [column]);
    }
}
