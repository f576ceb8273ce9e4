using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Builders;

/// <summary>
/// Conversions between .NET ticks (100 ns) and Arrow time units, floor-rounded so instants
/// before the epoch land in the right unit. Shared by the builders and the printer.
/// </summary>
internal static class TemporalConversions
{
    public const long TicksPerSecond = TimeSpan.TicksPerSecond;
    public const long MillisecondsPerDay = 86_400_000;
    public static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    public static readonly int EpochDayNumber = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>Values of <paramref name="unit"/> in one second.</summary>
    public static long PerSecond(TimeUnit unit) => unit switch
    {
        TimeUnit.Second => 1,
        TimeUnit.Millisecond => 1_000,
        TimeUnit.Microsecond => 1_000_000,
        _ => 1_000_000_000,
    };

    /// <summary>Ticks as a count of <paramref name="unit"/>, floor-rounded.</summary>
    public static long FromTicks(long ticks, TimeUnit unit)
    {
        Int128 scaled = (Int128)ticks * PerSecond(unit);
        return checked((long)FloorDiv(scaled, TicksPerSecond));
    }

    /// <summary>A count of <paramref name="unit"/> as ticks (floor-rounded), or null when it leaves the range of <see cref="long"/>.</summary>
    public static long? ToTicks(long value, TimeUnit unit)
    {
        Int128 ticks = FloorDiv((Int128)value * TicksPerSecond, PerSecond(unit));
        return ticks < long.MinValue || ticks > long.MaxValue ? null : (long)ticks;
    }

    /// <summary>Floor division (rounds towards negative infinity).</summary>
    public static Int128 FloorDiv(Int128 a, Int128 b)
    {
        var q = a / b;
        return (a % b != 0) && ((a < 0) != (b < 0)) ? q - 1 : q;
    }

    /// <summary>Floor modulo (result has the sign of <paramref name="b"/>).</summary>
    public static long FloorMod(long a, long b) => (long)(a - (FloorDiv(a, b) * b));

    /// <summary>A date-like value as days since the epoch.</summary>
    public static long? TryDays(object value) => value switch
    {
        DateOnly d => d.DayNumber - EpochDayNumber,
        DateTime dt => DateOnly.FromDateTime(dt).DayNumber - EpochDayNumber,
        DateTimeOffset dto => DateOnly.FromDateTime(dto.DateTime).DayNumber - EpochDayNumber,
        _ => null,
    };

    /// <summary>An instant as ticks since the epoch: UTC for offsets and UTC/unspecified kinds, converted for local times.</summary>
    public static long? TryInstantTicks(object value) => value switch
    {
        DateTimeOffset dto => dto.UtcTicks - EpochTicks,
        DateTime dt => (dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt).Ticks - EpochTicks,
        DateOnly d => ((long)(d.DayNumber - EpochDayNumber) * TimeSpan.TicksPerDay),
        _ => null,
    };

    /// <summary>A time of day or elapsed time as ticks.</summary>
    public static long? TryElapsedTicks(object value) => value switch
    {
        TimeOnly t => t.Ticks,
        TimeSpan ts => ts.Ticks,
        _ => null,
    };
}
