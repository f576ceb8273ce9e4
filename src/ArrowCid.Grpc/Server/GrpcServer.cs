using ArrowCid.Http2.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace ArrowCid.Grpc;

/// <summary>A running Kestrel server that serves the methods of a <see cref="GrpcServiceRegistry"/>.</summary>
public sealed class GrpcServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The bound address (the real port when port 0 was asked for), e.g. <c>http://127.0.0.1:50123</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts serving <paramref name="services"/> with the registry's options (endpoint, certificate, limits).</summary>
    public static async Task<GrpcServer> StartAsync(GrpcServiceRegistry services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        GrpcServerOptions options = services.Options;

        // The empty builder brings no configuration sources, logging providers or middleware:
        // the server is exactly Kestrel plus the gRPC router.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.ListenGrpc(options, services.HandleAsync));
        if (!options.UseKestrelHttp2)
        {
            // Our HTTP/2 server reads cleartext connections from the socket itself.
            builder.Services.AddHttp2SocketTransport();
            if (options.AcceptStatus is { } accepting)
            {
                builder.Services.AddSingleton(accepting);
            }
        }

        WebApplication app = builder.Build();
        app.RunGrpc(services);
        return new GrpcServer(app, await KestrelHosting.StartAsync(app, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Stops accepting calls and waits (up to the token) for running calls to finish.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(grace.Token).ConfigureAwait(false);
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
