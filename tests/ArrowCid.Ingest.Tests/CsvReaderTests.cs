using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Ingest.Csv;

namespace ArrowCid.Ingest.Tests;

public sealed class CsvReaderTests
{
    private static CsvBatchReader Reader(string text, CsvReadOptions? options = null) =>
        new(new StringReader(text), options);

    private static List<RecordBatch> ReadAll(string text, CsvReadOptions? options = null)
    {
        using var reader = Reader(text, options);
        return [.. reader.ReadAll()];
    }

    private static void AssertBatch(RecordBatch expected, RecordBatch actual)
    {
        Assert.True(ArrayEquality.Equals(expected, actual, out string? difference), difference);
    }

    [Fact]
    public void Inference_picks_each_type_and_empty_fields_are_null()
    {
        const string text =
            "i,f,b,d,tz,ts,s,mixed,empty\n" +
            "1,1.5,true,2024-03-01,2024-03-01T06:00:00Z,2024-03-01T06:00:00,x,1,\n" +
            "-2,,FALSE,,2024-03-01 07:30:00.123456+02:00,2024-03-01 07:30:00.5,,2.5,\n" +
            ",3,,1999-12-31,,,\"a,b\",,\n";
        var batch = Assert.Single(ReadAll(text));
        var schema = new Schema(
        [
            new Field("i", ArrowType.Int64),
            new Field("f", ArrowType.Float64),
            new Field("b", ArrowType.Boolean),
            new Field("d", ArrowType.Date32),
            new Field("tz", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC")),
            new Field("ts", ArrowType.Timestamp(TimeUnit.Microsecond)),
            new Field("s", ArrowType.Utf8),
            new Field("mixed", ArrowType.Float64),
            new Field("empty", ArrowType.Utf8),
        ]);
        Assert.Equal(schema, batch.Schema);
        var expected = new RecordBatchBuilder(schema);
        expected.AppendRow(1L, 1.5, true, new DateOnly(2024, 3, 1), new DateTimeOffset(2024, 3, 1, 6, 0, 0, TimeSpan.Zero),
            new DateTime(2024, 3, 1, 6, 0, 0), "x", 1.0, null);
        expected.AppendRow(-2L, null, false, null, new DateTimeOffset(2024, 3, 1, 7, 30, 0, TimeSpan.FromHours(2)).AddTicks(1_234_560),
            new DateTime(2024, 3, 1, 7, 30, 0).AddMilliseconds(500), null, 2.5, null);
        expected.AppendRow(null, 3.0, null, new DateOnly(1999, 12, 31), null, null, "a,b", null, null);
        AssertBatch(expected.Build(), batch);
    }

    [Theory]
    [InlineData("2024-01-01\n2024-01-01T00:00:00\n", "timestamp[us]")]
    [InlineData("2024-01-01\n2024-01-01T00:00:00Z\n", "utf8")]
    [InlineData("2024-01-01T00:00:00Z\n2024-01-01T00:00:00\n", "utf8")]
    [InlineData("99999999999999999999\n", "utf8")]
    [InlineData("1\n2.5e3\n", "float64")]
    [InlineData("1\ntrue\n", "utf8")]
    [InlineData("0\n1\n", "int64")]
    [InlineData("NaN\n1.5\n", "float64")]
    [InlineData("2024-01-01T00:00:00.12345678\n", "utf8")]
    public void Inference_of_a_mixed_column(string values, string expected)
    {
        using var reader = Reader("c\n" + values);
        Assert.Equal(expected, CsvSchemaSpec.FormatType(reader.Schema.Fields[0].Type));
    }

    [Fact]
    public void Options_delimiter_quote_no_header_and_batch_size()
    {
        var options = new CsvReadOptions { Delimiter = ';', Quote = '\'', HasHeader = false, BatchSize = 2 };
        var batches = ReadAll("1;'a;b'\n2;'it''s'\n3;c\n", options);
        Assert.Equal([2, 1], batches.Select(b => b.Length));
        var schema = new Schema([new Field("f0", ArrowType.Int64), new Field("f1", ArrowType.Utf8)]);
        var first = new RecordBatchBuilder(schema);
        first.AppendRow(1L, "a;b");
        first.AppendRow(2L, "it's");
        AssertBatch(first.Build(), batches[0]);
        var second = new RecordBatchBuilder(schema);
        second.AppendRow(3L, "c");
        AssertBatch(second.Build(), batches[1]);
    }

    [Fact]
    public void Schema_override_replaces_inference_for_named_columns_only()
    {
        var options = new CsvReadOptions { SchemaOverride = CsvSchemaSpec.Parse("a:int32, c:timestamp[ms,UTC],d:decimal128(5,2)") };
        var batch = Assert.Single(ReadAll("a,b,c,d\n7,x,2024-03-01T06:00:00.250+01:00,12.5\n", options));
        var schema = new Schema(
        [
            new Field("a", ArrowType.Int32),
            new Field("b", ArrowType.Utf8),
            new Field("c", ArrowType.Timestamp(TimeUnit.Millisecond, "UTC")),
            new Field("d", ArrowType.Decimal(5, 2)),
        ]);
        var expected = new RecordBatchBuilder(schema);
        expected.AppendRow(7, "x", new DateTimeOffset(2024, 3, 1, 5, 0, 0, TimeSpan.Zero).AddMilliseconds(250), 12.5m);
        AssertBatch(expected.Build(), batch);
    }

    [Theory]
    [InlineData("a:int33", "unknown type")]
    [InlineData("a", "name:type")]
    [InlineData("a:int32,a:utf8", "twice")]
    [InlineData("a:timestamp[xs]", "unit")]
    [InlineData("a:decimal(40,2)", "precision")]
    [InlineData("a:int32,,b:utf8", "empty entry")]
    public void Schema_spec_errors_are_clear(string spec, string fragment)
    {
        var e = Assert.Throws<CsvFormatException>(() => CsvSchemaSpec.Parse(spec));
        Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_spec_formats_back_to_itself()
    {
        const string spec = "a:int32,b:utf8,c:timestamp[ms,UTC],d:bool,e:date32,f:decimal128(10,3),g:uint16,h:float32";
        Assert.Equal(spec, CsvSchemaSpec.Format(CsvSchemaSpec.Parse(spec)));
    }

    [Fact]
    public void Override_of_an_unknown_column_is_refused()
    {
        var options = new CsvReadOptions { SchemaOverride = CsvSchemaSpec.Parse("zz:int32") };
        var e = Assert.Throws<CsvFormatException>(() => Reader("a\n1\n", options));
        Assert.Contains("'zz'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_past_the_inference_sample_that_does_not_fit_names_line_and_column()
    {
        var options = new CsvReadOptions { InferenceRows = 2 };
        using var reader = Reader("a,b\n1,2\n3,4\n5,x\n", options);
        Assert.Equal(ArrowType.Int64, reader.Schema.Fields[1].Type);
        var e = Assert.Throws<CsvFormatException>(() => reader.ReadNext());
        Assert.Equal(4, e.Line);
        Assert.Equal(2, e.Column);
        Assert.Contains("'x' is not a valid int64 for column 'b'", e.Message, StringComparison.Ordinal);
        Assert.Contains("inferred from the first 2 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_out_of_an_overridden_range_is_an_error()
    {
        var options = new CsvReadOptions { SchemaOverride = CsvSchemaSpec.Parse("a:int8") };
        using var reader = Reader("a\n1\n300\n", options);
        var e = Assert.Throws<CsvFormatException>(() => reader.ReadNext());
        Assert.Equal(3, e.Line);
        Assert.Equal(1, e.Column);
        Assert.Contains("given in the schema", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n1,2\n3,4,5\n", 3, 3)]
    [InlineData("a,b\n1,2\n3\n", 3, 2)]
    [InlineData("a,b\n1,2\n3,\"x\n", 3, null)]
    [InlineData("a,b\n1,2\n3,\"x\"y\n", 3, null)]
    [InlineData("a,b\n1,\"two\nlines\"\n3,4,5\n", 4, 3)]
    public void Malformed_records_name_their_line(string text, long line, int? column)
    {
        var e = Assert.Throws<CsvFormatException>(() => ReadAll(text));
        Assert.Equal(line, e.Line);
        if (column is not null)
        {
            Assert.Equal(column, e.Column);
        }
    }

    [Fact]
    public void An_over_long_field_is_refused()
    {
        var options = new CsvReadOptions { MaxFieldChars = 100 };
        var e = Assert.Throws<CsvFormatException>(() => ReadAll("a\n\"" + new string('x', 1000), options));
        Assert.NotNull(e.Line);
    }

    [Fact]
    public void An_over_long_field_is_refused_without_naming_the_parsers_exception()
    {
        var options = new CsvReadOptions { MaxFieldChars = 100 };
        var e = Assert.Throws<CsvFormatException>(() => ReadAll("a\n" + new string('x', 1000) + "\n", options));
        Assert.Contains("longer than the limit of 100 characters", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("h\n")]
    [InlineData("")]
    public void An_endless_record_of_short_fields_is_refused_after_reading_about_the_limit(string header)
    {
        // A record of "1," that goes on (here for 64 MiB): it must be refused once it passes the
        // limit, not read whole. The header case is the same attack on the first line.
        var options = new CsvReadOptions { MaxRecordChars = 64 << 10, MaxFieldChars = 64 << 10 };
        using var endless = new RepeatingReader(header, "1,", 64L << 20);
        var e = Assert.Throws<CsvFormatException>(() =>
        {
            using var reader = new CsvBatchReader(endless, options, leaveOpen: true);
            while (reader.ReadNext() is { } batch)
            {
                batch.Dispose();
            }
        });

        Assert.Contains("a record is longer than the limit of 65536 characters", e.Message, StringComparison.Ordinal);
        Assert.InRange(endless.CharsRead, 64 << 10, (64 << 10) + (2 << 20));
    }

    [Fact]
    public void A_record_with_more_fields_than_the_limit_is_refused()
    {
        var options = new CsvReadOptions { MaxFields = 100 };
        var e = Assert.Throws<CsvFormatException>(() => ReadAll(string.Join(',', Enumerable.Range(0, 200)) + "\n", options));
        Assert.Contains("200 fields, more than the limit of 100", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A prefix, then one piece of text again and again up to a length: an endless record, bounded for the test.</summary>
    private sealed class RepeatingReader(string prefix, string piece, long length) : TextReader
    {
        public long CharsRead { get; private set; }

        public override int Read(char[] buffer, int index, int count) => Read(buffer.AsSpan(index, count));

        public override int Read(Span<char> buffer)
        {
            int n = 0;
            while (n < buffer.Length && CharsRead < length)
            {
                buffer[n++] = CharsRead < prefix.Length ? prefix[(int)CharsRead] : piece[(int)((CharsRead - prefix.Length) % piece.Length)];
                CharsRead++;
            }

            return n;
        }

        public override int Peek() => CharsRead < length ? (CharsRead < prefix.Length ? prefix[(int)CharsRead] : piece[0]) : -1;

        public override int Read()
        {
            Span<char> one = stackalloc char[1];
            return Read(one) == 1 ? one[0] : -1;
        }
    }

    [Fact]
    public void Empty_input_and_duplicate_header_are_errors_header_only_is_an_empty_table()
    {
        Assert.Throws<CsvFormatException>(() => Reader(string.Empty));
        var dup = Assert.Throws<CsvFormatException>(() => Reader("a,a\n1,2\n"));
        Assert.Equal(2, dup.Column);
        using var reader = Reader("a,b\n");
        Assert.Equal(2, reader.Schema.Fields.Length);
        Assert.Null(reader.ReadNext());
    }

    [Fact]
    public void Rows_spanning_many_batches_come_back_in_order()
    {
        var text = new System.Text.StringBuilder("n,s\n");
        for (int i = 0; i < 2_500; i++)
        {
            text.Append(i).Append(",v").Append(i).Append('\n');
        }

        var batches = ReadAll(text.ToString(), new CsvReadOptions { BatchSize = 1_000, InferenceRows = 10 });
        Assert.Equal([1_000, 1_000, 500], batches.Select(b => b.Length));
        var schema = new Schema([new Field("n", ArrowType.Int64), new Field("s", ArrowType.Utf8)]);
        var last = new RecordBatchBuilder(schema);
        for (int i = 2_000; i < 2_500; i++)
        {
            last.AppendRow((long)i, "v" + i);
        }

        AssertBatch(last.Build(), batches[2]);
    }
}
