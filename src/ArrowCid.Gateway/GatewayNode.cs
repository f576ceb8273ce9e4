using ArrowCid.Http2.Server;
using ArrowCid.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Gateway;

/// <summary>
/// A running HTTP gateway: Kestrel (HTTP/1.1 and HTTP/2; HTTPS when a certificate is given) serving
/// a <see cref="ContentNode"/> over HTTP with the same tokens as its other faces (docs/http.md).
/// </summary>
public sealed class GatewayNode : IAsyncDisposable
{
    /// <summary>
    /// Unsent response bytes a connection may hold before a write waits for the socket: a few table
    /// chunks (each at most 1 MiB), so a stream reads its next chunk while the last is sent, and
    /// more than a 256 KiB raw block with its headers.
    /// </summary>
    private const long ResponseBufferBytes = 4L << 20;

    private readonly WebApplication _app;

    private readonly MetricsEndpoint _metrics;

    private GatewayNode(WebApplication app, Uri address, GatewayContext context, MetricsEndpoint metrics)
    {
        _app = app;
        Address = address;
        Context = context;
        _metrics = metrics;
    }

    /// <summary>Where <c>/metrics</c> is served on a port of its own (<see cref="GatewayOptions.MetricsListen"/>), or null.</summary>
    public Uri? MetricsAddress => _metrics.OwnAddress;

    /// <summary>The advertised base address, e.g. <c>http://127.0.0.1:8816</c>.</summary>
    public Uri Address { get; }

    /// <summary>What the handlers share (for tests: its caches).</summary>
    internal GatewayContext Context { get; }

    /// <summary>Starts serving the content of <paramref name="node"/> (not owned).</summary>
    public static async Task<GatewayNode> StartAsync(ContentNode node, GatewayOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        options ??= new GatewayOptions();
        var context = new GatewayContext(node, options);

        // Loaded before the first connection (issue 65): with no descriptor left an assembly cannot
        // be opened, and a type whose initializer failed then (ReasonPhrases) would stay failed for good.
        node.Health.Prepare();
        GatewayProblem.Prepare();

        // The empty builder brings no configuration sources, logging providers or middleware.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());

        builder.WebHost.UseSockets(sockets =>
        {
            // Unflushed response bytes a connection may hold before a write waits (64 KiB by default):
            // room for a few chunk writes, so a table stream reads its next chunk while the socket
            // still sends the last one, rather than each write waiting for the socket to drain.
            sockets.MaxWriteBufferSize = ResponseBufferBytes;

            // Kestrel's default scheduling is kept on purpose: with UnsafePreferInlineScheduling a
            // flushed response is sent from the thread that flushed it, so a table stream's sends and
            // its chunk copies no longer overlap (measured on 16 cores: the Arrow stream fell from
            // 0.92 to 0.60-0.66 of the socket while raw blocks gained little; docs/performance.md).
        });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // A cleartext HTTP/2 connection looks like TLS to Kestrel (CleartextHttp2Detection):
            // take the request's own :scheme ("http") rather than refusing it for not being "https".
            kestrel.AllowAlternateSchemes = true;

            // Bodies are streamed (POST of a large table): no cap on their size, the store bounds memory.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;

            // A whole raw block or table chunk fits in a connection's unsent output, so writing one
            // completes at once and the socket sends it while the next is read, rather than the
            // writer pausing at 64 KiB (Kestrel's default) and resuming on the thread pool.
            kestrel.Limits.MaxResponseBufferSize = ResponseBufferBytes;
            kestrel.Listen(options.Listen, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                Http2.Server.AddressConnectionLimit.Apply(listen, options.MaxConnectionsPerAddress);

                if (options.Certificate is not null)
                {
                    listen.UseHttps(options.Certificate);
                }
                else
                {
                    listen.Use(next => connection => CleartextHttp2Detection.DetectAsync(connection, next, options.RequestHeadersTimeout));
                }
            });
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(context);

        WebApplication app = builder.Build();
        var cors = new GatewayCors(options.CorsOrigins, options.CorsAnyOriginWrites);
        var hosts = new GatewayHostGuard(options);
        var requestLog = node.Logging.CreateLogger(NodeLogging.RequestCategory);
        app.Use((http, next) => RequestMetrics.MeasureAsync(http, node.Metrics, requestLog, next));
        app.Use(GatewayProblem.GuardAsync);
        app.Use((http, next) => HealthEndpoints.RefuseWhileDrainingAsync(http, node.Health, next));
        app.Use(hosts.HandleAsync);
        app.Use(cors.HandleAsync);
        app.Use((http, next) => GatewayAccess.CheckAsync(http, node.Access, next));
        app.UseRouting();
        var metrics = new MetricsEndpoint();
        metrics.Map(app);
        MapEndpoints(app, context);
        var boundUri = await KestrelHosting.StartAsync(app, cancellationToken).ConfigureAwait(false);
        if (options.MetricsListen is { } metricsListen)
        {
            try
            {
                await metrics.StartOwnPortAsync(metricsListen, node, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                await metrics.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        string host = KestrelHosting.UriHost(KestrelHosting.AdvertisedHost(options.Listen, options.AdvertisedHost));
        context.Address = new UriBuilder(boundUri.Scheme, host, boundUri.Port).Uri;
        node.Identity.HttpLocation = context.Address.GetLeftPart(UriPartial.Authority);
        return new GatewayNode(app, context.Address, context, metrics);
    }

    /// <summary>Every route the gateway serves; each feature maps its own (docs/http.md lists them).</summary>
    private static void MapEndpoints(IEndpointRouteBuilder routes, GatewayContext context)
    {
        IpfsEndpoints.Map(routes, context);
        ApiEndpoints.Map(routes, context);
        SqlEndpoint.Map(routes, context);
        EventsEndpoint.Map(routes, context);
        RoutingEndpoints.Map(routes, context);
        IpnsEndpoints.Map(routes, context);
        NameEndpoints.Map(routes, context);
        TableUploads.Map(routes, context);
        ExplorerEndpoints.Map(routes);
        HealthEndpoints.Map(routes, context);

        // Anything else: a problem answer rather than an empty 404.
        routes.Map("{**path}", http => throw new GatewayException(StatusCodes.Status404NotFound, $"no such endpoint: {http.Request.Method} {http.Request.Path}"));
    }

    /// <summary>
    /// Stops listening, closes idle connections (GOAWAY on HTTP/2) and waits for the requests
    /// running to finish, until <paramref name="cancellationToken"/> ends the wait: then they are
    /// cut off. Call <see cref="NodeHealth.Drain"/> first, so new requests get 503.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(grace.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        await _metrics.DisposeAsync().ConfigureAwait(false);
    }
}
