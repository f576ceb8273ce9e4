using System.Numerics;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Tests.Builders;

/// <summary>One sample per type: the values appended and, where it differs, what GetValue gives back.</summary>
public sealed record Sample(string Name, ArrowType Type, object?[] Values, object?[]? Expected = null)
{
    public object?[] ExpectedValues => Expected ?? Values;

    public override string ToString() => Name;
}

public static class SampleArrays
{
    private static readonly Field IntItem = new("item", ArrowType.Int32);
    private static readonly Field StrItem = new("item", ArrowType.Utf8);

    public static IReadOnlyList<Sample> All { get; } =
    [
        new("null", ArrowType.Null, [null, null]),
        new("bool", ArrowType.Boolean, [true, null, false, true, true, false, false, true, true]),
        new("int8", ArrowType.Int8, [(sbyte)-128, null, (sbyte)127]),
        new("int16", ArrowType.Int16, [(short)-300, null, (short)300]),
        new("int32", ArrowType.Int32, [1, null, -3, int.MaxValue]),
        new("int64", ArrowType.Int64, [long.MinValue, null, 5L]),
        new("uint8", ArrowType.UInt8, [(byte)255, null, (byte)0]),
        new("uint16", ArrowType.UInt16, [(ushort)65535, null]),
        new("uint32", ArrowType.UInt32, [uint.MaxValue, null]),
        new("uint64", ArrowType.UInt64, [ulong.MaxValue, null, 1UL]),
        new("float16", ArrowType.Float16, [(Half)1.5, null, (Half)(-0.25)]),
        new("float32", ArrowType.Float32, [0.1f, null, float.NaN]),
        new("float64", ArrowType.Float64, [0.1, null, double.NegativeInfinity]),
        new("decimal32", ArrowType.Decimal(9, 2, 32), [-12.34m, null, 0.05m]),
        new("decimal64", ArrowType.Decimal(18, 3, 64), [123456789012.345m, null]),
        new("decimal128", ArrowType.Decimal(38, 2, 128), [-12.34m, null, 99.5m]),
        new("decimal256", ArrowType.Decimal(76, 10, 256),
            [new ArrowDecimal(BigInteger.Parse("-123456789012345678901234567890123456789012345678901234567890"), 10), null, 1.5m]),
        new("date32", ArrowType.Date32, [new DateOnly(2024, 1, 31), null, new DateOnly(1969, 12, 31)]),
        new("date64", ArrowType.Date64, [new DateOnly(1970, 1, 2), null]),
        new("time32s", ArrowType.Time(TimeUnit.Second), [new TimeOnly(13, 45, 0), null]),
        new("time32ms", ArrowType.Time(TimeUnit.Millisecond), [new TimeOnly(13, 45, 0, 250), null]),
        new("time64us", ArrowType.Time(TimeUnit.Microsecond), [new TimeOnly(23, 59, 59, 999, 999), null]),
        new("time64ns", ArrowType.Time(TimeUnit.Nanosecond), [new TimeOnly(0, 0, 1), null]),
        new("timestamp_us_utc", ArrowType.Timestamp(TimeUnit.Microsecond, "UTC"),
            [new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(60), null]),
        new("timestamp_ns", ArrowType.Timestamp(TimeUnit.Nanosecond),
            [new DateTime(2000, 1, 1, 12, 0, 0, DateTimeKind.Unspecified), null]),
        new("duration_ms", ArrowType.Duration(TimeUnit.Millisecond), [TimeSpan.FromMilliseconds(1500), null]),
        new("interval_ym", ArrowType.IntervalYearMonth, [14, null]),
        new("interval_dt", ArrowType.IntervalDayTime, [new DayTimeInterval(3, 250), null]),
        new("interval_mdn", ArrowType.IntervalMonthDayNano, [new MonthDayNanoInterval(1, 2, 3), null]),
        new("binary", ArrowType.Binary, [new byte[] { 0x0a, 0xff }, null, Array.Empty<byte>()]),
        new("large_binary", ArrowType.LargeBinary, [new byte[] { 1, 2, 3 }, null]),
        new("utf8", ArrowType.Utf8, ["héllo", null, "", "x"]),
        new("large_utf8", ArrowType.LargeUtf8, ["a", null, "ü"]),
        new("binary_view", ArrowType.BinaryView, [new byte[] { 1 }, null, new byte[20]]),
        new("utf8_view", ArrowType.Utf8View, ["short", null, "a string longer than twelve bytes"]),
        new("fixed_size_binary", ArrowType.FixedSizeBinary(3), [new byte[] { 1, 2, 3 }, null]),
        new("list", ArrowType.List(IntItem), [new object?[] { 1, 2, null }, null, Array.Empty<object?>()]),
        new("large_list", ArrowType.LargeList(StrItem), [new object?[] { "a", "b" }, null]),
        new("list_view", ArrowType.ListView(IntItem), [new object?[] { 7 }, null, new object?[] { 8, 9 }]),
        new("large_list_view", ArrowType.LargeListView(StrItem), [new object?[] { "z" }, null]),
        new("fixed_size_list", ArrowType.FixedSizeList(new Field("item", ArrowType.Int16), 2),
            [new object?[] { (short)1, (short)2 }, null, new object?[] { null, (short)4 }]),
        new("struct", ArrowType.Struct(new Field("a", ArrowType.Int32), new Field("b", ArrowType.Utf8)),
            [new Dictionary<string, object?> { ["a"] = 1, ["b"] = "x" }, null, new Dictionary<string, object?> { ["a"] = null, ["b"] = "y" }]),
        new("map", ArrowType.Map(ArrowType.Utf8, ArrowType.Int32),
            [new List<KeyValuePair<object?, object?>> { new("k1", 1), new("k2", null) }, null, new List<KeyValuePair<object?, object?>>()]),
        new("sparse_union", ArrowType.Union(false, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [5, 7]),
            [((sbyte)5, (object?)42), ((sbyte)7, (object?)"s"), null], [42, "s", null]),
        new("dense_union", ArrowType.Union(true, [new Field("i", ArrowType.Int32), new Field("s", ArrowType.Utf8)], [5, 7]),
            [((sbyte)7, (object?)"t"), ((sbyte)5, (object?)-1), null], ["t", -1, null]),
        new("dictionary", ArrowType.Dictionary(ArrowType.Int8, ArrowType.Utf8), ["a", "b", null, "a", "a"]),
        new("dictionary_u16", ArrowType.Dictionary(ArrowType.UInt16, ArrowType.Int64), [5L, 5L, null, 6L]),
        new("ree", ArrowType.RunEndEncoded(ArrowType.Int32, new Field("values", ArrowType.Utf8)), ["a", "a", null, null, "b"]),
        new("ree_i16", ArrowType.RunEndEncoded(ArrowType.Int16, new Field("values", ArrowType.Float64)), [1.0, 1.0, 2.0]),
        new("extension", ArrowType.Extension("example.rgb", null, ArrowType.FixedSizeBinary(3)), [new byte[] { 9, 8, 7 }, null]),
    ];

    public static ArrowCid.Arrow.Arrays.ArrayData Build(Sample sample)
    {
        var builder = ArrayBuilder.Create(sample.Type);
        foreach (var value in sample.Values)
        {
            builder.Append(value);
        }

        return builder.Build();
    }

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var s in All)
        {
            data.Add(s.Name);
        }

        return data;
    }

    public static Sample Get(string name) => All.Single(s => s.Name == name);
}
