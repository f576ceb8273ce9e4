using System.Net;
using System.Security.Cryptography.X509Certificates;

using ArrowCid.Node;

namespace ArrowCid.Flight.Hosting;

/// <summary>Where and how a <see cref="FlightNode"/> listens, and what its service does.</summary>
public sealed class FlightNodeOptions
{
    /// <summary>The largest message received or sent: 256 MiB, room for large batches.</summary>
    public const int DefaultMaxMessageSize = 256 * 1024 * 1024;

    /// <summary>Where to listen; port 0 picks a free port. Defaults to 127.0.0.1:0.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>A certificate (with its private key) makes the node speak TLS: its location is then grpc+tls://.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>The host name put in the advertised location; defaults to the listen address, or this machine's name when listening on every address.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>The largest message received or sent.</summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>Connections the Flight face holds at once; one more is closed as it arrives (null: no cap; <see cref="ConnectionBudget"/> gives the node's default).</summary>
    public int? MaxConnections { get; init; }

    /// <summary>Connections one client address holds at once; one more is closed as it arrives (null: no cap but <see cref="MaxConnections"/>).</summary>
    public int? MaxConnectionsPerAddress { get; init; }

    /// <summary>The settings of the node <see cref="FlightNode.StartAsync(Repository.ContentRepository, FlightNodeOptions?, CancellationToken)"/> composes (auth, shared registry, shared memory, peers).</summary>
    public NodeOptions Node { get; init; } = new();

    /// <summary>Serve with Kestrel's HTTP/2 layer instead of ours (see <see cref="Grpc.GrpcServerOptions.UseKestrelHttp2"/>); for comparison.</summary>
    public bool UseKestrelHttp2 { get; init; }
}
