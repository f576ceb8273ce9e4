namespace ArrowCid.Registry;

/// <summary>
/// Registry timestamps are UTC microseconds since the Unix epoch: the finest resolution both
/// SQLite integers and PostgreSQL timestamptz keep, so every implementation round-trips the same value.
/// </summary>
public static class RegistryTime
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>The instant in registry form.</summary>
    /// <param name="time">Any instant.</param>
    /// <returns>UTC microseconds since the Unix epoch (truncated).</returns>
    public static long ToMicroseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    /// <summary>The instant a registry value names.</summary>
    /// <param name="microseconds">UTC microseconds since the Unix epoch.</param>
    /// <returns>The instant, in UTC.</returns>
    public static DateTimeOffset FromMicroseconds(long microseconds) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (microseconds * TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>The instant as it will be stored: UTC, truncated to the microsecond.</summary>
    /// <param name="time">Any instant.</param>
    /// <returns>The stored instant.</returns>
    public static DateTimeOffset Truncate(DateTimeOffset time) => FromMicroseconds(ToMicroseconds(time));
}
