using System.Net.Security;

namespace ArrowCid.Flight.Client;

/// <summary>Settings of a <see cref="FlightClient"/>.</summary>
public sealed class FlightClientOptions
{
    /// <summary>The largest message accepted or sent: 256 MiB, room for large batches.</summary>
    public const int DefaultMaxMessageSize = 256 * 1024 * 1024;

    /// <summary>A bearer token sent on every call (<c>authorization: Bearer …</c>).</summary>
    public string? Token { get; set; }

    /// <summary>The largest message accepted or sent.</summary>
    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>Checks the server certificate for grpc+tls; null uses the system's trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>Send through .NET's SocketsHttpHandler instead of our HTTP/2 client (see <see cref="Grpc.GrpcChannelOptions.UseSocketsHttpHandler"/>); for comparison.</summary>
    public bool UseSocketsHttpHandler { get; set; }
}
