using System.Net.Security;
using ArrowCid.Content.Chunking;

namespace ArrowCid.Flight.Client;

/// <summary>Settings of a <see cref="FlightClient"/> (a record: derive variants with <c>with</c>).</summary>
public sealed record FlightClientOptions
{
    /// <summary>The largest message accepted or sent: 256 MiB, room for large batches.</summary>
    public const int DefaultMaxMessageSize = 256 * 1024 * 1024;

    /// <summary>How long a node waits to connect to another node before it tries the next holder: 5 s.</summary>
    public static readonly TimeSpan DefaultPeerConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a node waits on a call to another node that moves no byte before it tries the next holder: 15 s.</summary>
    public static readonly TimeSpan DefaultPeerIdleTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A bearer token sent on every call (<c>authorization: Bearer …</c>).</summary>
    public string? Token { get; set; }

    /// <summary>The largest message accepted or sent.</summary>
    public int MaxMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>Checks the server certificate for grpc+tls; null uses the system's trust.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>
    /// Each call's deadline, from its start (sent as grpc-timeout; DEADLINE_EXCEEDED after it). Null
    /// (the default for the library), zero or infinite: none. Subscriptions have none.
    /// </summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>
    /// A call fails with DEADLINE_EXCEEDED, saying what it was waiting for, once no byte has moved
    /// on it either way for this long. Null (the default for the library): no limit. Subscriptions
    /// have none.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// The most chunks a fetched table's tree may link (<see cref="TableWalkLimitException"/> past
    /// it, before the chunk list is made): a tree may link one node thousands of times, so a few
    /// kilobytes a server sends can describe billions of chunks. Default 1,048,576 (a table of
    /// 256 GiB at the chunking target; its chunk list takes about 100 MB).
    /// </summary>
    public long MaxTableChunks { get; set; } = 1L << 20;

    /// <summary>How long opening a connection may take before a call fails UNAVAILABLE. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Calls are made by one node on a client's behalf (metadata <c>arrowcid-forwarded: 1</c>): the
    /// node receiving them answers from what it holds and never asks a peer in turn, so two nodes
    /// that each list the other as a holder cannot pass a request back and forth.
    /// </summary>
    public bool Forwarded { get; set; }

    /// <summary>The metadata key a forwarded call carries (value <c>1</c>): a node serving it answers from what it holds and never asks a peer in turn.</summary>
    public const string ForwardedHeader = "arrowcid-forwarded";

    /// <summary>Send through .NET's SocketsHttpHandler instead of our HTTP/2 client (see <see cref="Grpc.GrpcChannelOptions.UseSocketsHttpHandler"/>); for comparison.</summary>
    public bool UseSocketsHttpHandler { get; set; }

    /// <summary>
    /// These settings for calls one node makes to another: marked <see cref="Forwarded"/> (never
    /// passed on again) and bounded by the peer timeouts, so a silent or absent node costs at most
    /// that long before the next holder is tried.
    /// </summary>
    /// <param name="connectTimeout">The connect timeout; default <see cref="DefaultPeerConnectTimeout"/>.</param>
    /// <param name="idleTimeout">The idle timeout; default <see cref="DefaultPeerIdleTimeout"/>.</param>
    /// <returns>A copy with those settings.</returns>
    public FlightClientOptions ForPeer(TimeSpan? connectTimeout = null, TimeSpan? idleTimeout = null) => this with
    {
        ConnectTimeout = connectTimeout ?? DefaultPeerConnectTimeout,
        IdleTimeout = idleTimeout ?? DefaultPeerIdleTimeout,
        Forwarded = true,
    };
}
