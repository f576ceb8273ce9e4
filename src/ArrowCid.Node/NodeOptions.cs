using ArrowCid.Registry;
using Microsoft.Extensions.Logging;
using ArrowCid.SharedMemory;

using ArrowCid.Flight.Client;

namespace ArrowCid.Node;

/// <summary>Settings of a <see cref="ContentNode"/>.</summary>
public sealed record NodeOptions
{
    /// <summary>
    /// Where the node and its faces log: one line per request at Information (face, method, what it
    /// was about, status, bytes, duration, peer; never a token, a password or an authorization
    /// header), the cause of a fault at Error. Default: warnings and errors, as text on stderr.
    /// </summary>
    public ILoggerFactory Logging { get; init; } = NodeLogging.Default;

    /// <summary>Who may call; open (no credentials) by default.</summary>
    public AccessPolicy Access { get; init; } = new();

    /// <summary>
    /// A registry shared by several nodes (PostgreSQL). Listings, locations and the change feed come
    /// from it, and content stored here is registered in it with this node's location. Null: the
    /// local repository's registry serves alone.
    /// </summary>
    public IRegistry? SharedRegistry { get; init; }

    /// <summary>
    /// A shared-memory store on this host whose batches are served too (those not in the
    /// repository), from its segment files and its arena alike, each hashed before it is sent.
    /// </summary>
    public ShmStore? SharedMemory { get; init; }

    /// <summary>
    /// The durable tier below the node's own disk (blocks on S3-compatible storage; issue 66,
    /// docs/object-storage.md), or null. Every block a put registers is in the tier before the
    /// registry names it, and a block this node lacks is read from the tier before peers are asked.
    /// The node does not own it.
    /// </summary>
    public ObjectStorage.S3BlockTier? DurableTier { get; init; }

    /// <summary>
    /// The bytes of block files the node's disk keeps (<c>--cache-size</c>), or null to keep every
    /// block it stores. Needs <see cref="DurableTier"/> and <see cref="SharedRegistry"/>: the disk is
    /// then a cache of the tier, evicted by heat (<see cref="BlockCache"/>); what a pin on this node
    /// retains stays beyond the bound.
    /// </summary>
    public long? CacheBytes { get; init; }

    /// <summary>Whether a CID this node lacks is fetched from a node the registry lists (then kept). Default true.</summary>
    public bool FetchFromPeers { get; init; } = true;

    /// <summary>
    /// Settings for calls to peer nodes (their token, TLS trust, message size). Whatever is set here,
    /// such calls are marked forwarded (<see cref="FlightClientOptions.Forwarded"/>) and bounded by
    /// <see cref="PeerConnectTimeout"/> and <see cref="PeerIdleTimeout"/>.
    /// </summary>
    public FlightClientOptions PeerClient { get; init; } = new();

    /// <summary>How long connecting to a peer may take before the next holder is tried. Default 5 s.</summary>
    public TimeSpan PeerConnectTimeout { get; init; } = FlightClientOptions.DefaultPeerConnectTimeout;

    /// <summary>How long a call to a peer may move no byte before it is given up and the next holder tried. Default 15 s.</summary>
    public TimeSpan PeerIdleTimeout { get; init; } = FlightClientOptions.DefaultPeerIdleTimeout;

    /// <summary>
    /// About how many chunk bytes one FlightInfo endpoint of a table covers: a table held here with
    /// more gets several endpoints, contiguous chunk ranges in row order (docs/flight.md). Default 64 MiB.
    /// </summary>
    public long EndpointBytes { get; init; } = 64L << 20;

    /// <summary>The bounds on what one request may make the node hold or do (docs/security.md).</summary>
    public NodeLimits Limits { get; init; } = NodeLimits.Default;

    /// <summary>
    /// Whether a put over Flight or HTTP records the client's address in its producer
    /// (<c>flight 10.0.0.7:51234</c>), which every reader of the table sees. Off by default: the
    /// producer is then just <c>flight</c> or <c>http</c>.
    /// </summary>
    public bool RecordClientAddresses { get; init; }

    /// <summary>
    /// How often subscribers look at the change feed when nothing woke them: changes made by other
    /// processes on a local SQLite registry announce themselves no other way.
    /// </summary>
    public TimeSpan ChangePollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The type's name only: the settings hold a peer token, which must not reach a log.</summary>
    /// <returns><c>NodeOptions</c>.</returns>
    public override string ToString() => nameof(NodeOptions);
}
