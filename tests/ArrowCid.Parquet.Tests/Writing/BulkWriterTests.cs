using System.Buffers.Binary;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Parquet.Writing;

namespace ArrowCid.Parquet.Tests.Writing;

/// <summary>
/// The writer's fast paths against its reference paths: bulk shredding of top-level primitive
/// columns must give the same file bytes as the value-by-value walk, chunks encoded in parallel
/// the same bytes as chunks encoded in turn, and typed range statistics the same bounds as
/// adding values one at a time. Inputs put nulls at batch, page and row group boundaries, slice
/// batches at offsets that are not byte-aligned, and include all-null, null-free and
/// dictionary-fallback columns; every file is also read back.
/// </summary>
public class BulkWriterTests
{
    private static readonly Arrow.Types.Schema FlatSchema = new([
        new Field("i8", ArrowType.Int8), new Field("i16", ArrowType.Int16), new Field("i32", ArrowType.Int32),
        new Field("i64", ArrowType.Int64, nullable: false), new Field("u8", ArrowType.UInt8), new Field("u32", ArrowType.UInt32),
        new Field("u64", ArrowType.UInt64), new Field("f32", ArrowType.Float32), new Field("f64", ArrowType.Float64),
        new Field("flag", ArrowType.Boolean), new Field("required_flag", ArrowType.Boolean, nullable: false),
        new Field("s", ArrowType.Utf8), new Field("ls", ArrowType.LargeUtf8), new Field("bin", ArrowType.Binary),
        new Field("fixed", ArrowType.FixedSizeBinary(3)), new Field("day", ArrowType.Date32),
        new Field("seconds", ArrowType.Timestamp(TimeUnit.Second)), new Field("all_null", ArrowType.Int64),
        new Field("no_null", ArrowType.Float64), new Field("repeats", ArrowType.Utf8), new Field("small_ints", ArrowType.Int64),
        new Field("list", ArrowType.List(new Field("item", ArrowType.Int32))),
    ]);

    /// <summary>Batches of awkward lengths; nulls at each batch's first and last rows and at random.</summary>
    private static List<RecordBatch> FlatBatches(int seed, params int[] lengths)
    {
        var random = new Random(seed);
        var batches = new List<RecordBatch>();
        long row = 0;
        foreach (int length in lengths)
        {
            var builder = new RecordBatchBuilder(FlatSchema);
            for (int i = 0; i < length; i++, row++)
            {
                bool edge = i == 0 || i == length - 1;
                bool Null(int oneIn) => edge || random.Next(oneIn) == 0;
                string text = new(Enumerable.Range(0, random.Next(0, 12)).Select(_ => (char)('a' + random.Next(26))).ToArray());
                builder.AppendRow(
                    Null(5) ? null : (sbyte)random.Next(-128, 128),
                    Null(6) ? null : (short)random.Next(short.MinValue, short.MaxValue),
                    Null(7) ? null : random.Next(int.MinValue, int.MaxValue),
                    row * 3 - 1000,
                    Null(4) ? null : (byte)random.Next(256),
                    Null(9) ? null : (uint)random.NextInt64(uint.MaxValue),
                    Null(9) ? null : (ulong)random.NextInt64() * 2,
                    Null(8) ? null : random.Next(5) == 0 ? float.NaN : (float)(random.NextDouble() - 0.5),
                    Null(17) ? null : random.Next(7) switch { 0 => double.NaN, 1 => -0.0, 2 => 0.0, _ => random.NextDouble() * 1e6 - 5e5 },
                    Null(3) ? null : random.Next(2) == 0,
                    random.Next(3) == 0,
                    Null(13) ? null : text,
                    Null(11) ? null : text + "!",
                    Null(10) ? null : System.Text.Encoding.UTF8.GetBytes(text),
                    Null(10) ? null : new byte[] { (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256) },
                    Null(10) ? null : DateOnly.FromDayNumber(700_000 + random.Next(50_000)),
                    Null(10) ? null : DateTimeOffset.FromUnixTimeSeconds(random.Next()),
                    null,
                    random.NextDouble(),
                    Null(10) ? null : $"r{random.Next(4)}",
                    Null(10) ? null : (long)random.Next(3),
                    Null(6) ? null : Enumerable.Range(0, random.Next(3)).Select(k => (object?)(k == 1 ? null : k)).ToList());
            }
            batches.Add(builder.Build());
        }
        return batches;
    }

