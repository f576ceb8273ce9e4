using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>Batches for the Flight service tests: small mixed ones and large single-column ones.</summary>
internal static class TestBatches
{
    public static Schema SmallSchema { get; } = new(
    [
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("name", ArrowType.Utf8),
        new Field("score", ArrowType.Float64),
    ]);

    /// <summary>
    /// The CID of the table these batches' rows make (content-defined chunks, so however they are
    /// batched): equal CIDs mean the same rows in the same order.
    /// </summary>
    public static Cid TableCid(Schema schema, IEnumerable<RecordBatch> batches) => ContentRepository.ComputeCids(schema, batches).Table.Cid;

    /// <summary>The table CID of fetched chunks' rows (see <see cref="TableCid"/>).</summary>
    public static Cid TableCid(Schema schema, IEnumerable<FetchedBatch> chunks)
    {
        var read = chunks.Select(c => c.Read()).ToList();
        try
        {
            return TableCid(schema, read);
        }
        finally
        {
            read.ForEach(b => b.Dispose());
        }
    }

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

    /// <summary>
    /// A nullable Int64 column (every seventh value null) and a Float64 column, about
    /// <paramref name="bytes"/> bytes in all: an IPC body of several buffers.
    /// </summary>
    public static RecordBatch LargeWithNulls(long bytes, int seed)
    {
        int rows = checked((int)(bytes / 16));
        var random = new Random(seed);
        var values = new long[rows];
        var doubles = new double[rows];
        byte[] validity = new byte[(rows + 7) / 8];
        int nulls = 0;
        for (int i = 0; i < rows; i++)
        {
            doubles[i] = random.NextDouble();
            if (i % 7 == 3)
            {
                nulls++;
                continue;
            }

            values[i] = random.NextInt64();
            validity[i / 8] |= (byte)(1 << (i % 8));
        }

        var schema = new Schema([new Field("v", ArrowType.Int64), new Field("d", ArrowType.Float64, nullable: false)]);
        var v = new ArrayData(ArrowType.Int64, rows, nulls, 0, [validity, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()]);
        var d = new ArrayData(ArrowType.Float64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, MemoryMarshal.AsBytes(doubles.AsSpan()).ToArray()]);
        return new RecordBatch(schema, rows, [v, d]);
    }
}
