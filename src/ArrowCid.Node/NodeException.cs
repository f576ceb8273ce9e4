using ArrowCid.Arrow;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;


namespace ArrowCid.Node;

/// <summary>
/// What went wrong serving a request, whatever protocol carried it. Each face maps the kind once:
/// the Flight service to a gRPC status, the HTTP gateway to a problem answer (docs/flight.md,
/// docs/http.md list both).
/// </summary>
public enum NodeErrorKind
{
    /// <summary>The node, or any peer that answered, lacks what was named (gRPC NOT_FOUND, HTTP 404).</summary>
    NotFound,

    /// <summary>The request is malformed or names something impossible (INVALID_ARGUMENT, 400).</summary>
    InvalidArgument,

    /// <summary>What was named exists but is not what the request needs, e.g. a foreign block asked for as Arrow (FAILED_PRECONDITION, 406 or 409).</summary>
    FailedPrecondition,

    /// <summary>The caller's credentials do not allow it (PERMISSION_DENIED, 403).</summary>
    PermissionDenied,

    /// <summary>Something the node relies on is away for now, the registry or every peer; try again (UNAVAILABLE, 503).</summary>
    Unavailable,

    /// <summary>A stored block no longer hashes to its CID (DATA_LOSS, 500 saying so).</summary>
    DataLoss,

    /// <summary>The node's storage (its disk, quota or registry database) is full: writes are refused until space is freed, reads go on (RESOURCE_EXHAUSTED, 507).</summary>
    StorageFull,

    /// <summary>A request passed what the node lets one request use: a SQL query's memory, deadline or rows (RESOURCE_EXHAUSTED, 422).</summary>
    ResourceExhausted,
}

/// <summary>A request the node refuses or cannot serve, with the <see cref="NodeErrorKind"/> every face maps.</summary>
public class NodeException : Exception
{
    /// <summary>A refusal of <paramref name="kind"/> with a message for the caller.</summary>
    public NodeException(NodeErrorKind kind, string message)
        : base(message) => Kind = kind;

    /// <summary>A refusal of <paramref name="kind"/> with a message and its cause.</summary>
    public NodeException(NodeErrorKind kind, string message, Exception? innerException)
        : base(message, innerException) => Kind = kind;

    /// <summary>Creates the exception with a default message (an internal refusal).</summary>
    public NodeException()
        : this(NodeErrorKind.InvalidArgument, "the node refused the request") { }

    /// <summary>Creates the exception with a message (an invalid request).</summary>
    public NodeException(string message)
        : this(NodeErrorKind.InvalidArgument, message) { }

    /// <summary>Creates the exception with a message and its cause (an invalid request).</summary>
    public NodeException(string message, Exception innerException)
        : this(NodeErrorKind.InvalidArgument, message, innerException) { }

    /// <summary>What kind of failure this is.</summary>
    public NodeErrorKind Kind { get; }

    /// <summary>
    /// What a client is told of <paramref name="error"/>, of kind <paramref name="kind"/>: the message of
    /// what the node and the layers below wrote for callers, but for a full storage and a damaged
    /// copy a fixed line, since the file system's own text and the store's name the node's paths.
    /// </summary>
    public static string MessageOf(Exception error, NodeErrorKind kind)
    {
        ArgumentNullException.ThrowIfNull(error);
        return (kind, error) switch
        {
            (NodeErrorKind.StorageFull, not NodeException) => Repository.StorageFaults.FullMessage,
            (NodeErrorKind.DataLoss, BlockCorruptedException { Cid: { } cid }) => $"{cid}: the copy this node holds does not hash to its CID, and was not sent",
            _ => error.Message,
        };
    }

    /// <summary>NOT_FOUND, naming what is missing.</summary>
    public static NodeException NotFound(string what) => new(NodeErrorKind.NotFound, $"not found: {what}");

    /// <summary>INVALID_ARGUMENT, saying why.</summary>
    public static NodeException Invalid(string why) => new(NodeErrorKind.InvalidArgument, why);

    /// <summary>
    /// The kind of what the layers below the node throw, classified once for every face: a missing
    /// block or name, a malformed input, an unreachable registry or peer, a corrupted block. Null
    /// for anything else (the node's own fault, which a face reports without its internals).
    /// </summary>
    /// <param name="error">What was thrown.</param>
    /// <returns>Its kind, or null.</returns>
    public static NodeErrorKind? KindOf(Exception error) => error switch
    {
        NodeException node => node.Kind,
        BlockNotFoundException or DatasetNotFoundException => NodeErrorKind.NotFound,
        RegistryUnavailableException or Repository.RepositoryBusyException => NodeErrorKind.Unavailable,

        // The durable tier unreachable, slow past its deadline, or refusing the node's credentials: not now, whoever asks.
        ObjectStorage.ObjectStoreException => NodeErrorKind.Unavailable,
        BlockCorruptedException => NodeErrorKind.DataLoss,
        _ when Repository.StorageFaults.IsFull(error) => NodeErrorKind.StorageFull,
        ContentFormatException or ArrowFormatException or FormatException or Content.Chunking.TableWalkLimitException => NodeErrorKind.InvalidArgument,
        _ => null,
    };
}