    public static TheoryData<int, int, bool, int, ParquetCompression> Layouts => new()
    {
        // row group size, page size, dictionary, page version, codec
        { 10, 1 << 20, true, 1, ParquetCompression.None },
        { 37, 64, true, 2, ParquetCompression.Snappy },
        { 1000, 128, false, 1, ParquetCompression.Zstd },
        { 64, 300, true, 1, ParquetCompression.Gzip },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Bulk_shredding_and_parallel_encoding_write_the_same_bytes_as_the_reference_paths(int rowGroupSize, int pageSize, bool dictionary, int version, ParquetCompression codec)
    {
        List<RecordBatch> batches = FlatBatches(rowGroupSize, 1, 7, 8, 9, 33, 130, 2, 64);
        // Slices at offsets that are not multiples of 8 exercise bitmap and offset arithmetic.
        batches.Add(FlatBatches(99, 200)[0].Slice(13, 150));
        batches.Add(FlatBatches(98, 40)[0].Slice(1, 1));
        var reference = new ParquetWriteOptions
        {
            RowGroupSize = rowGroupSize, PageSize = pageSize, Dictionary = dictionary, DataPageVersion = version, Compression = codec,
            // Small enough that the repetitive columns fit and the random ones fall back to PLAIN.
            DictionaryPageSizeLimit = 200, BulkShredding = false, MaxDegreeOfParallelism = 1,
        };
        byte[] expected = GoldenRoundTripTests.Write(FlatSchema, batches, reference);
        byte[] bulk = GoldenRoundTripTests.Write(FlatSchema, batches, reference with { BulkShredding = true });
        byte[] parallel = GoldenRoundTripTests.Write(FlatSchema, batches, reference with { BulkShredding = true, MaxDegreeOfParallelism = 4 });
        Assert.Equal(expected, bulk);
        Assert.Equal(expected, parallel);
        GoldenRoundTripTests.AssertRoundTrip(FlatSchema, batches, reference with { BulkShredding = true, MaxDegreeOfParallelism = 3 }, $"rows/group {rowGroupSize}");
    }

    [Fact]
    public void Dictionary_fallback_and_success_both_happen_in_the_flat_inputs()
    {
        // Guards the test above: it must see a chunk that keeps its dictionary and one that gives up.
        List<RecordBatch> batches = FlatBatches(1000, 130, 64);
        byte[] file = GoldenRoundTripTests.Write(FlatSchema, batches, new ParquetWriteOptions { RowGroupSize = 1000, DictionaryPageSizeLimit = 200 });
        using var reader = Parquet.Reading.ParquetFileReader.Open(file);
        int Column(string name) => Array.FindIndex(FlatSchema.Fields.ToArray(), f => f.Name == name);
        Assert.NotNull(reader.GetColumnChunk(0, Column("repeats")).MetaData!.DictionaryPageOffset);
        Assert.Null(reader.GetColumnChunk(0, Column("s")).MetaData!.DictionaryPageOffset);
    }

    [Fact]
    public void A_chunk_drawn_from_ten_thousand_values_keeps_its_dictionary_and_near_unique_ones_do_not()
    {
        // 4,096 draws from 10,000 values are 82% distinct, but a row group of 122,880 only 8%: its
        // dictionary and 14-bit indices take half the PLAIN bytes (DuckDB writes it so). Unique
        // keys and draws from a million values give up early.
        const int rows = 122_880;
        var schema = new Arrow.Types.Schema([new Field("drawn", ArrowType.Int32), new Field("key", ArrowType.Int64), new Field("wide", ArrowType.Int32)]);
        var random = new Random(40);
        var builder = new RecordBatchBuilder(schema);
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow(random.Next(10_000), (long)i * 7919, random.Next(1_000_000));
        }

        byte[] file = GoldenRoundTripTests.Write(schema, [builder.Build()], new ParquetWriteOptions { RowGroupSize = rows });
        using var reader = Parquet.Reading.ParquetFileReader.Open(file);
        Assert.NotNull(reader.GetColumnChunk(0, 0).MetaData!.DictionaryPageOffset);
        Assert.Null(reader.GetColumnChunk(0, 1).MetaData!.DictionaryPageOffset);
        Assert.Null(reader.GetColumnChunk(0, 2).MetaData!.DictionaryPageOffset);
    }

