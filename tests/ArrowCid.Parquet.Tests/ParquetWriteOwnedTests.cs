using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Writing;
using ArrowSchema = ArrowCid.Arrow.Types.Schema;

namespace ArrowCid.Parquet.Tests;

public sealed class ParquetWriteOwnedTests
{
    private static readonly ArrowSchema Schema = new([new Field("n", ArrowType.Int64, nullable: false)]);

    private sealed class Lease : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    private static (RecordBatch Batch, Lease Lease) Batch(int first, int rows)
    {
        var builder = new RecordBatchBuilder(Schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow((long)(first + i));
        }

        var built = builder.Build();
        var lease = new Lease();
        return (new RecordBatch(built.Schema, built.Length, built.Columns, lease), lease);
    }

    [Fact]
    public void Owned_batches_are_released_as_soon_as_their_rows_are_in_a_written_row_group()
    {
        using var stream = new MemoryStream();
        var leases = new List<Lease>();
        using (var writer = new ParquetWriter(stream, Schema, new ParquetWriteOptions { RowGroupSize = 10 }, leaveOpen: true))
        {
            for (int b = 0; b < 5; b++)
            {
                var (batch, lease) = Batch(b * 4, 4);
                leases.Add(lease);
                writer.WriteOwned(batch);
                long written = writer.RowCount - writer.BufferedRows;
                // Released exactly when every row of the batch is in a flushed row group.
                for (int i = 0; i <= b; i++)
                {
                    Assert.Equal((i + 1) * 4 <= written, leases[i].Disposed);
                }
            }

            writer.Close();
        }

        Assert.All(leases, l => Assert.True(l.Disposed));
        using var reader = ParquetReader.Open(stream.ToArray().AsMemory());
        Assert.Equal(2, reader.RowGroupCount);
        for (int g = 0; g < 2; g++)
        {
            using var group = reader.ReadRowGroup(g);
            Assert.True(ArrayEquality.Equals(Batch(g * 10, 10).Batch, group, out string? difference), difference);
        }
    }

    [Fact]
    public void A_refused_owned_batch_is_released_and_dispose_releases_the_rest()
    {
        using var stream = new MemoryStream();
        var (kept, keptLease) = Batch(0, 3);
        var other = new RecordBatchBuilder(new ArrowSchema([new Field("x", ArrowType.Utf8)]));
        other.AppendRow("a");
        var otherLease = new Lease();
        var built = other.Build();
        var refused = new RecordBatch(built.Schema, built.Length, built.Columns, otherLease);
        var writer = new ParquetWriter(stream, Schema, new ParquetWriteOptions { RowGroupSize = 100 }, leaveOpen: true);
        writer.WriteOwned(kept);
        Assert.False(keptLease.Disposed);
        Assert.Throws<ArgumentException>(() => writer.WriteOwned(refused));
        Assert.True(otherLease.Disposed);
        writer.Dispose();
        Assert.True(keptLease.Disposed);
    }

    [Fact]
    public void Export_with_owned_batches_writes_the_file_and_releases_every_batch()
    {
        string folder = Directory.CreateTempSubdirectory("arrowcid-owned-").FullName;
        try
        {
            string path = Path.Combine(folder, "out.parquet");
            var pairs = Enumerable.Range(0, 6).Select(b => Batch(b * 5, 5)).ToList();
            ParquetExport.WriteFile(path, Schema, pairs.Select(p => p.Batch), new ParquetWriteOptions { RowGroupSize = 7 }, disposeBatches: true);
            Assert.All(pairs, p => Assert.True(p.Lease.Disposed));
            using var reader = ParquetReader.Open(path);
            Assert.Equal(30, reader.ReadAll().Sum(b => b.Length));
            Assert.Equal(5, reader.RowGroupCount);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
