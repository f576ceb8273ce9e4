using System.Numerics;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Printing;

public class ArrayPrinterTests
{
    private static ArrayData Build(ArrowType type, params object?[] values)
    {
        var builder = ArrayBuilder.Create(type);
        foreach (var v in values)
        {
            builder.Append(v);
        }

        return builder.Build();
    }

    private static string[] Texts(ArrayData array) =>
        [.. Enumerable.Range(0, array.Length).Select(i => ArrayPrinter.FormatValue(array, i))];

    [Fact]
    public void Scalars() 
    {
        Assert.Equal(["1", "null", "-3"], Texts(Build(ArrowType.Int32, 1, null, -3)));
        Assert.Equal(["18446744073709551615"], Texts(Build(ArrowType.UInt64, ulong.MaxValue)));
        Assert.Equal(["true", "false"], Texts(Build(ArrowType.Boolean, true, false)));
        Assert.Equal(["1.5", "-0.25"], Texts(Build(ArrowType.Float16, (Half)1.5, (Half)(-0.25))));
        Assert.Equal(["0.1", "NaN"], Texts(Build(ArrowType.Float64, 0.1, double.NaN)));
        Assert.Equal(["0.1"], Texts(Build(ArrowType.Float32, 0.1f)));
        Assert.Equal(["null", "null"], Texts(Build(ArrowType.Null, null, null)));
    }

    [Fact]
    public void Decimals_print_with_their_scale()
    {
        Assert.Equal(["-12.34", "0.05", "0.00"], Texts(Build(ArrowType.Decimal(9, 2, 32), -1234, 5, 0)));
        Assert.Equal(["0.005", "-0.005"], Texts(Build(ArrowType.Decimal(5, 3, 64), 5, -5)));
        Assert.Equal(["1200", "0"], Texts(Build(ArrowType.Decimal(5, -2), 12, 0)));
        Assert.Equal(["-123456789012345678901234567890.1234567890"],
            Texts(Build(ArrowType.Decimal(76, 10, 256), BigInteger.Parse("-1234567890123456789012345678901234567890"))));
    }

    [Fact]
    public void Text_and_bytes()
    {
        Assert.Equal(["héllo", "", "null"], Texts(Build(ArrowType.Utf8, "héllo", "", null)));
        Assert.Equal(["a string longer than twelve bytes", "x"], Texts(Build(ArrowType.Utf8View, "a string longer than twelve bytes", "x")));
        Assert.Equal(["0aff", ""], Texts(Build(ArrowType.Binary, new byte[] { 0x0a, 0xff }, Array.Empty<byte>())));
        Assert.Equal(["010203"], Texts(Build(ArrowType.FixedSizeBinary(3), new byte[] { 1, 2, 3 })));
    }

    [Fact]
    public void Dates_and_times()
    {
        Assert.Equal(["2024-01-31", "1969-12-31"], Texts(Build(ArrowType.Date32, new DateOnly(2024, 1, 31), -1)));
        Assert.Equal(["1970-01-02", "1970-01-01T00:00:01.500"], Texts(Build(ArrowType.Date64, new DateOnly(1970, 1, 2), 1500L)));
        Assert.Equal(["13:45:00"], Texts(Build(ArrowType.Time(TimeUnit.Second), new TimeOnly(13, 45))));
        Assert.Equal(["13:45:00.250"], Texts(Build(ArrowType.Time(TimeUnit.Millisecond), new TimeOnly(13, 45, 0, 250))));
        Assert.Equal(["00:00:00.000001"], Texts(Build(ArrowType.Time(TimeUnit.Microsecond), 1L)));
        Assert.Equal(["00:00:00.000000001"], Texts(Build(ArrowType.Time(TimeUnit.Nanosecond), 1L)));
    }

    [Fact]
    public void Timestamps_are_iso_8601_in_their_zone()
    {
        var instant = new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        Assert.Equal(["2024-01-02T03:04:05.678Z"], Texts(Build(ArrowType.Timestamp(TimeUnit.Millisecond, "UTC"), instant)));
        Assert.Equal(["2024-01-02T08:34:05+05:30"], Texts(Build(ArrowType.Timestamp(TimeUnit.Second, "+05:30"), instant)));
        Assert.Equal(["2024-01-01T22:04:05.678000-05:00"], Texts(Build(ArrowType.Timestamp(TimeUnit.Microsecond, "-05:00"), instant)));
        // Zone-less (wall clock) timestamps have no suffix; before the epoch the fraction still counts up.
        Assert.Equal(["1969-12-31T23:59:59.999999999"], Texts(Build(ArrowType.Timestamp(TimeUnit.Nanosecond), -1L)));
    }

