using System.Globalization;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Ingest.Csv;

/// <summary>
/// The small text form of column types used to override CSV inference:
/// <c>name:type[,name:type…]</c>, e.g. <c>a:int32,b:utf8,c:timestamp[ms,UTC]</c>. Types: bool,
/// int8/16/32/64, uint8/16/32/64, float32 (float), float64 (double), utf8 (string), large_utf8,
/// date32 (date), timestamp[unit] and timestamp[unit,ZONE] (unit s, ms, us or ns),
/// decimal128(precision,scale) (decimal). Names cannot contain ':' or ','; spaces around parts
/// are ignored. Every field is nullable (an empty CSV field is null).
/// </summary>
public static class CsvSchemaSpec
{
    /// <summary>Parses <paramref name="spec"/>; a malformed spec is a <see cref="CsvFormatException"/> naming the part at fault.</summary>
    public static IReadOnlyList<Field> Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var fields = new List<Field>();
        foreach (string part in SplitTopLevel(spec))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == part.Length - 1)
            {
                throw new CsvFormatException($"schema entry '{part}' is not name:type");
            }

            string name = part[..colon].Trim();
            string type = part[(colon + 1)..].Trim();
            if (name.Length == 0)
            {
                throw new CsvFormatException($"schema entry '{part}' has no column name");
            }

            if (fields.Exists(f => f.Name == name))
            {
                throw new CsvFormatException($"schema names column '{name}' twice");
            }

            fields.Add(new Field(name, ParseType(type)));
        }

        return fields.Count > 0 ? fields : throw new CsvFormatException("the schema names no columns");
    }

    /// <summary>Parses one type name of the spec.</summary>
    public static ArrowType ParseType(string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        string t = type.Trim().ToLowerInvariant();
        switch (t)
        {
            case "bool" or "boolean": return ArrowType.Boolean;
            case "int8": return ArrowType.Int8;
            case "int16": return ArrowType.Int16;
            case "int32": return ArrowType.Int32;
            case "int64": return ArrowType.Int64;
            case "uint8": return ArrowType.UInt8;
            case "uint16": return ArrowType.UInt16;
            case "uint32": return ArrowType.UInt32;
            case "uint64": return ArrowType.UInt64;
            case "float32" or "float": return ArrowType.Float32;
            case "float64" or "double": return ArrowType.Float64;
            case "utf8" or "string": return ArrowType.Utf8;
            case "large_utf8": return ArrowType.LargeUtf8;
            case "date32" or "date": return ArrowType.Date32;
        }

        if (Arguments(type, "timestamp", '[', ']') is { } ts)
        {
            // The zone keeps its case: "UTC", "Europe/Lisbon", "+05:30".
            return ts.Length switch
            {
                1 => ArrowType.Timestamp(Unit(ts[0], type)),
                2 when ts[1].Length > 0 => ArrowType.Timestamp(Unit(ts[0], type), ts[1]),
                _ => throw new CsvFormatException($"type '{type}': timestamp takes [unit] or [unit,zone]"),
            };
        }

        if ((Arguments(type, "decimal128", '(', ')') ?? Arguments(type, "decimal", '(', ')')) is { } dec)
        {
            if (dec.Length == 2 && int.TryParse(dec[0], NumberStyles.None, CultureInfo.InvariantCulture, out int precision)
                && int.TryParse(dec[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int scale)
                && precision is >= 1 and <= 38 && scale >= 0 && scale <= precision)
            {
                return ArrowType.Decimal(precision, scale);
            }

            throw new CsvFormatException($"type '{type}': decimal takes (precision 1..38, scale 0..precision)");
        }

        throw new CsvFormatException($"unknown type '{type}' (bool, int8..int64, uint8..uint64, float32, float64, utf8, large_utf8, date32, timestamp[unit(,zone)], decimal128(p,s))");
    }

    /// <summary>The spec of <paramref name="fields"/> (types this spec can express), e.g. for messages and docs.</summary>
    public static string Format(IEnumerable<Field> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        return string.Join(",", fields.Select(f => $"{f.Name}:{FormatType(f.Type)}"));
    }

    /// <summary>The spec's name of <paramref name="type"/>.</summary>
    public static string FormatType(ArrowType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.Id switch
        {
            ArrowTypeId.Boolean => "bool",
            ArrowTypeId.Timestamp => type.TimeZone is null ? $"timestamp[{UnitName(type.Unit)}]" : $"timestamp[{UnitName(type.Unit)},{type.TimeZone}]",
            ArrowTypeId.Decimal128 => string.Create(CultureInfo.InvariantCulture, $"decimal128({type.Precision},{type.Scale})"),
            ArrowTypeId.Utf8 => "utf8",
            ArrowTypeId.LargeUtf8 => "large_utf8",
            ArrowTypeId.Date32 => "date32",
            _ => type.Id.ToString().ToLowerInvariant(),
        };
    }

    private static string UnitName(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "s",
        TimeUnit.Millisecond => "ms",
        TimeUnit.Microsecond => "us",
        _ => "ns",
    };

    private static TimeUnit Unit(string text, string type) => text.ToLowerInvariant() switch
    {
        "s" => TimeUnit.Second,
        "ms" => TimeUnit.Millisecond,
        "us" => TimeUnit.Microsecond,
        "ns" => TimeUnit.Nanosecond,
        _ => throw new CsvFormatException($"type '{type}': unit '{text}' is not s, ms, us or ns"),
    };

    /// <summary>The comma-separated arguments of <c>name[…]</c> (or <c>name(…)</c>), or null when <paramref name="type"/> is not of that form.</summary>
    private static string[]? Arguments(string type, string name, char open, char close)
    {
        string t = type.Trim();
        if (!t.StartsWith(name + open, StringComparison.OrdinalIgnoreCase) || !t.EndsWith(close))
        {
            return null;
        }

        return [.. t[(name.Length + 1)..^1].Split(',').Select(a => a.Trim())];
    }

    private static List<string> SplitTopLevel(string spec)
    {
        var parts = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i <= spec.Length; i++)
        {
            char c = i < spec.Length ? spec[i] : ',';
            if (c is '[' or '(')
            {
                depth++;
            }
            else if (c is ']' or ')')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (c == ',' && depth == 0)
            {
                string part = spec[start..i].Trim();
                if (part.Length == 0 && i < spec.Length)
                {
                    throw new CsvFormatException($"schema '{spec}' has an empty entry");
                }

                if (part.Length > 0)
                {
                    parts.Add(part);
                }

                start = i + 1;
            }
        }

        return parts;
    }
}
