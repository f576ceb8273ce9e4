using System.Buffers;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Parquet.Encodings;
using ArrowCid.Parquet.Metadata;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Tests.Interop;
using ArrowCid.Parquet.Tests.Reading;
using ArrowCid.Parquet.Tests.Writing;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Parquet.Tests.Bounded;

/// <summary>
/// The reader's memory follows the batch it hands out, not the row group or what a page claims:
/// batches of at most BatchRows rows read exactly like whole row groups, and pages that expand
/// past MaxDecodedBytesHeld or MaxDecodedBytesPerReader are refused before their memory exists.
/// </summary>
public class BoundedReadTests
{
    private const long SixtyFourMiB = 64L << 20;

    public static TheoryData<string> SampleFiles => [.. TestFiles.All()];

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Small_batches_read_every_sample_file_like_its_whole_row_groups(string name)
    {
        byte[] file = TestFiles.Read(name);
        foreach (int batchRows in new[] { 1, 3, 64 })
        {
            AssertBatchesReadLikeRowGroups(file, batchRows, name);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Small_batches_read_nested_multi_page_columns_like_their_whole_row_groups(int pageVersion)
    {
        var options = new ParquetWriteOptions { RowGroupSize = 50, PageSize = 40, DataPageVersion = pageVersion, Compression = ParquetCompression.Zstd };
        byte[] file = GoldenRoundTripTests.Write(InteropDataset.Schema, InteropDataset.Batches(), options);
        using (var reader = ParquetFileReader.Open(file))
        {
            Assert.True(reader.ReadPageHeaders(0, 0).Count > 2, "the columns span several pages");
        }
        foreach (int batchRows in new[] { 1, 7, 50 })
        {
            AssertBatchesReadLikeRowGroups(file, batchRows, $"v{pageVersion}");
        }
    }

    [Fact]
    public void A_record_that_continues_on_the_next_page_is_handed_out_whole()
    {
        // items: [1, 2, 3], [4, 5], []; record 1 starts on page one and ends on page two (v1 allows it).
        byte[] file = HandMadeParquet.File(3,
        [
            new HandMadeParquet.Column(HandMadeParquet.Leaf("items", PhysicalType.Int32, FieldRepetitionType.Repeated), CompressionCodec.Uncompressed,
                [ListPage([0, 1, 1, 0], [1, 1, 1, 1], [1, 2, 3, 4]), ListPage([1, 0], [1, 0], [5])], 6),
            new HandMadeParquet.Column(HandMadeParquet.Leaf("id", PhysicalType.Int32), CompressionCodec.Uncompressed,
                [ListPage(null, null, [10, 11, 12])], 3),
        ]);
        using var reader = ParquetReader.Open(file, new ParquetReadOptions { BatchRows = 1 });
        List<RecordBatch> batches = [.. reader.ReadAll()];
        Assert.Equal(["[1, 2, 3] 10", "[4, 5] 11", "[] 12"], batches.Select(b => Assert.Single(RowTexts(b))));
        AssertBatchesReadLikeRowGroups(file, 2, "hand-made");
    }

    [Fact]
    public void A_record_that_starts_in_the_middle_of_a_list_is_a_format_error()
    {
        byte[] file = HandMadeParquet.File(1,
        [
            new HandMadeParquet.Column(HandMadeParquet.Leaf("items", PhysicalType.Int32, FieldRepetitionType.Repeated), CompressionCodec.Uncompressed,
                [ListPage([1, 0], [1, 1], [1, 2])], 2),
        ]);
        using var reader = ParquetReader.Open(file);
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        Assert.Contains("a record starts with repetition level 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("items", error.Column);
    }

    [Fact]
    public void A_row_group_is_handed_out_in_batches_of_at_most_batch_rows()
    {
        byte[] file = HandMadeParquet.Int64ZerosInZstd(200_000);
        using var reader = ParquetReader.Open(file);
        List<RecordBatch> batches = [.. reader.ReadAll()];
        Assert.Equal([65_536, 65_536, 65_536, 3_392], batches.Select(b => b.Length));
        Assert.All(batches, b => Assert.True(b.Column(0).GetValues<long>().IndexOfAnyExcept(0L) < 0));
    }

    [Fact]
    public void A_zstd_page_of_two_gibibytes_of_zeros_is_refused_before_it_is_decompressed()
    {
        // 268,434,944 int64 zeros: the 2 GiB page of the penetration test, in a 64 KiB file.
        byte[] bomb = HandMadeParquet.Int64ZerosInZstd(268_434_944);
        Assert.True(bomb.Length < 70_000);
        using var reader = ParquetReader.Open(bomb, new ParquetReadOptions { MaxDecodedBytesHeld = SixtyFourMiB });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("MaxDecodedBytesHeld", error.Message, StringComparison.Ordinal);
        Assert.Contains("2147479552 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8 << 20, $"{allocated} bytes allocated before the refusal");
    }

    [Theory]
    [InlineData("dictionary")]
    [InlineData("front coding")]
    public void One_long_value_repeated_a_million_times_is_refused_before_it_is_copied(string how)
    {
        // 1 MiB × 1,000,000 rows: a terabyte of values from a 1 MiB file, named by a dictionary
        // index or repeated as a DELTA_BYTE_ARRAY prefix.
        byte[] bomb = how == "dictionary"
            ? HandMadeParquet.OneDictionaryEntryRepeated(1 << 20, 1_000_000)
            : HandMadeParquet.FrontCodedPrefixRepeated(1 << 20, 1_000_000);
        using var reader = ParquetReader.Open(bomb, new ParquetReadOptions { MaxDecodedBytesHeld = SixtyFourMiB });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("MaxDecodedBytesHeld", error.Message, StringComparison.Ordinal);
        Assert.Equal("text", error.Column);
        Assert.True(allocated < 24 << 20, $"{allocated} bytes allocated before the refusal");
    }

    [Fact]
    public void The_hand_made_bombs_are_real_pages_that_read_back_in_full_when_small()
    {
        using (var zeros = ParquetReader.Open(HandMadeParquet.Int64ZerosInZstd(1_000, columns: 3)))
        {
            RecordBatch batch = Assert.Single(zeros.ReadAll());
            Assert.Equal(1_000, batch.Length);
            Assert.All(batch.Columns, c => Assert.True(c.GetValues<long>().IndexOfAnyExcept(0L) < 0));
        }
        using var text = ParquetReader.Open(HandMadeParquet.OneDictionaryEntryRepeated(100, 5_000));
        RecordBatch strings = Assert.Single(text.ReadAll());
        Assert.Equal(5_000, strings.Length);
        Assert.All(Enumerable.Range(0, 5_000), i => Assert.Equal(new string('x', 100), System.Text.Encoding.UTF8.GetString((byte[])ArrayPrinter.GetValue(strings.Column(0), i)!)));
        using var front = ParquetReader.Open(HandMadeParquet.FrontCodedPrefixRepeated(100, 5_000));
        RecordBatch fronted = Assert.Single(front.ReadAll());
        Assert.All(Enumerable.Range(0, 5_000), i => Assert.Equal(new string('y', 100), System.Text.Encoding.UTF8.GetString((byte[])ArrayPrinter.GetValue(fronted.Column(0), i)!)));
    }

    [Fact]
    public void Columns_whose_pages_each_fit_are_refused_when_together_they_pass_what_may_be_held()
    {
        // Eight columns, each one 48 MiB page: any one is within 256 MiB, together they are not.
        byte[] bomb = HandMadeParquet.Int64ZerosInZstd(6 << 20, columns: 8);
        using var reader = ParquetReader.Open(bomb, new ParquetReadOptions { MaxDecodedBytesHeld = 256L << 20 });
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        Assert.Contains("MaxDecodedBytesHeld", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_decodes_to_more_than_the_reader_may_decode_in_all_is_refused()
    {
        // Pages of 8 MiB each fit what may be held; 24 MiB in all passes the 16 MiB allowed.
        byte[] file = HandMadeParquet.Int64ZerosInZstd(1 << 20, columns: 3);
        using var reader = ParquetReader.Open(file, new ParquetReadOptions { MaxDecodedBytesHeld = SixtyFourMiB, MaxDecodedBytesPerReader = 16L << 20 });
        var error = Assert.Throws<ParquetFormatException>(() => reader.ReadAll().ToList());
        Assert.Contains("MaxDecodedBytesPerReader", error.Message, StringComparison.Ordinal);
        using var roomy = ParquetReader.Open(file, new ParquetReadOptions { MaxDecodedBytesHeld = SixtyFourMiB, MaxDecodedBytesPerReader = 64L << 20 });
        Assert.Equal(1 << 20, roomy.ReadAll().Sum(b => b.Length));
    }

    [Fact]
    public void What_a_reader_holds_stays_near_one_page_per_column_whatever_the_row_group()
    {
        // One row group of 2 Mi rows in pages of ~1 MiB: handing it out in batches never holds it whole.
        var schema = new Arrow.Types.Schema([new Arrow.Types.Field("x", Arrow.Types.ArrowType.Int64, nullable: false)]);
        var values = new long[2 << 20];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = i * 7919L;
        }
        var column = new ArrayData(Arrow.Types.ArrowType.Int64, values.Length, 0, 0, [ReadOnlyMemory<byte>.Empty, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray()]);
        byte[] file = GoldenRoundTripTests.Write(schema, [new RecordBatch(schema, values.Length, [column])],
            new ParquetWriteOptions { RowGroupSize = values.Length, Dictionary = false, PageIndex = false });
        using var reader = ParquetReader.Open(file, new ParquetReadOptions { MaxDecodedBytesHeld = 4L << 20 });
        long rows = 0;
        foreach (RecordBatch batch in reader.ReadAll())
        {
            Assert.Equal(rows * 7919L, batch.Column(0).GetValues<long>()[0]);
            rows += batch.Length;
        }
        Assert.Equal(values.Length, rows);
        using var whole = ParquetReader.Open(file, new ParquetReadOptions { MaxDecodedBytesHeld = 4L << 20 });
        Assert.Throws<ParquetFormatException>(() => whole.ReadRowGroup(0));
    }

    /// <summary>A v1 page of int32 values with optional repetition and definition levels (bit width 1).</summary>
    private static HandMadeParquet.Page ListPage(int[]? repetition, int[]? definition, int[] values)
    {
        var body = new ArrayBufferWriter<byte>();
        if (repetition is not null)
        {
            RleBitPackedHybrid.EncodeWithLengthPrefix(repetition, 1, body);
        }
        if (definition is not null)
        {
            RleBitPackedHybrid.EncodeWithLengthPrefix(definition, 1, body);
        }
        PlainEncoding.Encode<int>(values, body);
        int slots = repetition?.Length ?? values.Length;
        return new HandMadeParquet.Page(HandMadeParquet.DataPage(slots, Encoding.Plain, body.WrittenCount, body.WrittenCount), body.WrittenSpan.ToArray());
    }

    /// <summary>Every row of <paramref name="batch"/> as text, columns joined by a space.</summary>
    private static List<string> RowTexts(RecordBatch batch) =>
        [.. Enumerable.Range(0, batch.Length).Select(i => string.Join(' ', batch.Columns.Select(c => ArrayPrinter.FormatValue(c, i))))];

    private static void AssertBatchesReadLikeRowGroups(byte[] file, int batchRows, string what)
    {
        using var whole = ParquetReader.Open(file);
        using var sliced = ParquetReader.Open(file, new ParquetReadOptions { BatchRows = batchRows });
        var expected = new List<string>();
        for (int g = 0; g < whole.RowGroupCount; g++)
        {
            expected.AddRange(RowTexts(whole.ReadRowGroup(g)));
        }
        var actual = new List<string>();
        foreach (RecordBatch batch in sliced.ReadAll())
        {
            Assert.True(batch.Length <= batchRows, $"{what}: a batch of {batch.Length} rows, at most {batchRows} asked");
            Assert.Equal(sliced.Schema, batch.Schema);
            actual.AddRange(RowTexts(batch));
        }
        Assert.Equal(expected, actual);
    }
}
