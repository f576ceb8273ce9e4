using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Parquet.Tests.Reading;

/// <summary>Every sample file reads into Arrow batches; types and values checked where the README states them.</summary>
public class ArrowReaderSampleTests
{
    [Theory]
    [MemberData(nameof(SampleFileTests.Files), MemberType = typeof(SampleFileTests))]
    public void Every_sample_file_reads_to_batches_of_its_row_groups(string name, long rows, string codec)
    {
        _ = codec;
        using var reader = ParquetReader.Open(TestFiles.Read(name));
        List<RecordBatch> batches = [.. reader.ReadAll()];
        Assert.Equal(reader.RowGroupCount, batches.Count);
        Assert.Equal(rows, batches.Sum(b => (long)b.Length));
        foreach (RecordBatch batch in batches)
        {
            Assert.Equal(reader.Schema, batch.Schema);
            // Every slot can be visited: the arrays are consistent with their types.
            for (int c = 0; c < batch.Columns.Length; c++)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    _ = ArrayPrinter.GetValue(batch.Column(c), i);
                }
            }
        }
    }

    [Fact]
    public void Int96_timestamps_are_microseconds_and_values_out_of_range_are_null_or_an_error_never_wrapped()
    {
        using var reader = ParquetReader.Open(TestFiles.Read("int96_from_spark.parquet"));
        Assert.Equal(ArrowType.Timestamp(TimeUnit.Microsecond), reader.Schema.Fields[0].Type);
        ArrayData column = reader.ReadRowGroup(0).Column(0);
        // DuckDB's epoch_us for the rows it can hold; row 4 is null in the file, row 5 lies ~290,000 BC.
        Assert.Equal(1704141296123456, column.GetValues<long>()[0]);
        Assert.Equal(1704070800000000, column.GetValues<long>()[1]);
        Assert.Equal(253402225200000000, column.GetValues<long>()[2]);
        Assert.Equal(1735599600000000, column.GetValues<long>()[3]);
        Assert.True(column.IsNull(4));
        Assert.True(column.IsNull(5));
        using var strict = ParquetReader.Open(TestFiles.Read("int96_from_spark.parquet"), new ParquetReadOptions { Int96OutOfRangeAsNull = false });
        Assert.Throws<ParquetFormatException>(() => strict.ReadRowGroup(0));
        using var nanos = ParquetReader.Open(TestFiles.Read("int96_from_spark.parquet"), new ParquetReadOptions { Int96TimestampUnit = TimeUnit.Nanosecond });
        ArrayData nanosColumn = nanos.ReadRowGroup(0).Column(0);
        Assert.Equal(1704141296123456000, nanosColumn.GetValues<long>()[0]);
        Assert.True(nanosColumn.IsNull(2));
    }

    [Fact]
    public void Nested_schemas_map_to_lists_maps_and_structs()
    {
        using var maps = ParquetReader.Open(TestFiles.Read("nested_maps.snappy.parquet"));
        ArrowType outer = maps.Schema.Fields[0].Type;
        Assert.Equal(ArrowTypeId.Map, outer.Id);
        Field key = outer.Children[0].Type.Children[0];
        Field value = outer.Children[0].Type.Children[1];
        Assert.Equal((ArrowTypeId.Utf8, false), (key.Type.Id, key.Nullable));
        Assert.Equal((ArrowTypeId.Map, true), (value.Type.Id, value.Nullable));
        Assert.Equal(ArrowTypeId.Int32, value.Type.Children[0].Type.Children[0].Type.Id);
        Assert.Equal(ArrowTypeId.Boolean, value.Type.Children[0].Type.Children[1].Type.Id);
        using var lists = ParquetReader.Open(TestFiles.Read("nested_lists.snappy.parquet"));
        Assert.Equal(ArrowTypeId.List, lists.Schema.Fields[0].Type.Id);
        Assert.Equal(ArrowTypeId.List, lists.Schema.Fields[0].Type.Children[0].Type.Id);
        using var impala = ParquetReader.Open(TestFiles.Read("nullable.impala.parquet"));
        Assert.Equal(ArrowTypeId.Map, impala.Schema.Fields[3].Type.Id);
        Assert.Equal(ArrowTypeId.Struct, impala.Schema.Fields[5].Type.Id);
    }

    [Fact]
    public void Decimals_in_all_four_physical_types_read_as_the_same_values()
    {
        static List<string> Values(string file)
        {
            using var reader = ParquetReader.Open(TestFiles.Read(file));
            ArrayData column = reader.ReadRowGroup(0).Column(0);
            Assert.True(column.Type.IsDecimal);
            return [.. Enumerable.Range(0, column.Length).Select(i => ArrayPrinter.FormatValue(column, i))];
        }
        List<string> int32 = Values("int32_decimal.parquet");
        Assert.Equal(24, int32.Count);
        Assert.Equal("1.00", int32[0]);
        Assert.Equal("24.00", int32[^1]);
        Assert.Equal(int32, Values("byte_array_decimal.parquet"));
        Assert.Equal(int32.Select(v => v.Replace(".", "", StringComparison.Ordinal)), Values("int64_decimal.parquet").Select(v => v.Replace(".", "", StringComparison.Ordinal)));
        Assert.Equal(int32, Values("fixed_length_decimal.parquet"));
    }
}
