using System.Collections.Immutable;
using System.Text.Json;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>Reads a field's <c>type</c> object (Integration.rst "Type") into an <see cref="ArrowType"/>.</summary>
internal static class JsonTypeReader
{
    /// <summary>The type named by <paramref name="type"/>, with <paramref name="children"/> as its child fields.</summary>
    public static ArrowType Read(JsonElement type, ImmutableArray<Field> children, string where)
    {
        string name = String(Required(type, "name", where), $"{where} type name");
        try
        {
            return Build(type, name, children, where);
        }
        catch (ArgumentException ex)
        {
            // The model's factories reject impossible parameters (precision 0, a map of a non-struct…).
            throw new ArrowFormatException($"{where}: invalid {name} type: {ex.Message}", ex);
        }
    }

    private static ArrowType Build(JsonElement type, string name, ImmutableArray<Field> children, string where)
    {
        int expectedChildren = name switch
        {
            "list" or "largelist" or "listview" or "largelistview" or "fixedsizelist" or "map" => 1,
            "runendencoded" => 2,
            "struct" or "union" => -1,
            _ => 0,
        };
        if (expectedChildren >= 0 && children.Length != expectedChildren)
        {
            throw new ArrowFormatException($"{where}: a {name} field has {expectedChildren} children, this one {children.Length}");
        }

        return name switch
        {
            "null" => ArrowType.Null,
            "bool" => ArrowType.Boolean,
            "int" => ArrowType.Integer(Int32(Required(type, "bitWidth", where), $"{where} bitWidth"), Bool(Required(type, "isSigned", where), $"{where} isSigned")),
            "floatingpoint" => String(Required(type, "precision", where), $"{where} precision") switch
            {
                "HALF" => ArrowType.Float16,
                "SINGLE" => ArrowType.Float32,
                "DOUBLE" => ArrowType.Float64,
                var p => throw new ArrowFormatException($"{where}: unknown floating-point precision '{p}'"),
            },
            "binary" => ArrowType.Binary,
            "largebinary" => ArrowType.LargeBinary,
            "utf8" => ArrowType.Utf8,
            "largeutf8" => ArrowType.LargeUtf8,
            "binaryview" => ArrowType.BinaryView,
            "utf8view" => ArrowType.Utf8View,
            "fixedsizebinary" => ArrowType.FixedSizeBinary(Int32(Required(type, "byteWidth", where), $"{where} byteWidth")),
            "decimal" => ArrowType.Decimal(
                Int32(Required(type, "precision", where), $"{where} precision"),
                Int32(Required(type, "scale", where), $"{where} scale"),
                Optional(type, "bitWidth") is { } bits ? Int32(bits, $"{where} bitWidth") : 128),
            "date" => Unit(type, where) switch
            {
                "DAY" => ArrowType.Date32,
                "MILLISECOND" => ArrowType.Date64,
                var u => throw new ArrowFormatException($"{where}: unknown date unit '{u}'"),
            },
            "time" => Time(type, where),
            "timestamp" => ArrowType.Timestamp(TimeUnitOf(type, where),
                Optional(type, "timezone") is { } tz ? String(tz, $"{where} timezone") : null),
            "duration" => ArrowType.Duration(TimeUnitOf(type, where)),
            "interval" => Unit(type, where) switch
            {
                "YEAR_MONTH" => ArrowType.IntervalYearMonth,
                "DAY_TIME" => ArrowType.IntervalDayTime,
                "MONTH_DAY_NANO" => ArrowType.IntervalMonthDayNano,
                var u => throw new ArrowFormatException($"{where}: unknown interval unit '{u}'"),
            },
            "list" => ArrowType.List(children[0]),
            "largelist" => ArrowType.LargeList(children[0]),
            "listview" => ArrowType.ListView(children[0]),
            "largelistview" => ArrowType.LargeListView(children[0]),
            "fixedsizelist" => ArrowType.FixedSizeList(children[0], Int32(Required(type, "listSize", where), $"{where} listSize")),
            "struct" => ArrowType.Struct(children),
            "map" => ArrowType.Map(children[0], Optional(type, "keysSorted") is { } sorted && Bool(sorted, $"{where} keysSorted")),
            "union" => Union(type, children, where),
            "runendencoded" => ArrowType.RunEndEncoded(children[0], children[1]),
            _ => throw new ArrowFormatException($"{where}: unknown type name '{name}'"),
        };
    }

    private static string Unit(JsonElement type, string where) => String(Required(type, "unit", where), $"{where} unit");

    private static TimeUnit TimeUnitOf(JsonElement type, string where) => Unit(type, where) switch
    {
        "SECOND" => TimeUnit.Second,
        "MILLISECOND" => TimeUnit.Millisecond,
        "MICROSECOND" => TimeUnit.Microsecond,
        "NANOSECOND" => TimeUnit.Nanosecond,
        var u => throw new ArrowFormatException($"{where}: unknown time unit '{u}'"),
    };

    private static ArrowType Time(JsonElement type, string where)
    {
        var time = ArrowType.Time(TimeUnitOf(type, where));
        if (Optional(type, "bitWidth") is { } bits && Int32(bits, $"{where} bitWidth") != time.BitWidth)
        {
            throw new ArrowFormatException($"{where}: time in {time.Unit} is {time.BitWidth}-bit, not {bits.GetRawText()}");
        }

        return time;
    }

    private static ArrowType Union(JsonElement type, ImmutableArray<Field> children, string where)
    {
        bool dense = String(Required(type, "mode", where), $"{where} mode") switch
        {
            "SPARSE" => false,
            "DENSE" => true,
            var m => throw new ArrowFormatException($"{where}: unknown union mode '{m}'"),
        };
        var ids = Array(type, "typeIds", where, children.Length);
        var codes = ids.EnumerateArray().Select((e, i) => (sbyte)InRange(Integer(e, $"{where} typeIds[{i}]"), 0, 127, $"{where} typeIds[{i}]"));
        return ArrowType.Union(dense, children, [.. codes]);
    }
}
