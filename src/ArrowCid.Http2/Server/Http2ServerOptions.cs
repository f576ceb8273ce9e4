namespace ArrowCid.Http2.Server;

/// <summary>What a server connection announces and allows.</summary>
public sealed class Http2ServerOptions
{
    /// <summary>Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM.</summary>
    public int MaxConcurrentStreams { get; set; } = 100;

    /// <summary>The connection's receive window.</summary>
    public int InitialConnectionWindowSize { get; set; } = 32 * 1024 * 1024;

    /// <summary>Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE).</summary>
    public int InitialStreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The largest frame accepted (SETTINGS_MAX_FRAME_SIZE): large, so a client may send a big message in few frames.</summary>
    public int MaxFrameSize { get; set; } = 1024 * 1024;

    /// <summary>The largest decoded request header list (SETTINGS_MAX_HEADER_LIST_SIZE); a request over it is reset with ENHANCE_YOUR_CALM and the connection goes on.</summary>
    public int MaxHeaderListSize { get; set; } = 64 * 1024;

    /// <summary>
    /// A connection with no open stream for this long is closed (GOAWAY NO_ERROR), as Kestrel's
    /// keep-alive timeout does; client PINGs do not keep it open. Also the time allowed for the
    /// client preface. <see cref="Timeout.InfiniteTimeSpan"/> turns both off.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// PINGs that find a dead client (Http2KeepAlive): after 60 s with nothing received while a
    /// request is open, a PING; no answer within 20 s ends the connection and its requests
    /// (their handlers see RequestAborted). <see cref="Http2KeepAlive.Off"/> turns them off.
    /// </summary>
    public Http2KeepAlive KeepAlive { get; set; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20));

    internal Http2Settings ToSettings() => new()
    {
        HeaderTableSize = 4096,
        EnablePush = false,
        MaxConcurrentStreams = MaxConcurrentStreams,
        InitialWindowSize = InitialStreamWindowSize,
        MaxFrameSize = Math.Clamp(MaxFrameSize, Http2Protocol.DefaultMaxFrameSize, Http2Protocol.LargestMaxFrameSize),
        MaxHeaderListSize = MaxHeaderListSize,
    };
}
