using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Thrift;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Parquet.Tests.Writing;

/// <summary>Statistics order, page index, encodings, refusals and atomic export.</summary>
public class WriterFeatureTests
{
    private static RecordBatch Batch(Arrow.Types.Schema schema, params object?[][] rows)
    {
        var builder = new RecordBatchBuilder(schema);
        foreach (object?[] row in rows)
        {
            builder.AppendRow(row);
        }
        return builder.Build();
    }

    [Fact]
    public void Statistics_follow_the_type_order_unsigned_ints_signed_decimals_floats_without_nan()
    {
        var schema = new Arrow.Types.Schema([
            new Field("u", ArrowType.UInt32), new Field("i", ArrowType.Int32),
            new Field("f", ArrowType.Float64), new Field("s", ArrowType.Utf8), new Field("d", ArrowType.Decimal(30, 0)),
        ]);
        RecordBatch batch = Batch(schema,
            [1u, -5, double.NaN, "b", -3m], [uint.MaxValue, 7, 0.0, "é", 2m], [null, null, -1.5, "a", null]);
        byte[] file = GoldenRoundTripTests.Write(schema, [batch], new ParquetWriteOptions());
        using var reader = ParquetFileReader.Open(file);
        Statistics Stats(int c) => reader.GetColumnChunk(0, c).MetaData!.Statistics!;
        Assert.Equal((1u, uint.MaxValue), (BinaryPrimitives.ReadUInt32LittleEndian(Stats(0).MinValue), BinaryPrimitives.ReadUInt32LittleEndian(Stats(0).MaxValue)));
        Assert.Equal(1, Stats(0).NullCount);
        Assert.Equal((-5, 7), (BinaryPrimitives.ReadInt32LittleEndian(Stats(1).MinValue), BinaryPrimitives.ReadInt32LittleEndian(Stats(1).MaxValue)));
        Assert.Equal((-1.5, 0.0), (BinaryPrimitives.ReadDoubleLittleEndian(Stats(2).MinValue), BinaryPrimitives.ReadDoubleLittleEndian(Stats(2).MaxValue)));
        Assert.False(double.IsNegative(BinaryPrimitives.ReadDoubleLittleEndian(Stats(2).MaxValue)));
        Assert.Equal(("a", "é"), (System.Text.Encoding.UTF8.GetString(Stats(3).MinValue!), System.Text.Encoding.UTF8.GetString(Stats(3).MaxValue!)));
        Assert.True((Stats(4).MinValue![0] & 0x80) != 0, "decimal minimum is the negative value");
        Assert.Equal(ColumnOrderKind.TypeDefined, reader.Metadata.ColumnOrders![0].Kind);
    }

    [Fact]
    public void Page_index_locates_every_page_and_bounds_them()
    {
        var schema = new Arrow.Types.Schema([new Field("x", ArrowType.Int64)]);
        RecordBatch batch = Batch(schema, [.. Enumerable.Range(0, 1000).Select(i => new object?[] { i % 10 == 0 ? null : (long)i })]);
        byte[] file = GoldenRoundTripTests.Write(schema, [batch], new ParquetWriteOptions { PageSize = 512, Dictionary = false });
        using var reader = ParquetFileReader.Open(file);
        ColumnChunk chunk = reader.GetColumnChunk(0, 0);
        var offsetReader = new ThriftCompactReader(file.AsSpan((int)chunk.OffsetIndexOffset!.Value, chunk.OffsetIndexLength!.Value));
        OffsetIndex offsets = OffsetIndex.Read(ref offsetReader);
        var columnReader = new ThriftCompactReader(file.AsSpan((int)chunk.ColumnIndexOffset!.Value, chunk.ColumnIndexLength!.Value));
        ColumnIndex index = ColumnIndex.Read(ref columnReader);
        IReadOnlyList<PageHeader> headers = reader.ReadPageHeaders(0, 0);
        Assert.True(headers.Count > 3);
        Assert.Equal(headers.Count, offsets.PageLocations.Count);
        Assert.Equal(BoundaryOrder.Ascending, index.BoundaryOrder);
        Assert.Equal(100, index.NullCounts!.Sum());
        Assert.Equal(0, offsets.PageLocations[0].FirstRowIndex);
        Assert.Equal(chunk.MetaData!.DataPageOffset, offsets.PageLocations[0].Offset);
    }

