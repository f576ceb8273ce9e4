using ArrowCid.Grpc;
using ArrowCid.Grpc.Health;
using ArrowCid.Flight.Service;
using ArrowCid.Http2.Server;
using ArrowCid.Repository;

using ArrowCid.Node;
using Microsoft.Extensions.Logging;

using ServingStatus = ArrowCid.Grpc.Health.HealthCheckResponse.Types.ServingStatus;

namespace ArrowCid.Flight.Hosting;

/// <summary>
/// A running Flight face of a node: a <see cref="FlightNodeService"/> over a <see cref="ContentNode"/>,
/// served by <see cref="GrpcServer"/>, advertising <see cref="Location"/> (grpc+tcp://host:port, or grpc+tls://).
/// </summary>
public sealed class FlightNode : IAsyncDisposable
{
    private readonly GrpcServer _server;
    private readonly bool _ownsNode;

    private readonly GrpcHealthService _health;

    private readonly GrpcServiceRegistry _methods;

    private FlightNode(GrpcServer server, GrpcServiceRegistry methods, FlightNodeService service, GrpcHealthService health, string location, bool ownsNode)
    {
        _server = server;
        _methods = methods;
        Service = service;
        _health = health;
        Location = location;
        _ownsNode = ownsNode;
        Node.Health.Draining += OnDraining;
    }

    /// <summary>How often a health watcher's status is probed again without a change being announced.</summary>
    public static readonly TimeSpan HealthRecheck = TimeSpan.FromSeconds(5);

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

        // What a health check needs, loaded before descriptors can run short (as the gateway does).
        node.Health.Prepare();

        // The whole server ("") and the Flight service are one: both serve when the node is ready.
        var health = new GrpcHealthService(
            name => name is "" or FlightMethods.ServiceName
                ? node.Health.Probe().Ready ? ServingStatus.Serving : ServingStatus.NotServing
                : null,
            HealthRecheck);
        // A listener out of descriptors retries on its own; meanwhile readiness says so.
        var accepting = new Http2.Server.AcceptStatus(node.Logging.CreateLogger("ArrowCid.Flight.Listener"));
        node.Health.AddListener("flight", () => accepting.Problem);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            AcceptStatus = accepting,
            MaxConnections = options.MaxConnections,
            MaxConnectionsPerAddress = options.MaxConnectionsPerAddress,
            CallObserver = new FlightCallRecorder(node.Metrics, node.Logging.CreateLogger(NodeLogging.RequestCategory)),
            Endpoint = options.Listen,
            Certificate = options.Certificate,
            MaxReceiveMessageSize = options.MaxMessageSize,
            MaxSendMessageSize = options.MaxMessageSize,
            UseKestrelHttp2 = options.UseKestrelHttp2,
            AdmitCall = service.AdmitCall,
        }).AddFlightService(service).AddHealthService(health);
        var server = await GrpcServer.StartAsync(registry, cancellationToken).ConfigureAwait(false);
        string host = KestrelHosting.AdvertisedHost(options.Listen, options.AdvertisedHost);
        string location = FlightLocations.FromHttpAddress(server.Address, host);
        node.Identity.Location = location;
        return new FlightNode(server, registry, service, health, location, ownsNode);
    }

    /// <summary>
    /// Stops listening, sends GOAWAY on every connection and waits for the calls running to finish,
    /// until <paramref name="cancellationToken"/> ends the wait: then they are cut off. Call
    /// <see cref="NodeHealth.Drain"/> first, so new calls are refused and watchers told.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);

    // New calls are refused with UNAVAILABLE and every health watcher hears NOT_SERVING, at once.
    private void OnDraining()
    {
        _methods.Drain();
        _health.EndWatches();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Node.Health.Draining -= OnDraining;
        await _server.DisposeAsync().ConfigureAwait(false);
        if (_ownsNode)
        {
            Node.Dispose();
        }
    }
}

/// <summary>
/// Each Flight (and health) call, as it ends: into the node's metrics (face "flight", the method's
/// name, the status's canonical name) and its request log (with what it was about and the peer).
/// </summary>
internal sealed class FlightCallRecorder(NodeMetrics metrics, ILogger requests) : IGrpcCallObserver
{
    public void CallEnded(in GrpcCallEnded ended)
    {
        string method = ended.Method[(ended.Method.LastIndexOf('/') + 1)..];
        string status = StatusNames.Of(ended.Status);
        metrics.CallEnded("flight", method, status, ended.Duration, ended.BytesReceived, ended.BytesSent);
        if (ended.Status == StatusCode.DataLoss)
        {
            metrics.VerificationFailed();
        }

        NodeLogging.Request(requests, "flight", method, ended.Subject ?? "-", status, ended.BytesReceived, ended.BytesSent, ended.Duration.TotalMilliseconds, ended.Peer);
    }
}