    [Theory]
    [InlineData(1000, 1 << 20)]
    [InlineData(37, 64)]
    [InlineData(500, 700)]
    public void An_arrow_dictionary_column_writes_the_bytes_of_its_values_written_plainly(int rowGroupSize, int pageSize)
    {
        // The Parquet dictionary of an Arrow dictionary column is built from its indices, not by
        // hashing each value: the file must be the one its values give as plain strings. Batches
        // share a dictionary or bring their own; one holds a value twice and values no row uses,
        // one has int16 indices, one is sliced, and nulls fall on batch edges.
        var random = new Random(rowGroupSize);
        string[] words = ["amber", "birch", "cedar", "", "dune", "ember", "fjord", "glade"];
        ArrayData Dictionary(params string[] values)
        {
            var builder = new RecordBatchBuilder(new Arrow.Types.Schema([new Field("v", ArrowType.Utf8, nullable: false)]));
            foreach (string value in values)
            {
                builder.AppendRow(value);
            }
            return builder.Build().Column(0);
        }
        ArrayData shared = Dictionary(words);
        ArrayData[] dictionaries = [shared, shared, Dictionary("glade", "amber", "amber", "unused", "birch"), Dictionary([.. words.Reverse()]), shared];
        var plainSchema = new Arrow.Types.Schema([new Field("city", ArrowType.Utf8)]);
        var dictionarySchema = new Arrow.Types.Schema([new Field("city", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8))]);
        var narrowSchema = new Arrow.Types.Schema([new Field("city", ArrowType.Dictionary(ArrowType.Int16, ArrowType.Utf8))]);
        var plain = new List<RecordBatch>();
        var encoded = new List<RecordBatch>();
        RecordBatch? narrowBatch = null;
        foreach (var (dictionary, batchIndex) in dictionaries.Select((d, i) => (d, i)))
        {
            int rows = 50 + random.Next(300);
            bool narrow = batchIndex == 3;
            var indices = new byte[rows * (narrow ? 2 : 4)];
            var validity = new byte[(rows + 7) / 8];
            int nulls = 0;
            var plainRows = new RecordBatchBuilder(plainSchema);
            for (int i = 0; i < rows; i++)
            {
                bool isNull = i == 0 || i == rows - 1 || random.Next(7) == 0;
                int index = random.Next(dictionary.Length);
                if (narrow)
                {
                    BinaryPrimitives.WriteInt16LittleEndian(indices.AsSpan(i * 2), (short)(isNull ? 0 : index));
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(indices.AsSpan(i * 4), isNull ? 0 : index);
                }
                nulls += isNull ? 1 : 0;
                validity[i >> 3] |= (byte)(isNull ? 0 : 1 << (i & 7));
                plainRows.AppendRow(isNull ? null : System.Text.Encoding.UTF8.GetString(dictionary.GetBytes(index)));
            }
            var batch = new RecordBatch(narrow ? narrowSchema : dictionarySchema, rows,
                [new ArrayData((narrow ? narrowSchema : dictionarySchema).Fields[0].Type, rows, nulls, 0, [validity, indices], dictionary: dictionary)]);
            RecordBatch plainBatch = plainRows.Build();
            if (batchIndex == 4)
            {
                batch = batch.Slice(3, rows - 10);
                plainBatch = plainBatch.Slice(3, rows - 10);
            }
            if (narrow)
            {
                narrowBatch = batch;
                batch = new RecordBatch(dictionarySchema, batch.Length, [ToInt32Indices(batch.Column(0), dictionarySchema.Fields[0].Type)]);
            }
            encoded.Add(batch);
            plain.Add(plainBatch);
        }

