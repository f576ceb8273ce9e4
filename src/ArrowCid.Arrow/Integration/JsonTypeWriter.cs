using System.Text.Json;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>Writes the <c>type</c> object of a field (Integration.rst "Type"); children are written by the field writer.</summary>
internal static class JsonTypeWriter
{
    /// <summary>Writes <paramref name="type"/>, which must not be a dictionary or extension (the field writer unwraps those).</summary>
    public static void Write(Utf8JsonWriter w, ArrowType type)
    {
        w.WriteStartObject();
        switch (type.Id)
        {
            case ArrowTypeId.Int8 or ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64
                or ArrowTypeId.UInt8 or ArrowTypeId.UInt16 or ArrowTypeId.UInt32 or ArrowTypeId.UInt64:
                w.WriteString("name", "int");
                w.WriteBoolean("isSigned", type.IsSignedInteger);
                w.WriteNumber("bitWidth", type.BitWidth);
                break;
            case ArrowTypeId.Float16 or ArrowTypeId.Float32 or ArrowTypeId.Float64:
                w.WriteString("name", "floatingpoint");
                w.WriteString("precision", type.Id switch { ArrowTypeId.Float16 => "HALF", ArrowTypeId.Float32 => "SINGLE", _ => "DOUBLE" });
                break;
            case ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal128 or ArrowTypeId.Decimal256:
                w.WriteString("name", "decimal");
                w.WriteNumber("precision", type.Precision);
                w.WriteNumber("scale", type.Scale);
                w.WriteNumber("bitWidth", type.BitWidth);
                break;
            case ArrowTypeId.Date32 or ArrowTypeId.Date64:
                w.WriteString("name", "date");
                w.WriteString("unit", type.Id == ArrowTypeId.Date32 ? "DAY" : "MILLISECOND");
                break;
            case ArrowTypeId.Time32 or ArrowTypeId.Time64:
                w.WriteString("name", "time");
                w.WriteString("unit", UnitName(type.Unit));
                w.WriteNumber("bitWidth", type.BitWidth);
                break;
            case ArrowTypeId.Timestamp:
                w.WriteString("name", "timestamp");
                w.WriteString("unit", UnitName(type.Unit));
                if (type.TimeZone is not null)
                {
                    w.WriteString("timezone", type.TimeZone);
                }

                break;
            case ArrowTypeId.Duration:
                w.WriteString("name", "duration");
                w.WriteString("unit", UnitName(type.Unit));
                break;
            case ArrowTypeId.IntervalYearMonth or ArrowTypeId.IntervalDayTime or ArrowTypeId.IntervalMonthDayNano:
                w.WriteString("name", "interval");
                w.WriteString("unit", type.Id switch
                {
                    ArrowTypeId.IntervalYearMonth => "YEAR_MONTH",
                    ArrowTypeId.IntervalDayTime => "DAY_TIME",
                    _ => "MONTH_DAY_NANO",
                });
                break;
            case ArrowTypeId.FixedSizeBinary:
                w.WriteString("name", "fixedsizebinary");
                w.WriteNumber("byteWidth", type.ByteWidth);
                break;
            case ArrowTypeId.FixedSizeList:
                w.WriteString("name", "fixedsizelist");
                w.WriteNumber("listSize", type.ListSize);
                break;
            case ArrowTypeId.Map:
                w.WriteString("name", "map");
                w.WriteBoolean("keysSorted", type.KeysSorted);
                break;
            case ArrowTypeId.SparseUnion or ArrowTypeId.DenseUnion:
                w.WriteString("name", "union");
                w.WriteString("mode", type.Id == ArrowTypeId.DenseUnion ? "DENSE" : "SPARSE");
                w.WriteStartArray("typeIds");
                foreach (sbyte code in type.TypeCodes)
                {
                    w.WriteNumberValue(code);
                }

                w.WriteEndArray();
                break;
            case ArrowTypeId.Dictionary or ArrowTypeId.Extension:
                throw new ArgumentException($"{type} is written as its value or storage type by the field writer", nameof(type));
            default:
                w.WriteString("name", SimpleName(type.Id));
                break;
        }

        w.WriteEndObject();
    }

    private static string UnitName(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "SECOND",
        TimeUnit.Millisecond => "MILLISECOND",
        TimeUnit.Microsecond => "MICROSECOND",
        _ => "NANOSECOND",
    };

    private static string SimpleName(ArrowTypeId id) => id switch
    {
        ArrowTypeId.Null => "null",
        ArrowTypeId.Boolean => "bool",
        ArrowTypeId.Binary => "binary",
        ArrowTypeId.LargeBinary => "largebinary",
        ArrowTypeId.Utf8 => "utf8",
        ArrowTypeId.LargeUtf8 => "largeutf8",
        ArrowTypeId.BinaryView => "binaryview",
        ArrowTypeId.Utf8View => "utf8view",
        ArrowTypeId.List => "list",
        ArrowTypeId.LargeList => "largelist",
        ArrowTypeId.ListView => "listview",
        ArrowTypeId.LargeListView => "largelistview",
        ArrowTypeId.Struct => "struct",
        ArrowTypeId.RunEndEncoded => "runendencoded",
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "no JSON type name"),
    };
}
