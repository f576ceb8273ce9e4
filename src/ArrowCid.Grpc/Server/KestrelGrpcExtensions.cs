using ArrowCid.Http2.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ArrowCid.Grpc;

/// <summary>Configures Kestrel and an ASP.NET Core app to serve gRPC.</summary>
public static class KestrelGrpcExtensions
{
    /// <summary>
    /// Listens on <see cref="GrpcServerOptions.Endpoint"/> with HTTP/2 only: cleartext needs that
    /// (gRPC clients use prior knowledge, with no upgrade or ALPN to choose the protocol), and with a
    /// certificate ALPN then offers only h2. Also lifts the limits that would cut long streams short
    /// and widens the flow-control windows for throughput. Given an <paramref name="application"/>
    /// and <see cref="GrpcServerOptions.UseKestrelHttp2"/> off, Kestrel accepts and does TLS while
    /// our own HTTP/2 server (<see cref="Http2ServerMiddleware"/>) serves the requests to it.
    /// </summary>
    public static KestrelServerOptions ListenGrpc(this KestrelServerOptions kestrel, GrpcServerOptions options, RequestDelegate? application = null)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(options);
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = null;
        kestrel.Limits.MaxConcurrentConnections = options.MaxConnections;
        kestrel.Limits.MinRequestBodyDataRate = null;
        kestrel.Limits.MinResponseDataRate = null;
        kestrel.Limits.Http2.InitialConnectionWindowSize = options.InitialConnectionWindowSize;
        kestrel.Limits.Http2.InitialStreamWindowSize = options.InitialStreamWindowSize;
        if (options.KeepAlive.Enabled && options.UseKestrelHttp2)
        {
            // Kestrel takes nothing under a second.
            kestrel.Limits.Http2.KeepAlivePingDelay = TimeSpan.FromSeconds(Math.Max(1, options.KeepAlive.PingDelay.TotalSeconds));
            kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(Math.Max(1, options.KeepAlive.PingTimeout.TotalSeconds));
        }
        kestrel.Listen(options.Endpoint, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            AddressConnectionLimit.Apply(listen, options.MaxConnectionsPerAddress);

            if (options.Certificate is { } certificate)
            {
                listen.UseHttps(certificate);
            }

            if (application is not null && !options.UseKestrelHttp2)
            {
                var http2 = new Http2ServerOptions
                {
                    InitialConnectionWindowSize = options.InitialConnectionWindowSize,
                    InitialStreamWindowSize = options.InitialStreamWindowSize,
                    IdleTimeout = options.IdleConnectionTimeout,
                    KeepAlive = options.KeepAlive,
                };

                listen.UseHttp2Server(application, http2);
            }
        });
        return kestrel;
    }

    /// <summary>Serves every request of the app as a gRPC call routed by <paramref name="services"/>.</summary>
    public static void RunGrpc(this IApplicationBuilder app, GrpcServiceRegistry services)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(services);
        app.Run(services.HandleAsync);
    }
}
