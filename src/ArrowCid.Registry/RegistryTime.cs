namespace ArrowCid.Registry;

/// <summary>
/// Registry timestamps are UTC microseconds since the Unix epoch: the finest resolution both
/// SQLite integers and PostgreSQL timestamptz keep, so every implementation round-trips the same value.
/// </summary>
internal static class RegistryTime
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    public static long ToMicroseconds(DateTimeOffset time) =>
        (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerMicrosecond;

    public static DateTimeOffset FromMicroseconds(long microseconds) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (microseconds * TicksPerMicrosecond), TimeSpan.Zero);

    /// <summary>The instant as it will be stored: UTC, truncated to the microsecond.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) => FromMicroseconds(ToMicroseconds(time));
}
