using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace ArrowCid.Http2.Server;

/// <summary>Starting a Kestrel application and naming where it listens: shared by every server a node runs (gRPC, the HTTP gateway).</summary>
public static class KestrelHosting
{
    /// <summary>Starts <paramref name="app"/> (disposing it if it fails to start) and answers the address Kestrel bound (the real port when port 0 was asked for).</summary>
    /// <exception cref="InvalidOperationException">Kestrel reported no bound address.</exception>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Kestrel reported no bound address");
        return new Uri(bound);
    }

    /// <summary>
    /// The host name a server listening on <paramref name="listen"/> is reached by: <paramref name="advertised"/>
    /// when given, this machine's name when listening on every address, else the listen address.
    /// </summary>
    public static string AdvertisedHost(IPEndPoint listen, string? advertised)
    {
        ArgumentNullException.ThrowIfNull(listen);
        return advertised
            ?? (listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any) ? Dns.GetHostName() : listen.Address.ToString());
    }

    /// <summary>A host as it stands in a URI's authority: an IPv6 literal in brackets (RFC 3986 §3.2.2), any other name as it is.</summary>
    /// <param name="host">A host name or address, bracketed or not.</param>
    /// <returns>The host, ready to be followed by <c>:port</c>.</returns>
    public static string UriHost(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
    }
}
