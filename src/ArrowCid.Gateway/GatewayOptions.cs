using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ArrowCid.Gateway;

/// <summary>Where and how a <see cref="GatewayNode"/> listens.</summary>
public sealed class GatewayOptions
{
    /// <summary>Connections the gateway holds at once; one more is closed as it arrives (null: no cap).</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Connections one client address holds at once; one more is closed as it arrives (null: no cap but <see cref="MaxConnections"/>).</summary>
    public int? MaxConnectionsPerAddress { get; init; }

    /// <summary>
    /// How long a connection may take to send a request's headers (Kestrel's
    /// <c>RequestHeadersTimeout</c>), and before them its first bytes; one that takes longer is
    /// closed. 30 s, Kestrel's default.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Where to listen (HTTP/1.1 and HTTP/2); port 0 picks a free port. Defaults to 127.0.0.1:0.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>A certificate (with its private key) makes the gateway speak HTTPS (HTTP/2 by ALPN).</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The host name put in the advertised address; defaults to the listen address, or this machine's name when listening on every address.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>
    /// Origins whose browser pages may call the gateway (CORS), e.g. <c>https://example.org</c>;
    /// <c>*</c> allows every origin. Empty: only same-origin pages.
    /// </summary>
    public IReadOnlyList<string> CorsOrigins { get; init; } = [];

    /// <summary>
    /// With <c>*</c> among <see cref="CorsOrigins"/>, whether pages of any origin may upload too
    /// (POST). Off: <c>*</c> opens reads only, and writes need an origin named exactly.
    /// </summary>
    public bool CorsAnyOriginWrites { get; init; }

    /// <summary>
    /// Host names (the <c>Host</c> header, without port) answered besides the loopback ones
    /// (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>) when the gateway listens on a loopback
    /// address: any other is refused with 421, so a page whose DNS name was rebound to 127.0.0.1
    /// cannot read or write the node (docs/security.md). A gateway listening on another address
    /// answers every Host.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// How long <c>/api/v1/events</c> may stay silent before it sends a comment line, so that proxies
    /// and load balancers do not close an idle stream. Defaults to 15 seconds.
    /// </summary>
    public TimeSpan EventHeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Strict trustless mode (ipfs/specs trustless gateway): a request for <c>/ipfs/{cid}</c> that
    /// names no format (no <c>format</c> parameter, no Accept naming one) is 400 rather than
    /// answered with the raw block.
    /// </summary>
    public bool StrictTrustless { get; init; }

    /// <summary>
    /// Where <c>/metrics</c> is served besides this gateway's own port: a port of its own (plain
    /// HTTP, the node's tokens applied as on the gateway), for a scraper kept apart from clients.
    /// Null: on the gateway's port only.
    /// </summary>
    public IPEndPoint? MetricsListen { get; init; }
}
