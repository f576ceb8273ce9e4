using ArrowCid.Http2.Server;

namespace ArrowCid.Flight;

/// <summary>Flight location URIs (<c>grpc+tcp://host:port</c>, <c>grpc+tls://…</c>) and the HTTP/2 addresses they stand for.</summary>
public static class FlightLocations
{
    /// <summary>Whether a registry location is a Flight endpoint (rather than a path or a shared-memory name).</summary>
    public static bool IsFlightLocation(string location) =>
        location.StartsWith("grpc://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("grpc+tcp://", StringComparison.OrdinalIgnoreCase)
        || location.StartsWith("grpc+tls://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The HTTP/2 address of a Flight location: grpc, grpc+tcp and http become http://; grpc+tls and https become https://.</summary>
    /// <exception cref="FormatException">Not a Flight or HTTP URI with a host and port.</exception>
    public static Uri ToHttpAddress(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"'{location}' is not a Flight location such as grpc+tcp://host:port");
        }

        string scheme = uri.Scheme.ToUpperInvariant() switch
        {
            "GRPC" or "GRPC+TCP" or "HTTP" => Uri.UriSchemeHttp,
            "GRPC+TLS" or "HTTPS" => Uri.UriSchemeHttps,
            _ => throw new FormatException($"'{location}': the scheme must be grpc+tcp, grpc+tls, http or https"),
        };
        if (uri.Port <= 0)
        {
            throw new FormatException($"'{location}' names no port");
        }

        return new UriBuilder(scheme, uri.Host, uri.Port).Uri;
    }

    /// <summary>The Flight location of an HTTP/2 address: http becomes grpc+tcp, https grpc+tls.</summary>
    public static string FromHttpAddress(Uri address, string? host = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        string scheme = address.Scheme == Uri.UriSchemeHttps ? "grpc+tls" : "grpc+tcp";
        return $"{scheme}://{KestrelHosting.UriHost(host ?? address.Host)}:{address.Port}";
    }
}
