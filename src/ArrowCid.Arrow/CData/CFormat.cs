using System.Collections.Immutable;
using System.Globalization;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.CData;

/// <summary>
/// Format strings of the C Data Interface (CDataInterface.rst, "Data type description -- format
/// strings"), both ways. The format of a dictionary-encoded type is its index type's; extension
/// types travel as their storage type plus metadata, so neither has a format of its own here.
/// </summary>
internal static class CFormat
{
    /// <summary>The format string of <paramref name="type"/> (not an extension or dictionary type).</summary>
    public static string Of(ArrowType type) => type.Id switch
    {
        ArrowTypeId.Null => "n",
        ArrowTypeId.Boolean => "b",
        ArrowTypeId.Int8 => "c",
        ArrowTypeId.UInt8 => "C",
        ArrowTypeId.Int16 => "s",
        ArrowTypeId.UInt16 => "S",
        ArrowTypeId.Int32 => "i",
        ArrowTypeId.UInt32 => "I",
        ArrowTypeId.Int64 => "l",
        ArrowTypeId.UInt64 => "L",
        ArrowTypeId.Float16 => "e",
        ArrowTypeId.Float32 => "f",
        ArrowTypeId.Float64 => "g",
        ArrowTypeId.Binary => "z",
        ArrowTypeId.LargeBinary => "Z",
        ArrowTypeId.BinaryView => "vz",
        ArrowTypeId.Utf8 => "u",
        ArrowTypeId.LargeUtf8 => "U",
        ArrowTypeId.Utf8View => "vu",
        ArrowTypeId.Decimal128 => Invariant($"d:{type.Precision},{type.Scale}"),
        ArrowTypeId.Decimal32 or ArrowTypeId.Decimal64 or ArrowTypeId.Decimal256 => Invariant($"d:{type.Precision},{type.Scale},{type.BitWidth}"),
        ArrowTypeId.FixedSizeBinary => Invariant($"w:{type.ByteWidth}"),
        ArrowTypeId.Date32 => "tdD",
        ArrowTypeId.Date64 => "tdm",
        ArrowTypeId.Time32 or ArrowTypeId.Time64 => "tt" + UnitChar(type.Unit),
        ArrowTypeId.Timestamp => "ts" + UnitChar(type.Unit) + ":" + type.TimeZone,
        ArrowTypeId.Duration => "tD" + UnitChar(type.Unit),
        ArrowTypeId.IntervalYearMonth => "tiM",
        ArrowTypeId.IntervalDayTime => "tiD",
        ArrowTypeId.IntervalMonthDayNano => "tin",
        ArrowTypeId.List => "+l",
        ArrowTypeId.LargeList => "+L",
        ArrowTypeId.ListView => "+vl",
        ArrowTypeId.LargeListView => "+vL",
        ArrowTypeId.FixedSizeList => Invariant($"+w:{type.ListSize}"),
        ArrowTypeId.Struct => "+s",
        ArrowTypeId.Map => "+m",
        ArrowTypeId.DenseUnion => "+ud:" + string.Join(',', type.TypeCodes.Select(c => c.ToString(CultureInfo.InvariantCulture))),
        ArrowTypeId.SparseUnion => "+us:" + string.Join(',', type.TypeCodes.Select(c => c.ToString(CultureInfo.InvariantCulture))),
        ArrowTypeId.RunEndEncoded => "+r",
        _ => throw new ArgumentException($"{type} has no format string of its own", nameof(type)),
    };

    /// <summary>
    /// The type a format string names, given the already imported child fields (their count must
    /// match the type). Throws <see cref="ArrowFormatException"/> for anything malformed or unknown.
    /// </summary>
    public static ArrowType Parse(string format, ImmutableArray<Field> children, bool mapKeysSorted)
    {
        try
        {
            var type = ParseCore(format, children, mapKeysSorted);
            int expected = type.Children.Length;
            if (children.Length != expected)
            {
                throw new ArrowFormatException($"format '{format}' takes {expected} children, the schema has {children.Length}");
            }

            return type;
        }
        catch (ArgumentException e)
        {
            throw new ArrowFormatException($"format '{format}': {e.Message}", e);
        }
    }

