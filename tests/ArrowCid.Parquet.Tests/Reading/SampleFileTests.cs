using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Parquet.Tests.Reading;

public class SampleFileTests
{
    // Row counts and codecs as listed in testdata/README.md (read there from the footers).
    public static TheoryData<string, long, string> Files => new()
    {
        { "alltypes_dictionary.parquet", 2, "UNCOMPRESSED" },
        { "alltypes_plain.parquet", 8, "UNCOMPRESSED" },
        { "alltypes_plain.snappy.parquet", 2, "SNAPPY" },
        { "binary.parquet", 12, "UNCOMPRESSED" },
        { "byte_array_decimal.parquet", 24, "UNCOMPRESSED" },
        { "byte_stream_split.zstd.parquet", 300, "ZSTD" },
        { "concatenated_gzip_members.parquet", 513, "GZIP" },
        { "data_index_bloom_encoding_stats.parquet", 14, "GZIP" },
        { "datapage_v1-uncompressed-checksum.parquet", 5120, "UNCOMPRESSED" },
        { "datapage_v2.snappy.parquet", 5, "SNAPPY" },
        { "delta_binary_packed.parquet", 200, "UNCOMPRESSED" },
        { "delta_encoding_required_column.parquet", 100, "UNCOMPRESSED" },
        { "delta_length_byte_array.parquet", 1000, "ZSTD" },
        { "fixed_length_decimal.parquet", 24, "UNCOMPRESSED" },
        { "int32_decimal.parquet", 24, "UNCOMPRESSED" },
        { "int32_with_null_pages.parquet", 1000, "UNCOMPRESSED" },
        { "int64_decimal.parquet", 24, "UNCOMPRESSED" },
        { "int96_from_spark.parquet", 6, "SNAPPY" },
        { "list_columns.parquet", 3, "SNAPPY" },
        { "nested_lists.snappy.parquet", 3, "SNAPPY" },
        { "nested_maps.snappy.parquet", 6, "SNAPPY" },
        { "nullable.impala.parquet", 7, "UNCOMPRESSED" },
        { "nulls.snappy.parquet", 8, "SNAPPY" },
        { "rle_boolean_encoding.parquet", 68, "GZIP" },
    };

    [Fact]
    public void Every_sample_file_is_listed()
    {
        Assert.Equal(24, TestFiles.All().Count());
        Assert.Equal(TestFiles.All().Order(StringComparer.Ordinal), Files.Select(row => (string)row[0]).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Footer_parses_and_row_counts_match(string name, long rows, string codec)
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read(name));
        Assert.Equal(rows, reader.Metadata.NumRows);
        Assert.Equal(rows, reader.Metadata.RowGroups.Sum(g => g.NumRows));
        Assert.All(reader.Metadata.RowGroups.SelectMany(g => g.Columns),
            chunk => Assert.Equal(codec, ArrowCid.Parquet.Codecs.ParquetCodecs.SpecName(chunk.MetaData!.Codec)));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_column_chunk_decodes_with_consistent_counts(string name, long rows, string codec)
    {
        _ = codec;
        using var reader = ParquetFileReader.Open(TestFiles.Read(name));
        Assert.Equal(rows, reader.Metadata.NumRows);
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            for (int c = 0; c < reader.Schema.Leaves.Count; c++)
            {
                LeafColumnData data = reader.ReadColumn(g, c);
                ColumnMetaData meta = reader.GetColumnChunk(g, c).MetaData!;
                var leaf = reader.Schema.Leaves[c];
                Assert.Equal(meta.NumValues, data.LevelCount);
                int expectedValues = leaf.MaxDefinitionLevel == 0
                    ? data.LevelCount
                    : data.DefinitionLevels.Count(d => d == leaf.MaxDefinitionLevel);
                Assert.Equal(expectedValues, data.Values.Count);
                Assert.Equal(leaf.MaxDefinitionLevel == 0 ? 0 : data.LevelCount, data.DefinitionLevels.Count);
                Assert.Equal(leaf.MaxRepetitionLevel == 0 ? 0 : data.LevelCount, data.RepetitionLevels.Count);
                // Each row starts with repetition level 0, so the zeros count the rows.
                long rowsSeen = leaf.MaxRepetitionLevel == 0 ? data.LevelCount : data.RepetitionLevels.Count(r => r == 0);
                Assert.Equal(reader.Metadata.RowGroups[g].NumRows, rowsSeen);
                if (meta.Statistics?.NullCount is long nulls && leaf.MaxRepetitionLevel == 0)
                {
                    Assert.Equal(nulls, data.LevelCount - data.Values.Count);
                }
            }
        }
    }
}
