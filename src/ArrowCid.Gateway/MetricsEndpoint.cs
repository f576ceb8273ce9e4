using System.Net;
using ArrowCid.Content;
using ArrowCid.Http2.Server;
using ArrowCid.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>/metrics</c>: everything recorded on the <see cref="ArrowCidMeter"/> meter (the node's calls
/// and bytes, the store, the repository, shared memory) and on the runtime's System.Runtime meter in the Prometheus text format, through
/// OpenTelemetry's Prometheus exporter (measured against prometheus-net: docs/performance.md,
/// "Metrics"). It follows the node's tokens like any read: open on an open node, else a read token.
/// </summary>
public sealed class MetricsEndpoint : IAsyncDisposable, IDisposable
{
    /// <summary>The path scraped.</summary>
    public const string Path = "/metrics";

    private readonly MeterProvider _provider;
    private WebApplication? _ownPort;

    /// <summary>Starts collecting what is recorded on the meter (from now until disposed).</summary>
    public MetricsEndpoint()
    {
        // Each scrape is collected afresh (the exporter's default keeps an answer 300 ms).
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(ArrowCidMeter.Name)
            // The runtime's own meter: the process's working set, the GC's heap and what it keeps
            // committed, collections and pauses, the thread pool (dotnet.* names).
            .AddMeter("System.Runtime")
            // Gauges whose names end in `_count`, which Prometheus keeps for histograms and summaries
            // (promtool refuses them), and which say little about a node: dropped.
            .AddView("dotnet.assembly.count", MetricStreamConfiguration.Drop)
            .AddView("dotnet.process.cpu.count", MetricStreamConfiguration.Drop)
            .AddView("dotnet.timer.count", MetricStreamConfiguration.Drop)
            .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0)
            .Build();
    }

    /// <summary>Where the port of its own listens, when there is one.</summary>
    public Uri? OwnAddress { get; private set; }

    /// <summary>Serves <see cref="Path"/> among <paramref name="routes"/>.</summary>
    internal void Map(IEndpointRouteBuilder routes) =>
        routes.MapPrometheusScrapingEndpoint(Path, _provider, configureBranchedPipeline: null, optionsName: null);

    /// <summary>Serves <see cref="Path"/> alone on a port of its own, behind the node's tokens.</summary>
    internal async Task StartOwnPortAsync(IPEndPoint listen, ContentNode node, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen, options => options.Protocols = HttpProtocols.Http1AndHttp2);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        app.Use(GatewayProblem.GuardAsync);
        app.Use((http, next) => GatewayAccess.CheckAsync(http, node.Access, next));
        app.UseRouting();
        Map(app);
        app.Map("{**path}", http => throw new GatewayException(StatusCodes.Status404NotFound, $"this port serves {Path} only"));
        OwnAddress = await KestrelHosting.StartAsync(app, cancellationToken).ConfigureAwait(false);
        _ownPort = app;
    }

    /// <summary>Stops collecting (and the port of its own).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_ownPort is not null)
        {
            await _ownPort.StopAsync().ConfigureAwait(false);
            await _ownPort.DisposeAsync().ConfigureAwait(false);
        }

        _provider.Dispose();
    }
}