        var options = new ParquetWriteOptions { RowGroupSize = rowGroupSize, PageSize = pageSize, StoreArrowSchema = false, DictionaryPageSizeLimit = 40 };
        Assert.Equal(GoldenRoundTripTests.Write(plainSchema, plain, options), GoldenRoundTripTests.Write(dictionarySchema, encoded, options));
        // The int16 batch written as it is, in a schema of its own, against its plain rows.
        Assert.Equal(GoldenRoundTripTests.Write(plainSchema, [plain[3]], options), GoldenRoundTripTests.Write(narrowSchema, [narrowBatch!], options));
    }

    [Fact]
    public void A_negative_dictionary_index_in_a_valid_slot_is_refused()
    {
        var schema = new Arrow.Types.Schema([new Field("city", ArrowType.Dictionary(ArrowType.Int32, ArrowType.Utf8))]);
        var builder = new RecordBatchBuilder(new Arrow.Types.Schema([new Field("v", ArrowType.Utf8, nullable: false)]));
        builder.AppendRow("amber");
        var indices = new byte[12];
        BinaryPrimitives.WriteInt32LittleEndian(indices.AsSpan(4), -1);
        var batch = new RecordBatch(schema, 3, [new ArrayData(schema.Fields[0].Type, 3, 0, 0, [ReadOnlyMemory<byte>.Empty, indices], dictionary: builder.Build().Column(0))]);
        var error = Assert.ThrowsAny<ArgumentException>(() => GoldenRoundTripTests.Write(schema, [batch], new ParquetWriteOptions()));
        Assert.Contains("dictionary index -1 at slot 1 is negative", error.Message, StringComparison.Ordinal);
    }

    // The int32-indexed twin of an int16-indexed dictionary array (same dictionary, same slots).
    private static ArrayData ToInt32Indices(ArrayData narrow, ArrowType wide)
    {
        var indices = new byte[narrow.Length * 4];
        for (int i = 0; i < narrow.Length; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(indices.AsSpan(i * 4), BinaryPrimitives.ReadInt16LittleEndian(narrow.Buffers[1].Span[((narrow.Offset + i) * 2)..]));
        }
        var validity = new byte[(narrow.Length + 7) / 8];
        for (int i = 0; i < narrow.Length; i++)
        {
            validity[i >> 3] |= (byte)(narrow.IsValid(i) ? 1 << (i & 7) : 0);
        }
        return new ArrayData(wide, narrow.Length, narrow.NullCount, 0, [validity, indices], dictionary: narrow.Dictionary);
    }

    [Fact]
    public void Value_keys_give_the_dictionary_that_hashing_every_value_gives()
    {
        var random = new Random(12);
        for (int round = 0; round < 100; round++)
        {
            // Two sources (dictionaries) that share values and repeat one; slots at random, some without a value.
            string[][] sources = [["a", "bb", "a", "ccc", ""], ["ccc", "dd", "a", "e", "bb", "ff"]];
            using var keyed = new ColumnBuffer(0, definitionLevels: true, repetitionLevels: false);
            using var hashed = new ColumnBuffer(0, definitionLevels: true, repetitionLevels: false);
            for (int part = 0; part < 4; part++)
            {
                string[] source = sources[random.Next(2)];
                (int[] offsets, byte[] data) = Binary(source);
                int[] slots = Enumerable.Range(0, random.Next(1, 30)).Select(_ => random.Next(4) == 0 ? -1 : random.Next(source.Length)).ToArray();
                keyed.GatherByteArrays(offsets, data, 0, slots);
                keyed.AddValueKeys(source, source.Length, slots);
                hashed.GatherByteArrays(offsets, data, 0, slots);
            }
            Assert.False(keyed.ValueKeys.IsEmpty);
            Assert.True(hashed.ValueKeys.IsEmpty);
            AssertSameDictionary(ValueDictionary.TryBuild(hashed, long.MaxValue), ValueDictionary.TryBuild(keyed, long.MaxValue));
        }

        // A slot outside its source, or values appended without keys, leave the buffer without keys.
        using var outside = new ColumnBuffer(0, definitionLevels: false, repetitionLevels: false);
        (int[] o, byte[] d) = Binary(["x", "y", "z"]);
        outside.GatherByteArrays(o, d, 0, [2]);
        outside.AddValueKeys(o, 2, [2]);
        Assert.True(outside.ValueKeys.IsEmpty);
        using var unkeyed = new ColumnBuffer(0, definitionLevels: false, repetitionLevels: false);
        unkeyed.GatherByteArrays(o, d, 0, [0, 1]);
        unkeyed.AddValueKeys(o, 3, [0, 1]);
        Assert.Equal(2, unkeyed.ValueKeys.Length);
        unkeyed.GatherByteArrays(o, d, 0, [2]);
        Assert.True(unkeyed.ValueKeys.IsEmpty);
    }

    [Theory]
    [InlineData(4, 300, 10)]
    [InlineData(4, 5000, 3_000)]
    [InlineData(8, 5000, 40)]
    [InlineData(4, 20_000, 9_000)]
    public void Integers_of_a_narrow_range_give_the_first_seen_dictionary(int width, int count, int spread)
    {
        // Narrow ranges are keyed by distance from the smallest value instead of hashed; the
        // result must be the first-seen dictionary all the same (negative values, both widths).
        var random = new Random(count + spread);
        using var buffer = new ColumnBuffer(width, definitionLevels: false, repetitionLevels: false);
        var seen = new Dictionary<long, int>();
        var entries = new List<int>();
        var indices = new int[count];
        for (int i = 0; i < count; i++)
        {
            long value = random.Next(spread) - (spread / 2) - (width == 8 ? 1L << 40 : 0);
            Span<byte> slot = buffer.AppendFixed();
            if (width == 4)
            {
                BinaryPrimitives.WriteInt32LittleEndian(slot, (int)value);
            }
            else
            {
                BinaryPrimitives.WriteInt64LittleEndian(slot, value);
            }
            if (!seen.TryGetValue(value, out int entry))
            {
                entry = seen[value] = entries.Count;
                entries.Add(i);
            }
            indices[i] = entry;
        }

        ValueDictionary? built = ValueDictionary.TryBuild(buffer, long.MaxValue);
        Assert.NotNull(built);
        Assert.Equal(entries, built.Entries);
        Assert.Equal(indices, built.Indices);
    }

    [Fact]
    public void Range_statistics_through_a_dictionary_equal_adding_every_value()
    {
        var random = new Random(77);
        string[] vocabulary = ["", "a", "ab", "b", "ba", "zz", "a\u00e9", new string('q', StatisticsAccumulator.MaxValueBytes + 1)];
        for (int round = 0; round < 300; round++)
        {
            using var buffer = new ColumnBuffer(0, definitionLevels: false, repetitionLevels: false);
            int count = random.Next(1, 60);
            // Now and then the vocabulary's too-large value, which makes min and max unknown.
            int words = random.Next(4) == 0 ? vocabulary.Length : vocabulary.Length - 1;
            for (int i = 0; i < count; i++)
            {
                byte[] value = System.Text.Encoding.UTF8.GetBytes(vocabulary[random.Next(words)]);
                value.CopyTo(buffer.AppendBytes(value.Length));
            }
            ValueDictionary? dictionary = ValueDictionary.TryBuild(buffer, long.MaxValue);
            Assert.NotNull(dictionary);
            int start = random.Next(count);
            int end = random.Next(start, count + 1);
            var one = new StatisticsAccumulator(StatisticsOrder.UnsignedBytes);
            var range = new StatisticsAccumulator(StatisticsOrder.UnsignedBytes);
            for (int i = start; i < end; i++)
            {
                one.Add(buffer.Value(i));
            }
            range.AddRange(buffer, start, end, dictionary);
            Assert.Equal(one.HasMinMax, range.HasMinMax);
            if (one.HasMinMax)
            {
                Assert.Equal(one.Min, range.Min);
                Assert.Equal(one.Max, range.Max);
            }
        }
    }

    [Theory]
    [InlineData(false, false, 4)]
    [InlineData(true, false, 0)]
    [InlineData(true, true, 2)]
    [InlineData(true, true, 0)]
    [InlineData(false, true, 8)]
    public void A_page_ends_where_adding_entries_one_at_a_time_ends_it(bool optional, bool repeated, int fixedBytes)
    {
        // PageEnd counts blocks of entries in bulk; the page must end where an entry-by-entry
        // count of its estimated size ends it, whatever the levels, widths and page size.
        var random = new Random((optional ? 1 : 0) + (repeated ? 2 : 0) + fixedBytes * 4);
        for (int round = 0; round < 40; round++)
        {
            using var buffer = new ColumnBuffer(fixedBytes == 2 ? 0 : fixedBytes, optional, repeated);
            int maxDefinition = optional ? 2 : 0;
            int entries = random.Next(1, 5000);
            var definition = new int[entries];
            var repetition = new int[entries];
            for (int e = 0; e < entries; e++)
            {
                definition[e] = optional ? random.Next(4) == 0 ? random.Next(2) : maxDefinition : 0;
                repetition[e] = repeated && e > 0 && random.Next(3) != 0 ? 1 : 0;
                if (!optional || definition[e] == maxDefinition)
                {
                    if (buffer.Width == 0)
                    {
                        buffer.AppendBytes(random.Next(0, 40));
                    }
                    else
                    {
                        buffer.AppendFixed();
                    }
                }
            }
            buffer.AddEntries(definition, repetition);
            long pageSize = random.Next(1, 9000);
            int entry = 0;
            int value = 0;
            while (entry < entries)
            {
                var expected = ReferencePageEnd(buffer, entry, value, fixedBytes, maxDefinition, pageSize);
                var actual = ColumnChunkWriter.PageEnd(buffer, entry, value, fixedBytes, maxDefinition, pageSize);
                Assert.Equal(expected, actual);
                (entry, value) = (actual.EntryEnd, actual.ValueEnd);
            }
        }
    }

    private static (int EntryEnd, int ValueEnd, int Rows) ReferencePageEnd(ColumnBuffer buffer, int entry, int value, int fixedBytes, int maxDefinition, long pageSize)
    {
        long bytes = 0;
        int rows = 0;
        int e = entry;
        int v = value;
        for (; e < buffer.EntryCount; e++)
        {
            if (!buffer.HasRepetitionLevels || buffer.Repetition[e] == 0)
            {
                if (bytes >= pageSize && e > entry)
                {
                    break;
                }
                rows++;
            }
            bytes++;
            if (!buffer.HasDefinitionLevels || buffer.Definition[e] == maxDefinition)
            {
                bytes += fixedBytes != 0 ? fixedBytes : 4 + buffer.Value(v).Length;
                v++;
            }
        }
        return (e, v, rows);
    }

    private static (int[] Offsets, byte[] Data) Binary(string[] values)
    {
        var offsets = new int[values.Length + 1];
        var data = new List<byte>();
        for (int i = 0; i < values.Length; i++)
        {
            data.AddRange(System.Text.Encoding.UTF8.GetBytes(values[i]));
            offsets[i + 1] = data.Count;
        }
        return (offsets, [.. data]);
    }

    private static void AssertSameDictionary(ValueDictionary? expected, ValueDictionary? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Entries, actual.Entries);
        Assert.Equal(expected.Indices, actual.Indices);
        Assert.Equal(expected.PlainSize, actual.PlainSize);
    }

    public static TheoryData<string> GoldenCaseNames => GoldenCases.All();

    [Theory]
    [MemberData(nameof(GoldenCaseNames))]
    public void Golden_cases_write_the_same_bytes_in_bulk_in_parallel_and_value_by_value(string goldenCase)
    {
        if (GoldenCases.Load(goldenCase) is not var (schema, batches))
        {
            return;
        }
        // Also every batch cut at an unaligned offset, so slices reach both paths.
        List<RecordBatch> inputs = [.. batches, .. batches.Where(b => b.Length > 4).Select(b => b.Slice(3, b.Length - 4))];
        var reference = new ParquetWriteOptions { RowGroupSize = 5, PageSize = 48, BulkShredding = false, MaxDegreeOfParallelism = 1 };
        byte[] expected = GoldenRoundTripTests.Write(schema, inputs, reference);
        Assert.Equal(expected, GoldenRoundTripTests.Write(schema, inputs, reference with { BulkShredding = true }));
        Assert.Equal(expected, GoldenRoundTripTests.Write(schema, inputs, reference with { BulkShredding = true, MaxDegreeOfParallelism = 4 }));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void A_null_in_a_non_nullable_field_is_refused_with_the_same_exception_serially_and_in_parallel(int degree)
    {
        var nullable = new Arrow.Types.Schema([new Field("a", ArrowType.Int64), new Field("b", ArrowType.Utf8)]);
        var builder = new RecordBatchBuilder(nullable);
        builder.AppendRow(1L, "x");
        builder.AppendRow(null, "y");
        RecordBatch built = builder.Build();
        var strict = new Arrow.Types.Schema([new Field("a", ArrowType.Int64, nullable: false), new Field("b", ArrowType.Utf8)]);
        var batch = new RecordBatch(strict, built.Length, built.Columns);
        var writer = new ParquetWriter(new MemoryStream(), strict, new ParquetWriteOptions { MaxDegreeOfParallelism = degree });
        writer.Write(batch);
        var error = Assert.Throws<ArgumentException>(writer.Close);
        Assert.Contains("non-nullable", error.Message, StringComparison.Ordinal);
        writer.Dispose();
    }

    [Fact]
    public void A_failing_row_group_in_flight_surfaces_its_exception_and_every_owned_batch_is_released()
    {
        var nullable = new Arrow.Types.Schema([new Field("a", ArrowType.Int64)]);
        var strict = new Arrow.Types.Schema([new Field("a", ArrowType.Int64, nullable: false)]);
        var leases = new List<Lease>();
        RecordBatch Owned(bool withNull)
        {
            var builder = new RecordBatchBuilder(nullable);
            for (int i = 0; i < 50; i++)
            {
                builder.AppendRow(withNull && i == 49 ? null : (long?)i);
            }
            RecordBatch built = builder.Build();
            var lease = new Lease();
            leases.Add(lease);
            return new RecordBatch(strict, built.Length, built.Columns, lease);
        }
        var writer = new ParquetWriter(new MemoryStream(), strict, new ParquetWriteOptions { RowGroupSize = 10, MaxDegreeOfParallelism = 4 });
        // The bad row group is handed to the encoders by one call and found out by a later one
        // (or by Close): either way it is the serial writer's ArgumentException.
        var error = Assert.Throws<ArgumentException>(() =>
        {
            writer.WriteOwned(Owned(withNull: false));
            writer.WriteOwned(Owned(withNull: true));
            for (int b = 0; b < 5; b++)
            {
                writer.WriteOwned(Owned(withNull: false));
            }
            writer.Close();
        });
        Assert.Contains("non-nullable", error.Message, StringComparison.Ordinal);
        writer.Dispose();
        Assert.All(leases, lease => Assert.True(lease.Disposed));
    }

    private sealed class Lease : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    // (StatisticsOrder, width): the order is internal, so the theory takes its number.
    public static TheoryData<int, int> Orders => new()
    {
        { (int)StatisticsOrder.Signed32, 4 }, { (int)StatisticsOrder.Unsigned32, 4 }, { (int)StatisticsOrder.Signed64, 8 },
        { (int)StatisticsOrder.Unsigned64, 8 }, { (int)StatisticsOrder.Float, 4 }, { (int)StatisticsOrder.Double, 8 },
        { (int)StatisticsOrder.Boolean, 1 }, { (int)StatisticsOrder.UnsignedBytes, 0 }, { (int)StatisticsOrder.Float16, 2 },
        { (int)StatisticsOrder.UnsignedBytes, 3 },
    };

    [Theory]
    [MemberData(nameof(Orders))]
    public void Range_statistics_equal_adding_every_value(int orderNumber, int width)
    {
        var order = (StatisticsOrder)orderNumber;
        var random = new Random(orderNumber * 31 + width);
        for (int round = 0; round < 200; round++)
        {
            using var buffer = new ColumnBuffer(width, definitionLevels: false, repetitionLevels: false);
            int count = random.Next(1, 40);
            for (int i = 0; i < count; i++)
            {
                Span<byte> value = width == 0 ? buffer.AppendBytes(random.Next(0, 4)) : buffer.AppendFixed();
                RandomValue(order, random, value);
            }
            int start = random.Next(count);
            int end = random.Next(start, count + 1);
            var one = new StatisticsAccumulator(order);
            var range = new StatisticsAccumulator(order);
            // Some state from an earlier page first, as chunk statistics merge pages.
            if (random.Next(2) == 0 && count > 0)
            {
                one.Add(buffer.Value(0));
                range.Add(buffer.Value(0));
            }
            for (int i = start; i < end; i++)
            {
                one.Add(buffer.Value(i));
            }
            range.AddRange(buffer, start, end);
            Assert.Equal(one.HasMinMax, range.HasMinMax);
            if (one.HasMinMax)
            {
                Assert.Equal(one.Min, range.Min);
                Assert.Equal(one.Max, range.Max);
            }
        }
    }

    private static void RandomValue(StatisticsOrder order, Random random, Span<byte> value)
    {
        switch (order)
        {
            case StatisticsOrder.Float:
                BinaryPrimitives.WriteSingleLittleEndian(value, random.Next(6) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, _ => random.Next(-3, 4) });
                break;
            case StatisticsOrder.Double:
                BinaryPrimitives.WriteDoubleLittleEndian(value, random.Next(6) switch { 0 => double.NaN, 1 => -0d, 2 => 0d, _ => random.Next(-3, 4) });
                break;
            case StatisticsOrder.Float16:
                BinaryPrimitives.WriteHalfLittleEndian(value, random.Next(4) == 0 ? Half.NaN : (Half)random.Next(-3, 4));
                break;
            case StatisticsOrder.Boolean:
                value[0] = (byte)random.Next(2);
                break;
            default:
                // Few distinct byte values, so ties and extremes of every kind occur.
                for (int i = 0; i < value.Length; i++)
                {
                    value[i] = (byte)(random.Next(3) * 0x7F);
                }
                break;
        }
    }
}
