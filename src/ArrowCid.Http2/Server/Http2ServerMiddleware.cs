using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ArrowCid.Http2.Server;

/// <summary>Puts this HTTP/2 server on a Kestrel endpoint as connection middleware.</summary>
public static class Http2ServerMiddleware
{
    /// <summary>
    /// Serves every connection of <paramref name="listen"/> with this HTTP/2 server, handing each
    /// request to <paramref name="application"/>. Added after <c>UseHttps</c>, it sees the decrypted
    /// connection; it never calls the next delegate, so Kestrel's own HTTP/2 layer is not used on
    /// this endpoint.
    /// </summary>
    /// <param name="listen">The Kestrel endpoint.</param>
    /// <param name="application">The request handler.</param>
    /// <param name="options">Flow-control windows and the idle timeout.</param>
    /// <returns><paramref name="listen"/>.</returns>
    public static ListenOptions UseHttp2Server(this ListenOptions listen, RequestDelegate application, Http2ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(options);
        listen.Use(_ => connection => Http2ServerConnection.ServeAsync(connection, application, options));
        return listen;
    }

    /// <summary>
    /// Makes Kestrel accept TCP connections through a transport that runs no receive loop of its own,
    /// so this server reads a cleartext connection's frames straight from the socket (a large request
    /// body lands in its message in large reads, with no pipe copy in between); TLS connections read
    /// the socket through the connection's pipe, only when asked. Kestrel tries the transport
    /// registered last first: call this after <c>UseKestrel</c>/<c>UseKestrelCore</c>. An endpoint served
    /// by Kestrel's own HTTP protocols works on it too, but gains nothing.
    /// </summary>
    /// <param name="services">The web host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddHttp2SocketTransport(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IConnectionListenerFactory, DirectSocketTransportFactory>();
        return services;
    }
}
