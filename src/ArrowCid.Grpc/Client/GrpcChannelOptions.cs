using System.Net.Security;

namespace ArrowCid.Grpc;

/// <summary>Settings of a client channel.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>The largest response message accepted; a larger one fails the call with RESOURCE_EXHAUSTED before it is read.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcServerOptions.DefaultMaxReceiveMessageSize;

    /// <summary>The largest request message sent; writing a larger one fails with RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue - GrpcFrame.PrefixLength;

    /// <summary>HTTP/2 stream receive window; large so a fast server stream is not held back by flow control.</summary>
    public int InitialHttp2StreamWindowSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// PINGs that find a dead server: after <see cref="Http2.Http2KeepAlive.PingDelay"/> (30 s) with
    /// nothing received while a call is open, a PING; no answer within its timeout (20 s) fails the
    /// connection's calls with UNAVAILABLE.
    /// </summary>
    public Http2.Http2KeepAlive KeepAlive { get; set; } = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(20));

    /// <summary>Checks the server certificate for https addresses; null uses the system's trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>How long opening a connection (TCP, then TLS) may take before the call fails UNAVAILABLE. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Send through .NET's <see cref="System.Net.Http.SocketsHttpHandler"/> instead of our
    /// <see cref="Http2.Client.Http2ClientHandler"/>. Ours accepts large frames and reads a large
    /// message straight into its own array; SocketsHttpHandler copies every DATA frame twice. Off by default.
    /// </summary>
    public bool UseSocketsHttpHandler { get; set; }

    /// <summary>
    /// A handler to send requests through instead of the channel's own <see cref="System.Net.Http.SocketsHttpHandler"/>
    /// (it must speak HTTP/2 and is not disposed by the channel).
    /// </summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}
