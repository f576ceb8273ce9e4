using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.CData;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.CData;

public class CDataReleaseTests
{
    private static readonly Schema XSchema = new([new Field("x", ArrowType.Int32, false)]);

    [Fact]
    public void An_import_moves_the_structure_and_releases_it_once_when_the_batch_is_disposed()
    {
        var producer = new CountingProducer();
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            producer.Export(array, [3, 1, 4, 1, 5]);
            var batch = CArrowArrayImporter.ImportRecordBatch(array, XSchema);
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.Equal(0, producer.ParentReleases);
            Assert.Equal([3, 1, 4, 1, 5], batch.Column(0).GetValues<int>().ToArray());

            batch.Dispose();
            Assert.Equal(1, producer.ParentReleases);
            Assert.Equal(1, producer.ChildReleases);
            Assert.Equal(0, producer.ChildReleasesOutsideParent);
            batch.Dispose();
            Assert.Equal(1, producer.ParentReleases);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void An_imported_batch_shares_its_owner_so_a_consumer_can_keep_the_memory_past_its_dispose()
    {
        var producer = new CountingProducer();
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            producer.Export(array, [2, 7, 1, 8]);
            var batch = CArrowArrayImporter.ImportRecordBatch(array, XSchema);
            Assert.NotNull(batch.Owner);
            Assert.Equal(1, batch.Owner!.References);
            var kept = batch.Owner.Acquire();
            var slice = batch.Slice(1, 2);
            batch.Dispose();
            Assert.Equal(0, producer.ParentReleases);
            Assert.Equal([7, 1], slice.Column(0).GetValues<int>().ToArray());

            kept.Dispose();
            Assert.Equal(1, producer.ParentReleases);
            Assert.Equal(1, producer.ChildReleases);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void A_released_structure_is_refused()
    {
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            Assert.Throws<ArrowFormatException>(() => CArrowArrayImporter.ImportRecordBatch(array, XSchema));
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void An_invalid_import_is_released_at_once()
    {
        var producer = new CountingProducer();
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            producer.Export(array, [1, 2, 3], childLength: 2);
            var e = Assert.Throws<ArrowFormatException>(() => CArrowArrayImporter.ImportRecordBatch(array, XSchema));
            Assert.Contains("child 0", e.Message, StringComparison.Ordinal);
            Assert.Equal(1, producer.ParentReleases);
            Assert.Equal(0, producer.ChildReleasesOutsideParent);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void Re_exporting_imported_memory_keeps_it_alive_until_the_re_export_is_released()
    {
        var producer = new CountingProducer();
        nint first = CAbi.Alloc(CAbi.ArraySize);
        nint second = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            producer.Export(first, [7, 8, 9]);
            var batch = CArrowArrayImporter.ImportRecordBatch(first, XSchema);
            CArrowArrayExporter.Export(batch, second);
            batch.Dispose();
            Assert.Equal(0, producer.ParentReleases);

            using (var again = CArrowArrayImporter.ImportRecordBatch(second, XSchema))
            {
                Assert.Equal([7, 8, 9], again.Column(0).GetValues<int>().ToArray());
                Assert.Equal(0, producer.ParentReleases);
            }

            Assert.Equal(1, producer.ParentReleases);
        }
        finally
        {
            CAbi.Free(first, CAbi.ArrayRelease);
            CAbi.Free(second, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void Exported_memory_outlives_the_managed_batch_until_release()
    {
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            ExportAndDrop(array, 1000);
            for (int i = 0; i < 3; i++)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                _ = new byte[1 << 20];
            }

            using var imported = CArrowArrayImporter.ImportRecordBatch(array, Values(0).Schema);
            var expected = Values(1000);
            Assert.True(ArrayEquality.Equals(expected, imported, out string? difference), difference);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void Releasing_an_export_disposes_the_keep_alive_once_and_marks_it_released()
    {
        var lease = new CountingDisposable();
        using var batch = Values(10);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        try
        {
            CArrowArrayExporter.Export(batch, array, lease);
            Assert.False(CAbi.IsReleased(array, CAbi.ArrayRelease));
            Assert.NotEqual(0, CAbi.Read(CAbi.Read(CAbi.Read(array, CAbi.ArrayChildren), 0), CAbi.ArrayRelease));
            Assert.Equal(0, lease.Disposals);
            CAbi.Release(array, CAbi.ArrayRelease);
            Assert.True(CAbi.IsReleased(array, CAbi.ArrayRelease));
            Assert.Equal(0, CAbi.Read(array, CAbi.ArrayPrivate));
            Assert.Equal(1, lease.Disposals);
            CAbi.Release(array, CAbi.ArrayRelease); // released: nothing to call
            Assert.Equal(1, lease.Disposals);
        }
        finally
        {
            CAbi.Free(array, CAbi.ArrayRelease);
        }
    }

    [Fact]
    public void A_batch_handed_over_as_keep_alive_is_disposed_on_release()
    {
        var lease = new CountingDisposable();
        var batch = new RecordBatch(Values(3).Schema, 3, Values(3).Columns, lease);
        nint array = CAbi.Alloc(CAbi.ArraySize);
        CArrowArrayExporter.Export(batch, array, keepAlive: batch);
        Assert.Equal(0, lease.Disposals);
        CAbi.Free(array, CAbi.ArrayRelease);
        Assert.Equal(1, lease.Disposals);
    }

    private static void ExportAndDrop(nint array, int rows)
    {
        var batch = Values(rows);
        CArrowArrayExporter.Export(batch, array);
        batch.Dispose();
    }

    private static RecordBatch Values(int rows)
    {
        var schema = new Schema([new Field("i", ArrowType.Int64), new Field("s", ArrowType.Utf8), new Field("l", ArrowType.List(new Field("item", ArrowType.Int32)))]);
        var builder = new RecordBatchBuilder(schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow(i % 7 == 0 ? null : (long)i * 3, "row " + i, new[] { i, -i });
        }

        return builder.Build();
    }

    private sealed class CountingDisposable : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }
}
