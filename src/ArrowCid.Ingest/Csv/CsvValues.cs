using System.Globalization;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Ingest.Csv;

/// <summary>
/// Text → typed value for each type a CSV column may have. The same functions decide inference and
/// convert values, so a column inferred as a type accepts exactly the values that made it so.
/// </summary>
internal static class CsvValues
{
    private const NumberStyles IntegerStyle = NumberStyles.AllowLeadingSign;
    private const NumberStyles FloatStyle = NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;

    /// <summary>ISO 8601 date-times without an offset: 'T' or space, minutes, seconds, up to 7 fraction digits.</summary>
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF",
    ];

    /// <summary>Naive timestamps: those, or a date alone (midnight), so a column of dates and date-times is a timestamp column.</summary>
    private static readonly string[] LocalFormats = ["yyyy-MM-dd", .. DateTimeFormats];

    /// <summary>The same with an offset: Z, ±hh:mm or ±hhmm or ±hh.</summary>
    private static readonly string[] OffsetFormats =
        [.. DateTimeFormats.SelectMany(f => new[] { f + "'Z'", f + "zzz", f + "zz" })];

    /// <summary>The candidates of inference, most specific first; utf8 when none fits every value.</summary>
    public static IReadOnlyList<ArrowType> InferenceCandidates { get; } =
    [
        ArrowType.Int64,
        ArrowType.Float64,
        ArrowType.Boolean,
        ArrowType.Date32,
        ArrowType.Timestamp(TimeUnit.Microsecond, "UTC"),
        ArrowType.Timestamp(TimeUnit.Microsecond),
    ];

    /// <summary>Whether <paramref name="text"/> has integer syntax (sign and digits), whatever its size.</summary>
    public static bool LooksInteger(string text)
    {
        int start = text.Length > 0 && text[0] is '+' or '-' ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        for (int i = start; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Converts non-empty <paramref name="text"/> to the value an Arrow builder of <paramref name="type"/> accepts; false when it does not fit.</summary>
    public static bool TryParse(ArrowType type, string text, out object? value)
    {
        value = null;
        switch (type.Id)
        {
            case ArrowTypeId.Boolean:
                if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
                {
                    value = true;
                }
                else if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    value = false;
                }

                return value is not null;
            case ArrowTypeId.Int8: return SignedIn(text, sbyte.MinValue, sbyte.MaxValue, out value);
            case ArrowTypeId.Int16: return SignedIn(text, short.MinValue, short.MaxValue, out value);
            case ArrowTypeId.Int32: return SignedIn(text, int.MinValue, int.MaxValue, out value);
            case ArrowTypeId.Int64: return SignedIn(text, long.MinValue, long.MaxValue, out value);
            case ArrowTypeId.UInt8: return UnsignedIn(text, byte.MaxValue, out value);
            case ArrowTypeId.UInt16: return UnsignedIn(text, ushort.MaxValue, out value);
            case ArrowTypeId.UInt32: return UnsignedIn(text, uint.MaxValue, out value);
            case ArrowTypeId.UInt64: return UnsignedIn(text, ulong.MaxValue, out value);
            case ArrowTypeId.Float32:
                if (double.TryParse(text, FloatStyle, Invariant, out double single))
                {
                    value = (float)single;
                    return true;
                }

                return false;
            case ArrowTypeId.Float64:
                if (double.TryParse(text, FloatStyle, Invariant, out double d))
                {
                    value = d;
                    return true;
                }

                return false;
            case ArrowTypeId.Utf8 or ArrowTypeId.LargeUtf8:
                value = text;
                return true;
            case ArrowTypeId.Date32:
                if (DateOnly.TryParseExact(text, "yyyy-MM-dd", Invariant, DateTimeStyles.None, out var date))
                {
                    value = date;
                    return true;
                }

                return false;
            case ArrowTypeId.Timestamp:
                return TryTimestamp(type, text, out value);
            case ArrowTypeId.Decimal128:
                if (decimal.TryParse(text, FloatStyle, Invariant, out decimal m) && FitsDecimal(m, type))
                {
                    value = m;
                    return true;
                }

                return false;
            default:
                throw new NotSupportedException($"CSV columns cannot have type {type}");
        }
    }

    private static bool SignedIn(string text, long min, long max, out object? value)
    {
        value = null;
        if (!long.TryParse(text, IntegerStyle, Invariant, out long v) || v < min || v > max)
        {
            return false;
        }

        value = v;
        return true;
    }

    private static bool UnsignedIn(string text, ulong max, out object? value)
    {
        value = null;
        if (!ulong.TryParse(text, NumberStyles.None, Invariant, out ulong v) || v > max)
        {
            return false;
        }

        value = v;
        return true;
    }

    private static bool FitsDecimal(decimal value, ArrowType type)
    {
        decimal scaled = value * Pow10(type.Scale);
        if (scaled != decimal.Truncate(scaled))
        {
            return false;
        }

        // Digits of the unscaled value must fit the precision.
        return Math.Abs(decimal.Truncate(scaled)).ToString(Invariant).Length <= type.Precision;
    }

    private static decimal Pow10(int exponent)
    {
        decimal result = 1;
        for (int i = 0; i < exponent && i < 28; i++)
        {
            result *= 10;
        }

        return result;
    }

    private static bool TryTimestamp(ArrowType type, string text, out object? value)
    {
        value = null;
        long ticks;
        if (type.TimeZone is null)
        {
            if (!DateTime.TryParseExact(text, LocalFormats, Invariant, DateTimeStyles.None, out var local))
            {
                return false;
            }

            ticks = local.Ticks - EpochTicks;
        }
        else
        {
            if (!DateTimeOffset.TryParseExact(text, OffsetFormats, Invariant, DateTimeStyles.AssumeUniversal, out var zoned))
            {
                return false;
            }

            ticks = zoned.UtcTicks - EpochTicks;
        }

        // A value finer than the unit would lose digits: it does not fit.
        long perUnit = type.Unit switch
        {
            TimeUnit.Second => TimeSpan.TicksPerSecond,
            TimeUnit.Millisecond => TimeSpan.TicksPerMillisecond,
            TimeUnit.Microsecond => 10,
            _ => 0,
        };
        if (perUnit == 0)
        {
            value = ticks * 100; // nanoseconds: years 0001..9999 fit in int64 only within ±292 years of 1970
            return ticks is > long.MinValue / 100 and < long.MaxValue / 100;
        }

        if (ticks % perUnit != 0)
        {
            return false;
        }

        value = ticks / perUnit;
        return true;
    }
}
