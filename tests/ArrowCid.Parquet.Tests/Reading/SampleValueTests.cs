using System.Buffers.Binary;
using System.Numerics;

using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;

namespace ArrowCid.Parquet.Tests.Reading;

public class SampleValueTests
{
    private static LeafColumnData Column(ParquetFileReader reader, string name)
    {
        int index = reader.Schema.Leaves.ToList().FindIndex(l => l.ToString() == name);
        Assert.True(index >= 0, name);
        return reader.ReadColumn(0, index);
    }

    [Fact]
    public void Alltypes_plain_ids_are_the_well_known_sequence()
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read("alltypes_plain.parquet"));
        Assert.Equal([4, 5, 6, 7, 2, 3, 0, 1], Column(reader, "id").GetValues<int>().ToArray());
    }

    // The Impala table derives every column from id: the PLAIN bool_col and the dictionary
    // columns must agree row by row, in the dictionary, plain and snappy files alike.
    [Theory]
    [InlineData("alltypes_plain.parquet")]
    [InlineData("alltypes_dictionary.parquet")]
    [InlineData("alltypes_plain.snappy.parquet")]
    public void Alltypes_columns_follow_the_id(string file)
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read(file));
        int[] ids = Column(reader, "id").GetValues<int>().ToArray();
        bool[] bools = Column(reader, "bool_col").GetValues<bool>().ToArray();
        int[] tiny = Column(reader, "tinyint_col").GetValues<int>().ToArray();
        long[] big = Column(reader, "bigint_col").GetValues<long>().ToArray();
        float[] floats = Column(reader, "float_col").GetValues<float>().ToArray();
        double[] doubles = Column(reader, "double_col").GetValues<double>().ToArray();
        ByteArrayValues strings = Column(reader, "string_col").GetByteArrays();
        Assert.Equal(ids.Length, Column(reader, "timestamp_col").GetValues<Int96>().Length);
        for (int i = 0; i < ids.Length; i++)
        {
            int odd = ids[i] % 2;
            Assert.Equal(odd == 0, bools[i]);
            Assert.Equal(odd, tiny[i]);
            Assert.Equal(10L * odd, big[i]);
            Assert.Equal(odd * 1.1f, floats[i]);
            Assert.Equal(odd * 10.1, doubles[i]);
            Assert.Equal(odd.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.ASCII.GetString(strings[i]));
        }
    }

    // The same DECIMAL values 1.00 .. 24.00 stored four ways: INT32, INT64, FIXED(11) and
    // BYTE_ARRAY big-endian two's complement. Each path must give 100, 200, …, 2400.
    [Fact]
    public void Decimal_files_agree_across_physical_types()
    {
        long[] expected = Enumerable.Range(1, 24).Select(i => i * 100L).ToArray();
        using (var r = ParquetFileReader.Open(TestFiles.Read("int32_decimal.parquet")))
        {
            Assert.Equal(expected, Column(r, "value").GetValues<int>().ToArray().Select(v => (long)v));
        }
        using (var r = ParquetFileReader.Open(TestFiles.Read("int64_decimal.parquet")))
        {
            Assert.Equal(expected, Column(r, "value").GetValues<long>().ToArray());
        }
        foreach (string file in new[] { "fixed_length_decimal.parquet", "byte_array_decimal.parquet" })
        {
            using var r = ParquetFileReader.Open(TestFiles.Read(file));
            ByteArrayValues values = Column(r, "value").GetByteArrays();
            long[] actual = Enumerable.Range(0, values.Count)
                .Select(i => (long)new BigInteger(values[i], isUnsigned: false, isBigEndian: true)).ToArray();
            Assert.Equal(expected, actual);
        }
    }

    // A second path for values we cannot know otherwise: the writers' own chunk statistics.
    // Signed numeric columns whose min_value/max_value (PLAIN, no length) are set must bound the
    // decoded values and be attained by them.
    [Theory]
    [MemberData(nameof(SampleFileTests.Files), MemberType = typeof(SampleFileTests))]
    public void Decoded_numbers_attain_the_chunk_statistics(string name, long rows, string codec)
    {
        _ = codec;
        using var reader = ParquetFileReader.Open(TestFiles.Read(name));
        Assert.Equal(rows, reader.Metadata.NumRows);
        int checkedColumns = 0;
        for (int c = 0; c < reader.Schema.Leaves.Count; c++)
        {
            var leaf = reader.Schema.Leaves[c];
            Statistics? stats = reader.GetColumnChunk(0, c).MetaData!.Statistics;
            bool unsigned = leaf.Element.ConvertedType is >= ConvertedType.UInt8 and <= ConvertedType.UInt64
                || leaf.Element.LogicalType is { Kind: LogicalTypeKind.Integer, IsSigned: false };
            if (stats?.MinValue is not byte[] min || stats.MaxValue is not byte[] max || unsigned)
            {
                continue;
            }
            LeafColumnData data = reader.ReadColumn(0, c);
            if (data.Values.Count == 0)
            {
                continue;
            }
            switch (leaf.Element.Type)
            {
                case PhysicalType.Int32:
                    Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(min), data.GetValues<int>().ToArray().Min());
                    Assert.Equal(BinaryPrimitives.ReadInt32LittleEndian(max), data.GetValues<int>().ToArray().Max());
                    checkedColumns++;
                    break;
                case PhysicalType.Int64:
                    Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(min), data.GetValues<long>().ToArray().Min());
                    Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(max), data.GetValues<long>().ToArray().Max());
                    checkedColumns++;
                    break;
                case PhysicalType.Double:
                    Assert.Equal(BinaryPrimitives.ReadDoubleLittleEndian(min), data.GetValues<double>().ToArray().Min());
                    Assert.Equal(BinaryPrimitives.ReadDoubleLittleEndian(max), data.GetValues<double>().ToArray().Max());
                    checkedColumns++;
                    break;
                case PhysicalType.ByteArray:
                    ByteArrayValues values = data.GetByteArrays();
                    var all = Enumerable.Range(0, values.Count).Select(i => values[i].ToArray()).ToList();
                    all.Sort((a, b) => a.AsSpan().SequenceCompareTo(b));
                    Assert.Equal(min, all[0]);
                    Assert.Equal(max, all[^1]);
                    checkedColumns++;
                    break;
            }
        }
        if (name == "delta_binary_packed.parquet")
        {
            // 65 INT64 columns with bit widths 0..64 and one INT32 column, all with statistics.
            Assert.Equal(66, checkedColumns);
        }
    }

    [Fact]
    public void Nested_list_levels_describe_the_rows()
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read("datapage_v2.snappy.parquet"));
        var e = Column(reader, "e.list.element");
        Assert.Equal(2, e.Column.MaxDefinitionLevel);
        Assert.Equal(1, e.Column.MaxRepetitionLevel);
        // Five rows: a level-0 repetition starts each; list elements are defined at level 2.
        Assert.Equal(5, e.RepetitionLevels.Count(r => r == 0));
        Assert.Equal(e.DefinitionLevels.Count(d => d == 2), e.Values.Count);
        var b = Column(reader, "b");
        Assert.Equal([1, 2, 3, 4, 5], b.GetValues<int>().ToArray());
    }

    [Fact]
    public void Schema_levels_follow_the_repetition_of_every_ancestor()
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read("nested_lists.snappy.parquet"));
        var leaf = reader.Schema.Leaves[0];
        // a(OPTIONAL).list(REPEATED).element(OPTIONAL) three times: 6 optional-or-repeated
        // levels plus the leaf's own OPTIONAL = 7; three REPEATED = 3.
        Assert.Equal(["a", "list", "element", "list", "element", "list", "element"], leaf.Path);
        Assert.Equal(7, leaf.MaxDefinitionLevel);
        Assert.Equal(3, leaf.MaxRepetitionLevel);
        Assert.Equal(0, reader.Schema.Leaves[1].MaxDefinitionLevel);
    }

    [Fact]
    public void Page_headers_match_the_readme_page_counts()
    {
        using var reader = ParquetFileReader.Open(TestFiles.Read("datapage_v2.snappy.parquet"));
        var pages = Enumerable.Range(0, reader.Schema.Leaves.Count).SelectMany(c => reader.ReadPageHeaders(0, c)).ToList();
        Assert.Equal(3, pages.Count(p => p.Type == PageType.DictionaryPage));
        Assert.Equal(5, pages.Count(p => p.Type == PageType.DataPageV2));
        using var checksummed = ParquetFileReader.Open(TestFiles.Read("datapage_v1-uncompressed-checksum.parquet"));
        var v1 = Enumerable.Range(0, 2).SelectMany(c => checksummed.ReadPageHeaders(0, c)).ToList();
        Assert.Equal(4, v1.Count);
        Assert.All(v1, p => Assert.NotNull(p.Crc));
    }

    [Fact]
    public void A_stream_reads_like_memory()
    {
        byte[] bytes = TestFiles.Read("nested_maps.snappy.parquet");
        using var fromMemory = ParquetFileReader.Open(bytes);
        using var fromStream = ParquetFileReader.Open(new MemoryStream(bytes));
        for (int c = 0; c < fromMemory.Schema.Leaves.Count; c++)
        {
            var a = fromMemory.ReadColumn(0, c);
            var b = fromStream.ReadColumn(0, c);
            Assert.Equal(a.DefinitionLevels, b.DefinitionLevels);
            Assert.Equal(a.RepetitionLevels, b.RepetitionLevels);
            Assert.Equal(a.Values.Count, b.Values.Count);
        }
    }

    [Fact]
    public void A_corrupted_crc_is_reported()
    {
        byte[] bytes = TestFiles.Read("datapage_v1-uncompressed-checksum.parquet");
        using var reader = ParquetFileReader.Open(bytes);
        ColumnMetaData meta = reader.GetColumnChunk(0, 0).MetaData!;
        // Flip a byte well inside the first page's values (past its header).
        bytes[meta.DataPageOffset + 100] ^= 0xFF;
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadColumn(0, 0));
        Assert.Contains("CRC", error.Message, StringComparison.Ordinal);
    }
}
