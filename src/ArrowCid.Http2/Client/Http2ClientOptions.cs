using System.Net.Security;

namespace ArrowCid.Http2.Client;

/// <summary>Settings of <see cref="Http2ClientHandler"/>.</summary>
public sealed class Http2ClientOptions
{
    /// <summary>Each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE): large, so a fast server stream is not held back.</summary>
    public int InitialStreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>The connection's receive window.</summary>
    public int InitialConnectionWindowSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// The largest frame accepted (SETTINGS_MAX_FRAME_SIZE). Large, so a server may send a big body
    /// in few frames, each read straight into the message it belongs to.
    /// </summary>
    public int MaxFrameSize { get; set; } = Http2Protocol.LargestMaxFrameSize;

    /// <summary>The largest decoded response header list (SETTINGS_MAX_HEADER_LIST_SIZE).</summary>
    public int MaxHeaderListSize { get; set; } = 64 * 1024;

    /// <summary>
    /// A pooled connection with no open stream for this long is closed instead of reused: shorter
    /// than servers' idle timeouts (Kestrel's and ours: 130 s), so a request does not race the
    /// server's GOAWAY on a connection it is about to close.
    /// </summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long connecting (TCP and TLS) may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks the server certificate for https; null uses the system's trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>
    /// PINGs that find a dead server (Http2KeepAlive): after 30 s with nothing received while a
    /// request is open, a PING; no answer within 20 s ends the connection and fails its requests.
    /// <see cref="Http2KeepAlive.Off"/> turns them off.
    /// </summary>
    public Http2KeepAlive KeepAlive { get; set; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));

    /// <summary>
    /// A test gate: runs on the opener's thread after a stream object is made and before the
    /// connection's table of open streams holds it, the window in which a SETTINGS frame once went
    /// past a new stream (docs/flight.md, "HTTP/2"). Null outside tests.
    /// </summary>
    internal Action<Http2Stream>? StreamOpeningGate { get; set; }

    internal Http2Settings ToSettings() => new()
    {
        HeaderTableSize = 4096,
        EnablePush = false,
        InitialWindowSize = InitialStreamWindowSize,
        MaxFrameSize = Math.Clamp(MaxFrameSize, Http2Protocol.DefaultMaxFrameSize, Http2Protocol.LargestMaxFrameSize),
        MaxHeaderListSize = MaxHeaderListSize,
    };
}
