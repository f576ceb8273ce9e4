using System.Collections.Concurrent;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.CData;

public class CDataStreamTests
{
    private static readonly Schema Schema = new([new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [new("origin", "test")]);

    private static RecordBatch Batch(int start, int rows)
    {
        var builder = new RecordBatchBuilder(Schema);
        for (int i = start; i < start + rows; i++)
        {
            builder.AppendRow(i % 5 == 0 ? null : i, "v" + i);
        }

        return builder.Build();
    }

    [Fact]
    public void Several_batches_stream_through_and_import_equal()
    {
        var batches = Enumerable.Range(0, 4).Select(k => Batch(k * 100, 50 + k)).ToList();
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, batches, stream);
            using var reader = CArrowArrayStreamImporter.Import(stream);
            Assert.True(CAbi.IsReleased(stream, CAbi.StreamRelease));
            Assert.Null(ArrayEquality.SchemaDifference(Schema, reader.Schema));
            var read = reader.ToList();
            Assert.Equal(batches.Count, read.Count);
            for (int k = 0; k < read.Count; k++)
            {
                Assert.True(ArrayEquality.Equals(batches[k], read[k], out string? difference), difference);
                read[k].Dispose();
            }

            Assert.Throws<InvalidOperationException>(() => reader.ToList());
        }
        finally
        {
            CAbi.Free(stream, CAbi.StreamRelease);
        }
    }

    [Fact]
    public async Task An_async_source_streams_through()
    {
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, Produce(3), stream);
            using var reader = CArrowArrayStreamImporter.Import(stream);
            var read = reader.ToList();
            Assert.Equal(3, read.Count);
            Assert.True(ArrayEquality.Equals(Batch(200, 10), read[2], out string? difference), difference);
            read.ForEach(b => b.Dispose());
        }
        finally
        {
            CAbi.Free(stream, CAbi.StreamRelease);
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<RecordBatch> Produce(int count)
    {
        for (int k = 0; k < count; k++)
        {
            await Task.Yield();
            yield return Batch(k * 100, 10);
        }
    }

    [Fact]
    public void Get_schema_can_be_called_many_times_and_the_end_is_a_released_array()
    {
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, [Batch(0, 3)], stream);
            for (int i = 0; i < 3; i++)
            {
                nint schema = CAbi.Alloc(CAbi.SchemaSize);
                Assert.Equal(0, CAbi.GetSchema(stream, schema));
                Assert.Equal(Schema, CArrowSchemaImporter.ImportSchema(schema));
                CAbi.Free(schema, CAbi.SchemaRelease);
            }

            Assert.Equal(0, CAbi.GetNext(stream, array));
            Assert.False(CAbi.IsReleased(array, CAbi.ArrayRelease));
            CAbi.Release(array, CAbi.ArrayRelease);
            Assert.Equal(0, CAbi.GetNext(stream, array));
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease));
            Assert.Equal(0, CAbi.GetNext(stream, array));
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease));
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
            CAbi.Free(stream, CAbi.StreamRelease);
        }
    }

    [Fact]
    public void An_error_mid_stream_is_an_errno_with_a_last_error_message()
    {
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, Failing(), stream);
            Assert.Equal(0, CAbi.GetNext(stream, array));
            CAbi.Release(array, CAbi.ArrayRelease);
            int rc = CAbi.GetNext(stream, array);
            Assert.Equal(5, rc); // EIO
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease));
            Assert.Contains("disk on fire", CAbi.GetLastError(stream), StringComparison.Ordinal);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
            CAbi.Free(stream, CAbi.StreamRelease);
        }

        nint again = CAbi.Alloc(CAbi.StreamSize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, Failing(), again);
            using var reader = CArrowArrayStreamImporter.Import(again);
            using var first = reader.ReadNext();
            Assert.NotNull(first);
            var e = Assert.Throws<IOException>(() => reader.ReadNext());
            Assert.Contains("disk on fire", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            CAbi.Free(again, CAbi.StreamRelease);
        }
    }

    private static IEnumerable<RecordBatch> Failing()
    {
        yield return Batch(0, 4);
        throw new InvalidOperationException("disk on fire");
    }

    [Fact]
    public void A_batch_of_another_schema_is_an_invalid_argument()
    {
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            var other = new RecordBatch(new Schema([new Field("x", ArrowType.Int32)]), 1, [Arrays.TestArrays.Int32(1)]);
            CArrowArrayStreamExporter.Export(Schema, [other], stream);
            Assert.Equal(22, CAbi.GetNext(stream, array)); // EINVAL
            Assert.Contains("schema", CAbi.GetLastError(stream), StringComparison.Ordinal);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
            CAbi.Free(stream, CAbi.StreamRelease);
        }
    }

    [Fact]
    public void Get_next_may_be_called_from_several_threads()
    {
        const int count = 200;
        nint stream = CAbi.Alloc(CAbi.StreamSize);
        try
        {
            CArrowArrayStreamExporter.Export(Schema, Enumerable.Range(0, count).Select(k => Batch(k, 1)), stream);
            var firstValues = new ConcurrentBag<int>();
            Parallel.For(0, 4, _ =>
            {
                nint array = CAbi.Alloc(CAbi.ArraySize);
                try
                {
                    while (true)
                    {
                        Assert.Equal(0, CAbi.GetNext(stream, array));
                        if (CAbi.IsReleased(array, CAbi.ArrayRelease))
                        {
                            return;
                        }

                        using var batch = CArrowArrayImporter.ImportRecordBatch(array, Schema);
                        firstValues.Add(int.Parse(batch.Column(1).GetString(0)[1..], System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
                finally
                {
                    CAbi.Free(array, CAbi.ArrayRelease);
                }
            });
            Assert.Equal(Enumerable.Range(0, count), firstValues.Order());
        }
        finally
        {
            CAbi.Free(stream, CAbi.StreamRelease);
        }
    }
}
