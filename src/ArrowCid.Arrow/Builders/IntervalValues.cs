namespace ArrowCid.Arrow.Builders;

/// <summary>A day-time interval value: days and milliseconds (Arrow <c>interval[day_time]</c>).</summary>
/// <param name="Days">Number of days.</param>
/// <param name="Milliseconds">Number of milliseconds.</param>
public readonly record struct DayTimeInterval(int Days, int Milliseconds);

/// <summary>A month-day-nanosecond interval value (Arrow <c>interval[month_day_nano]</c>).</summary>
/// <param name="Months">Number of months.</param>
/// <param name="Days">Number of days.</param>
/// <param name="Nanoseconds">Number of nanoseconds.</param>
public readonly record struct MonthDayNanoInterval(int Months, int Days, long Nanoseconds);
