using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ArrowCid.Grpc;

/// <summary>Settings of a gRPC server: where it listens and the limits it enforces.</summary>
public sealed class GrpcServerOptions
{
    /// <summary>The default receive limit: 64 MiB, room for large Arrow record batches.</summary>
    public const int DefaultMaxReceiveMessageSize = 64 * 1024 * 1024;

    /// <summary>Where to listen; port 0 picks a free port. Defaults to 127.0.0.1:0.</summary>
    public IPEndPoint Endpoint { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>With a certificate the endpoint speaks TLS (ALPN h2); without, cleartext HTTP/2 with prior knowledge.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>The largest request message accepted; larger ones end the call with RESOURCE_EXHAUSTED before being read.</summary>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;

    /// <summary>The largest response message sent; a handler writing a larger one gets RESOURCE_EXHAUSTED.</summary>
    public int MaxSendMessageSize { get; set; } = int.MaxValue - GrpcFrame.PrefixLength;

    /// <summary>
    /// Whether an exception escaping a handler is described (type and message) in the UNKNOWN
    /// status sent to the client. Off by default so internals do not leak to callers.
    /// </summary>
    public bool IncludeExceptionDetails { get; set; }

    /// <summary>
    /// The clock call deadlines (<c>grpc-timeout</c>) are kept by: the system's. A test gives its own
    /// to make a deadline pass when it chooses, rather than racing a wall clock.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>HTTP/2 connection receive window; large so long streams are not throttled by flow control.</summary>
    public int InitialConnectionWindowSize { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Serve with Kestrel's own HTTP/2 layer instead of ours (<see cref="Http2.Server.Http2ServerConnection"/>).
    /// Ours writes DATA from where the body lies straight to the socket; Kestrel's copies every body
    /// twice (into the response pipe, then into the connection's pipe). Off by default.
    /// </summary>
    public bool UseKestrelHttp2 { get; set; }

    /// <summary>A connection with no open stream for this long is closed with GOAWAY (our HTTP/2 only; Kestrel's has its own keep-alive timeout).</summary>
    public TimeSpan IdleConnectionTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// PINGs that find a dead client: after <see cref="Http2.Http2KeepAlive.PingDelay"/> (60 s) with
    /// nothing received while a call is open, a PING; no answer within its timeout (20 s) ends the
    /// connection and its calls. Kestrel's HTTP/2 gets the same two values.
    /// </summary>
    public Http2.Http2KeepAlive KeepAlive { get; set; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(20));

    /// <summary>
    /// Where the listener records whether it can accept connections (our HTTP/2 transport, not
    /// <see cref="UseKestrelHttp2"/>): readiness reports a listener out of descriptors. Null: not reported.
    /// </summary>
    public Http2.Server.AcceptStatus? AcceptStatus { get; set; }

    /// <summary>The default <see cref="ReceiveBudget"/>: 1 GiB of large request messages in reception at once.</summary>
    public const long DefaultReceiveBudgetBytes = 1L << 30;

    /// <summary>
    /// Bounds the large request messages this server receives at once, across its calls: a message
    /// that finds no room before its array is taken fails its call with RESOURCE_EXHAUSTED (one
    /// budget per server; null for none).
    /// </summary>
    public GrpcReceiveBudget? ReceiveBudget { get; set; } = new(DefaultReceiveBudgetBytes);

    /// <summary>Connections held at once; one more is closed as it arrives (null: no cap).</summary>
    public int? MaxConnections { get; set; }

    /// <summary>Connections one client address holds at once; one more is closed as it arrives, before TLS (null: no cap but <see cref="MaxConnections"/>).</summary>
    public int? MaxConnectionsPerAddress { get; set; }

    /// <summary>Told of every call as it ends (metrics, request logs); null for none.</summary>
    public IGrpcCallObserver? CallObserver { get; set; }

    /// <summary>
    /// Asked of every call before its first request message is read, from its method and headers:
    /// throwing an <see cref="RpcException"/> refuses the call with that status, so a client without
    /// credentials never makes the server read (or hold) a request body. Null lets every call in.
    /// </summary>
    public Action<ServerCallContext>? AdmitCall { get; set; }

    /// <summary>HTTP/2 per-stream receive window.</summary>
    public int InitialStreamWindowSize { get; set; } = 16 * 1024 * 1024;
}
