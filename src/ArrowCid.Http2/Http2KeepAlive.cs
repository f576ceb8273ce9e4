namespace ArrowCid.Http2;

/// <summary>
/// How a connection finds a dead peer (RFC 9113 §6.7): while a stream is open and nothing has
/// arrived for <see cref="PingDelay"/>, it sends a PING; when nothing at all arrives within
/// <see cref="PingTimeout"/> after that, the peer is taken for dead and the connection ends, failing
/// its streams, instead of waiting for a TCP timeout that may never come (a peer gone without a
/// FIN or RST, a half-open NAT entry).
/// </summary>
/// <param name="PingDelay">Quiet time before a PING; <see cref="Timeout.InfiniteTimeSpan"/> turns PINGs off.</param>
/// <param name="PingTimeout">How long an unanswered PING may wait.</param>
public sealed record Http2KeepAlive(TimeSpan PingDelay, TimeSpan PingTimeout)
{
    /// <summary>No PINGs.</summary>
    public static Http2KeepAlive Off { get; } = new(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

    /// <summary>Whether PINGs are sent.</summary>
    public bool Enabled => PingDelay > TimeSpan.Zero && PingDelay != Timeout.InfiniteTimeSpan && PingTimeout > TimeSpan.Zero;

    /// <summary>
    /// The clock PINGs are timed by, and the connection's watchdog runs on (its idle checks too);
    /// null: the system's. A test sets a clock it moves by hand, so a PING is due, or a peer dead,
    /// when the test says and never because a loaded machine was slow.
    /// </summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Now in milliseconds on <see cref="Clock"/> (the system's monotonic tick count without one).</summary>
    internal long NowMilliseconds() => Clock is null ? Environment.TickCount64 : Clock.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A periodic timer on <see cref="Clock"/>.</summary>
    internal ITimer CreateTimer(TimerCallback callback, object state, TimeSpan period) =>
        (Clock ?? TimeProvider.System).CreateTimer(callback, state, period, period);
}