    private static ArrowType ParseCore(string f, ImmutableArray<Field> children, bool mapKeysSorted)
    {
        switch (f)
        {
            case "n": return ArrowType.Null;
            case "b": return ArrowType.Boolean;
            case "c": return ArrowType.Int8;
            case "C": return ArrowType.UInt8;
            case "s": return ArrowType.Int16;
            case "S": return ArrowType.UInt16;
            case "i": return ArrowType.Int32;
            case "I": return ArrowType.UInt32;
            case "l": return ArrowType.Int64;
            case "L": return ArrowType.UInt64;
            case "e": return ArrowType.Float16;
            case "f": return ArrowType.Float32;
            case "g": return ArrowType.Float64;
            case "z": return ArrowType.Binary;
            case "Z": return ArrowType.LargeBinary;
            case "vz": return ArrowType.BinaryView;
            case "u": return ArrowType.Utf8;
            case "U": return ArrowType.LargeUtf8;
            case "vu": return ArrowType.Utf8View;
            case "tdD": return ArrowType.Date32;
            case "tdm": return ArrowType.Date64;
            case "tiM": return ArrowType.IntervalYearMonth;
            case "tiD": return ArrowType.IntervalDayTime;
            case "tin": return ArrowType.IntervalMonthDayNano;
            case "+l": return ArrowType.List(One(f, children));
            case "+L": return ArrowType.LargeList(One(f, children));
            case "+vl": return ArrowType.ListView(One(f, children));
            case "+vL": return ArrowType.LargeListView(One(f, children));
            case "+s": return ArrowType.Struct(children);
            case "+m": return ArrowType.Map(One(f, children), mapKeysSorted);
            case "+r":
                if (children.Length != 2)
                {
                    throw new ArrowFormatException($"format '+r' takes 2 children (run_ends, values), the schema has {children.Length}");
                }

                if (children[0].Type.Id is not (ArrowTypeId.Int16 or ArrowTypeId.Int32 or ArrowTypeId.Int64))
                {
                    throw new ArrowFormatException($"run ends must be int16, int32 or int64, not {children[0].Type}");
                }

                return ArrowType.RunEndEncoded(children[0], children[1]);
            default:
                break;
        }

        if (f.Length == 3 && f[0] == 't' && f[1] is 't' or 'D')
        {
            var unit = Unit(f, f[2]);
            return f[1] == 't' ? ArrowType.Time(unit) : ArrowType.Duration(unit);
        }

        if (f.Length >= 4 && f.StartsWith("ts", StringComparison.Ordinal) && f[3] == ':')
        {
            string zone = f[4..];
            return ArrowType.Timestamp(Unit(f, f[2]), zone.Length == 0 ? null : zone);
        }

        if (f.StartsWith("d:", StringComparison.Ordinal))
        {
            var parts = f[2..].Split(',');
            if (parts.Length is < 2 or > 3)
            {
                throw new ArrowFormatException($"decimal format '{f}' must be d:precision,scale[,bitwidth]");
            }

            int precision = Number(f, parts[0], allowSign: false);
            int scale = Number(f, parts[1], allowSign: true);
            int bitWidth = parts.Length == 3 ? Number(f, parts[2], allowSign: false) : 128;
            return ArrowType.Decimal(precision, scale, bitWidth);
        }

        if (f.StartsWith("w:", StringComparison.Ordinal))
        {
            return ArrowType.FixedSizeBinary(Number(f, f[2..], allowSign: false));
        }

        if (f.StartsWith("+w:", StringComparison.Ordinal))
        {
            return ArrowType.FixedSizeList(One(f, children), Number(f, f[3..], allowSign: false));
        }

        if (f.StartsWith("+ud:", StringComparison.Ordinal) || f.StartsWith("+us:", StringComparison.Ordinal))
        {
            string list = f[4..];
            var codes = list.Length == 0 ? [] : list.Split(',').Select(c => Code(f, c)).ToArray();
            if (codes.Length != children.Length)
            {
                throw new ArrowFormatException($"union format '{f}' lists {codes.Length} type codes for {children.Length} children");
            }

            return ArrowType.Union(dense: f[2] == 'd', children, codes);
        }

        throw new ArrowFormatException($"unknown or malformed format string '{f}'");
    }

    private static Field One(string format, ImmutableArray<Field> children) =>
        children.Length == 1 ? children[0] : throw new ArrowFormatException($"format '{format}' takes 1 child, the schema has {children.Length}");

    private static TimeUnit Unit(string format, char c) => c switch
    {
        's' => TimeUnit.Second,
        'm' => TimeUnit.Millisecond,
        'u' => TimeUnit.Microsecond,
        'n' => TimeUnit.Nanosecond,
        _ => throw new ArrowFormatException($"unknown time unit '{c}' in format '{format}'"),
    };

    private static string UnitChar(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "s",
        TimeUnit.Millisecond => "m",
        TimeUnit.Microsecond => "u",
        _ => "n",
    };

    private static int Number(string format, string text, bool allowSign)
    {
        var style = allowSign ? NumberStyles.AllowLeadingSign : NumberStyles.None;
        if (text.Length == 0 || !int.TryParse(text, style, CultureInfo.InvariantCulture, out int value) || (!allowSign && value < 0))
        {
            throw new ArrowFormatException($"'{text}' is not a valid number in format '{format}'");
        }

        return value;
    }

    private static sbyte Code(string format, string text)
    {
        int value = Number(format, text, allowSign: false);
        return value <= sbyte.MaxValue ? (sbyte)value : throw new ArrowFormatException($"union type code {value} in format '{format}' is outside 0..127");
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
