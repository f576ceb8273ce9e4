using ArrowCid.Grpc;
using ArrowCid.Flight.Service;
using ArrowCid.Http2.Server;
using ArrowCid.Repository;

namespace ArrowCid.Flight.Hosting;

/// <summary>
/// A running Flight node: a <see cref="FlightNodeService"/> over a repository, served by
/// <see cref="GrpcServer"/>, advertising <see cref="Location"/> (grpc+tcp://host:port, or grpc+tls://).
/// </summary>
public sealed class FlightNode : IAsyncDisposable
{
    private readonly GrpcServer _server;

    private FlightNode(GrpcServer server, FlightNodeService service, string location)
    {
        _server = server;
        Service = service;
        Location = location;
    }

    /// <summary>The service (for its change notifier and location).</summary>
    public FlightNodeService Service { get; }

    /// <summary>The advertised Flight location.</summary>
    public string Location { get; }

    /// <summary>The bound HTTP/2 address.</summary>
    public Uri Address => _server.Address;

    /// <summary>Starts serving <paramref name="content"/> (not owned).</summary>
    public static async Task<FlightNode> StartAsync(ContentRepository content, FlightNodeOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        options ??= new FlightNodeOptions();
        var service = new FlightNodeService(content, options.Service);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            Endpoint = options.Listen,
            Certificate = options.Certificate,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
            UseKestrelHttp2 = options.UseKestrelHttp2,
        }).AddFlightService(service);
        GrpcServer server;
        try
        {
            server = await GrpcServer.StartAsync(registry, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            service.Dispose();
            throw;
        }

        string host = KestrelHosting.AdvertisedHost(options.Listen, options.AdvertisedHost);
        string location = FlightLocations.FromHttpAddress(server.Address, host);
        service.Location = location;
        return new FlightNode(server, service, location);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        Service.Dispose();
    }
}
