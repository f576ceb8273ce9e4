using System.Globalization;
using System.Text;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Printing;

/// <summary>
/// ISO-8601 text of dates, times and timestamps computed with integer arithmetic from the stored
/// value, so every unit keeps all its digits (nanoseconds included). Values outside the
/// calendar .NET can show (years 1..9999) are printed as their raw number.
/// </summary>
internal static class TemporalText
{
    private const long SecondsPerDay = 86_400;

    /// <summary>yyyy-MM-dd, or the raw day count outside years 1..9999.</summary>
    public static void AppendDate(StringBuilder sb, long daysSinceEpoch)
    {
        if (TryDate(daysSinceEpoch, out var date))
        {
            sb.Append(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
        else
        {
            sb.Append(daysSinceEpoch.ToString(CultureInfo.InvariantCulture)).Append('d');
        }
    }

    /// <summary>HH:mm:ss with the unit's fractional digits; values outside a day are printed raw with the unit.</summary>
    public static void AppendTimeOfDay(StringBuilder sb, long value, TimeUnit unit)
    {
        long perSecond = TemporalConversions.PerSecond(unit);
        if (value < 0 || value / perSecond >= SecondsPerDay)
        {
            AppendDuration(sb, value, unit);
            return;
        }

        AppendClock(sb, value, unit);
    }

    /// <summary>The value with its unit suffix, e.g. <c>1500ms</c>.</summary>
    public static void AppendDuration(StringBuilder sb, long value, TimeUnit unit) =>
        sb.Append(value.ToString(CultureInfo.InvariantCulture)).Append(UnitSuffix(unit));

    /// <summary>
    /// yyyy-MM-ddTHH:mm:ss[.fraction] in the zone's local time followed by Z or ±hh:mm; a timestamp
    /// without a zone (wall-clock time) gets no suffix; a zone that cannot be resolved prints UTC.
    /// </summary>
    public static void AppendTimestamp(StringBuilder sb, long value, TimeUnit unit, string? timeZone)
    {
        long perSecond = TemporalConversions.PerSecond(unit);
        long perDay = perSecond * SecondsPerDay;
        long days = (long)TemporalConversions.FloorDiv(value, perDay);
        if (!TryDate(days, out _))
        {
            AppendDuration(sb, value, unit);
            return;
        }

        TimeSpan offset = TimeSpan.Zero;
        if (timeZone is not null)
        {
            offset = ZoneOffset(timeZone, DateTime.UnixEpoch.AddDays(days));
            Int128 local = (Int128)value + (offset.Ticks / TimeSpan.TicksPerSecond * perSecond);
            long localDays = (long)TemporalConversions.FloorDiv(local, perDay);
            if (local >= long.MinValue && local <= long.MaxValue && TryDate(localDays, out _))
            {
                value = (long)local;
                days = localDays;
            }
            else
            {
                offset = TimeSpan.Zero; // the local time would leave the calendar: show UTC
            }
        }

        AppendDate(sb, days);
        sb.Append('T');
        AppendClock(sb, TemporalConversions.FloorMod(value, perDay), unit);
        if (timeZone is null)
        {
            return;
        }

        if (offset == TimeSpan.Zero)
        {
            sb.Append('Z');
        }
        else
        {
            sb.Append(offset < TimeSpan.Zero ? '-' : '+').Append(offset.Duration().ToString(@"hh\:mm", CultureInfo.InvariantCulture));
        }
    }

    private static void AppendClock(StringBuilder sb, long value, TimeUnit unit)
    {
        long perSecond = TemporalConversions.PerSecond(unit);
        long seconds = value / perSecond, fraction = value % perSecond;
        sb.Append((seconds / 3600).ToString("00", CultureInfo.InvariantCulture)).Append(':')
          .Append((seconds / 60 % 60).ToString("00", CultureInfo.InvariantCulture)).Append(':')
          .Append((seconds % 60).ToString("00", CultureInfo.InvariantCulture));
        int digits = unit switch { TimeUnit.Millisecond => 3, TimeUnit.Microsecond => 6, TimeUnit.Nanosecond => 9, _ => 0 };
        if (digits > 0)
        {
            sb.Append('.').Append(fraction.ToString(new string('0', digits), CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The UTC offset of a zone at an instant: fixed offsets (+07:30), UTC names, then the system's IANA database.</summary>
    private static TimeSpan ZoneOffset(string timeZone, DateTime utc)
    {
        if (timeZone.Length == 6 && (timeZone[0] == '+' || timeZone[0] == '-')
            && TimeSpan.TryParseExact(timeZone.AsSpan(1), @"hh\:mm", CultureInfo.InvariantCulture, out var fixedOffset))
        {
            return timeZone[0] == '-' ? -fixedOffset : fixedOffset;
        }

        if (timeZone is "UTC" or "Z" or "Etc/UTC" or "utc")
        {
            return TimeSpan.Zero;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var zone) ? zone.GetUtcOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)) : TimeSpan.Zero;
    }

    private static bool TryDate(long daysSinceEpoch, out DateOnly date)
    {
        long dayNumber = daysSinceEpoch + TemporalConversions.EpochDayNumber;
        if (dayNumber < DateOnly.MinValue.DayNumber || dayNumber > DateOnly.MaxValue.DayNumber)
        {
            date = default;
            return false;
        }

        date = DateOnly.FromDayNumber((int)dayNumber);
        return true;
    }

    private static string UnitSuffix(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => "s",
        TimeUnit.Millisecond => "ms",
        TimeUnit.Microsecond => "us",
        _ => "ns",
    };
}