    [Theory]
    [InlineData("x", Encoding.DeltaBinaryPacked)]
    [InlineData("x", Encoding.ByteStreamSplit)]
    [InlineData("s", Encoding.DeltaLengthByteArray)]
    [InlineData("s", Encoding.DeltaByteArray)]
    [InlineData("f", Encoding.ByteStreamSplit)]
    [InlineData("b", Encoding.Rle)]
    public void Chosen_encodings_are_written_and_read_back(string column, Encoding encoding)
    {
        var schema = new Arrow.Types.Schema([new Field("x", ArrowType.Int64), new Field("s", ArrowType.Utf8), new Field("f", ArrowType.Float32), new Field("b", ArrowType.Boolean)]);
        RecordBatch batch = Batch(schema, [.. Enumerable.Range(0, 300).Select(i => new object?[] { i % 7 == 0 ? null : (long)i * i, $"v{i / 3}", i * 0.5f, i % 3 == 0 })]);
        var options = new ParquetWriteOptions { ColumnEncodings = new Dictionary<string, Encoding> { [column] = encoding }, DataPageVersion = 2 };
        GoldenRoundTripTests.AssertRoundTrip(schema, [batch], options, encoding.ToString());
        using var reader = ParquetFileReader.Open(GoldenRoundTripTests.Write(schema, [batch], options));
        int leaf = schema.IndexOf(column);
        Assert.All(reader.ReadPageHeaders(0, leaf), h => Assert.Equal(encoding, h.DataPageHeaderV2!.Encoding));
    }

    [Fact]
    public void Dictionary_falls_back_to_plain_past_its_size_limit()
    {
        var schema = new Arrow.Types.Schema([new Field("s", ArrowType.Utf8)]);
        RecordBatch batch = Batch(schema, [.. Enumerable.Range(0, 500).Select(i => new object?[] { $"distinct value {i}" })]);
        using var small = ParquetFileReader.Open(GoldenRoundTripTests.Write(schema, [batch], new ParquetWriteOptions { DictionaryPageSizeLimit = 1000 }));
        Assert.Null(small.GetColumnChunk(0, 0).MetaData!.DictionaryPageOffset);
        using var large = ParquetFileReader.Open(GoldenRoundTripTests.Write(schema, [batch], new ParquetWriteOptions()));
        Assert.NotNull(large.GetColumnChunk(0, 0).MetaData!.DictionaryPageOffset);
    }

    [Fact]
    public void Unmappable_types_are_refused_naming_the_field()
    {
        var schema = new Arrow.Types.Schema([new Field("ok", ArrowType.Int32), new Field("when", ArrowType.IntervalDayTime)]);
        var error = Assert.Throws<NotSupportedException>(() => new ParquetWriter(new MemoryStream(), schema));
        Assert.Contains("'when'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_is_atomic_a_failed_export_leaves_no_file_and_a_good_one_replaces_the_old()
    {
        string dir = Directory.CreateTempSubdirectory("arrowcid-parquet-").FullName;
        try
        {
            var schema = new Arrow.Types.Schema([new Field("x", ArrowType.Int32)]);
            string path = Path.Combine(dir, "out.parquet");
            IEnumerable<RecordBatch> Failing()
            {
                yield return Batch(schema, [1], [2]);
                throw new IOException("source went away");
            }
            Assert.Throws<IOException>(() => ParquetExport.WriteFile(path, schema, Failing()));
            Assert.Empty(Directory.GetFiles(dir));
            ParquetExport.WriteFile(path, schema, [Batch(schema, [1], [2], [3])]);
            using (var reader = ParquetReader.Open(path))
            {
                Assert.Equal(3, reader.ReadRowGroup(0).Length);
            }
            Assert.Throws<IOException>(() => ParquetExport.WriteFile(path, schema, Failing()));
            Assert.Equal([path], Directory.GetFiles(dir));
            using var again = ParquetReader.Open(path);
            Assert.Equal(3, again.ReadRowGroup(0).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
