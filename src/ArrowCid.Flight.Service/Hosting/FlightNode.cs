using ArrowCid.Grpc;
using ArrowCid.Flight.Service;
using ArrowCid.Http2.Server;
using ArrowCid.Repository;

using ArrowCid.Node;

namespace ArrowCid.Flight.Hosting;

/// <summary>
/// A running Flight face of a node: a <see cref="FlightNodeService"/> over a <see cref="ContentNode"/>,
/// served by <see cref="GrpcServer"/>, advertising <see cref="Location"/> (grpc+tcp://host:port, or grpc+tls://).
/// </summary>
public sealed class FlightNode : IAsyncDisposable
{
    private readonly GrpcServer _server;
    private readonly bool _ownsNode;

    private FlightNode(GrpcServer server, FlightNodeService service, string location, bool ownsNode)
    {
        _server = server;
        Service = service;
        Location = location;
        _ownsNode = ownsNode;
    }

    /// <summary>The Flight service.</summary>
    public FlightNodeService Service { get; }

    /// <summary>The node this is the Flight face of (its content, registry, tokens and change feed).</summary>
    public ContentNode Node => Service.Node;

    /// <summary>The advertised Flight location.</summary>
    public string Location { get; }

    /// <summary>The bound HTTP/2 address.</summary>
    public Uri Address => _server.Address;

    /// <summary>Composes a node over <paramref name="content"/> (not owned) from <see cref="FlightNodeOptions.Node"/> and serves it; the node goes when this does.</summary>
    public static async Task<FlightNode> StartAsync(ContentRepository content, FlightNodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new FlightNodeOptions();
        var node = new ContentNode(content, options.Node);
        try
        {
            return await StartAsync(node, options, ownsNode: true, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    /// <summary>Serves <paramref name="node"/> (not owned: other faces may serve it too) over Flight; <see cref="FlightNodeOptions.Node"/> is not used.</summary>
    public static Task<FlightNode> StartAsync(ContentNode node, FlightNodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return StartAsync(node, options ?? new FlightNodeOptions(), ownsNode: false, cancellationToken);
    }

    private static async Task<FlightNode> StartAsync(ContentNode node, FlightNodeOptions options, bool ownsNode, CancellationToken cancellationToken)
    {
        var service = new FlightNodeService(node);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            Endpoint = options.Listen,
            Certificate = options.Certificate,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
            UseKestrelHttp2 = options.UseKestrelHttp2,
        }).AddFlightService(service);
        var server = await GrpcServer.StartAsync(registry, cancellationToken).ConfigureAwait(false);
        string host = KestrelHosting.AdvertisedHost(options.Listen, options.AdvertisedHost);
        string location = FlightLocations.FromHttpAddress(server.Address, host);
        node.Identity.Location = location;
        return new FlightNode(server, service, location, ownsNode);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_ownsNode)
        {
            Node.Dispose();
        }
    }
}