    [Fact]
    public void Durations_and_intervals()
    {
        Assert.Equal(["1500ms", "-2s"], [
            ArrayPrinter.FormatValue(Build(ArrowType.Duration(TimeUnit.Millisecond), TimeSpan.FromMilliseconds(1500)), 0),
            ArrayPrinter.FormatValue(Build(ArrowType.Duration(TimeUnit.Second), -2L), 0)]);
        Assert.Equal(["14M"], Texts(Build(ArrowType.IntervalYearMonth, 14)));
        Assert.Equal(["3d250ms"], Texts(Build(ArrowType.IntervalDayTime, new DayTimeInterval(3, 250))));
        Assert.Equal(["1M2d3ns"], Texts(Build(ArrowType.IntervalMonthDayNano, (1, 2, 3L))));
    }

    [Fact]
    public void Nested_values()
    {
        var list = Build(ArrowType.List(new Field("item", ArrowType.Int32)), new object?[] { 1, 2, null }, null, Array.Empty<int>());
        Assert.Equal(["[1, 2, null]", "null", "[]"], Texts(list));

        var fsl = Build(ArrowType.FixedSizeList(new Field("item", ArrowType.Utf8), 2), (object)new[] { "a", "b" });
        Assert.Equal(["[a, b]"], Texts(fsl));

        var structType = ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8));
        Assert.Equal(["{a: 1, b: x}", "null"], Texts(Build(structType, new object?[] { 1, "x" }, null)));

        var map = Build(ArrowType.Map(ArrowType.Utf8, ArrowType.Utf8), new Dictionary<string, string?> { ["k1"] = "v1", ["k2"] = null });
        Assert.Equal(["{k1: v1, k2: null}"], Texts(map));

        var listOfStructs = Build(ArrowType.LargeListView(new Field("item", structType)), (object)new object?[] { new object?[] { 2, "y" }, null });
        Assert.Equal(["[{a: 2, b: y}, null]"], Texts(listOfStructs));
    }

    [Fact]
    public void Encoded_values_print_as_what_they_stand_for()
    {
        var union = ArrowType.Union(true, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [5, 7]);
        Assert.Equal(["42", "s", "null"], Texts(Build(union, ((sbyte)5, (object?)42), ((sbyte)7, (object?)"s"), null)));

        var dictionary = ArrowType.Dictionary(ArrowType.Int16, ArrowType.Utf8);
        Assert.Equal(["a", "b", "null", "a"], Texts(Build(dictionary, "a", "b", null, "a")));

        var ree = ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Int64));
        Assert.Equal(["7", "7", "null", "8"], Texts(Build(ree, 7L, 7L, null, 8L)));
    }

    [Fact]
    public void Sliced_arrays_print_their_own_slots()
    {
        var list = Build(ArrowType.List(new Field("item", ArrowType.Utf8)), new[] { "a" }, new[] { "b", "c" }, new[] { "d" });
        var slice = list.Slice(1, 2);
        Assert.Equal(["[b, c]", "[d]"], Texts(slice));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArrayPrinter.FormatValue(slice, 2));
    }

    [Fact]
    public void Batch_table_is_aligned_with_typed_headers()
    {
        var schema = new Schema([new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8)]);
        var builder = new RecordBatchBuilder(schema);
        builder.AppendRow(1, "x");
        builder.AppendRow(null, "line\nbreak");
        builder.AppendRow(300, null);
        using var batch = builder.Build();

        Assert.Equal(
            "a: int32 | b: string\n" +
            "---------+------------\n" +
            "1        | x\n" +
            "null     | line\\nbreak\n" +
            "300      | null\n",
            ArrayPrinter.Format(batch));

        Assert.Equal(
            "a: int32 | b: string\n" +
            "---------+----------\n" +
            "1        | x\n" +
            "… 2 more rows\n",
            ArrayPrinter.Format(batch, limit: 1));
        Assert.EndsWith("… 1 more row\n", ArrayPrinter.Format(batch, limit: 2), StringComparison.Ordinal);
    }

    [Fact]
    public void Get_value_returns_natural_clr_values()
    {
        Assert.Equal(new DateOnly(2024, 1, 31), ArrayPrinter.GetValue(Build(ArrowType.Date32, new DateOnly(2024, 1, 31)), 0));
        Assert.Equal(new TimeOnly(13, 45), ArrayPrinter.GetValue(Build(ArrowType.Time(TimeUnit.Second), new TimeOnly(13, 45)), 0));
        var utc = ArrayPrinter.GetValue(Build(ArrowType.Timestamp(TimeUnit.Second, "Asia/Kolkata"), 0L), 0);
        Assert.Equal(new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero), utc);
        Assert.Equal(long.MaxValue, ArrayPrinter.GetValue(Build(ArrowType.Timestamp(TimeUnit.Second), long.MaxValue), 0));
        Assert.Equal(new ArrowDecimal(BigInteger.Parse("12345678901234567890123456789012"), 2),
            ArrayPrinter.GetValue(Build(ArrowType.Decimal(38, 2), BigInteger.Parse("12345678901234567890123456789012")), 0));
    }
}
