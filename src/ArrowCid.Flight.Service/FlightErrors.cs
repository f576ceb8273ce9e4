using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Grpc;
using ArrowCid.Node;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Maps what the repository, the decoders and the registry throw to the gRPC status a Flight client
/// should see, so a bad request is answered with its cause instead of UNKNOWN.
/// </summary>
internal sealed partial class FlightErrors(ILogger log)
{
    /// <summary>Runs a handler body; any exception leaves as an <see cref="RpcException"/> with a fitting status.</summary>
    public async Task Guard(Func<Task> body)
    {
        try
        {
            await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException && ToRpc(e) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>Like <see cref="Guard(Func{Task})"/> for a handler with a result.</summary>
    public async Task<T> Guard<T>(Func<Task<T>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException && ToRpc(e) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>
    /// The status for an exception; null for cancellation, which the transport reports itself. The
    /// node classifies what it and the layers below throw (<see cref="NodeException.KindOf"/>); what
    /// is left is Flight's own reading of malformed requests and of the node's faults.
    /// </summary>
    public RpcException? ToRpc(Exception e) => e switch
    {
        OperationCanceledException => null,
        BlockNotFoundException { Cid: { } cid } => new RpcException(StatusCode.NotFound, $"not found: {cid}"),
        _ when NodeException.KindOf(e) is { } kind => new RpcException(StatusOf(kind), NodeException.MessageOf(e, kind)),
        ArgumentException or System.Text.Json.JsonException or OverflowException or InvalidCastException => new RpcException(StatusCode.InvalidArgument, e.Message),
        TimeoutException => new RpcException(StatusCode.Unavailable, e.Message),
        // The node's own faults: the client learns that much; the cause, which may name paths and
        // types, goes to the node's log.
        IOException or UnauthorizedAccessException => Logged(e, "the node could not read or write its storage"),
        _ => Logged(e, "the node failed to answer"),
    };

    private RpcException Logged(Exception e, string what)
    {
        // The stack trace goes to the log only; the client gets the id to quote.
        string id = Guid.NewGuid().ToString("N")[..12];
        LogFault(log, e, what, id);
        return new RpcException(StatusCode.Internal, $"{what}; its log has the cause under {id}");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "flight: {What} ({Id})")]
    private static partial void LogFault(ILogger log, Exception error, string what, string id);

    /// <summary>The gRPC status of each kind of node error (docs/flight.md).</summary>
    public static StatusCode StatusOf(NodeErrorKind kind) => kind switch
    {
        NodeErrorKind.NotFound => StatusCode.NotFound,
        NodeErrorKind.InvalidArgument => StatusCode.InvalidArgument,
        NodeErrorKind.FailedPrecondition => StatusCode.FailedPrecondition,
        NodeErrorKind.PermissionDenied => StatusCode.PermissionDenied,
        NodeErrorKind.Unavailable => StatusCode.Unavailable,
        NodeErrorKind.DataLoss => StatusCode.DataLoss,
        NodeErrorKind.StorageFull or NodeErrorKind.ResourceExhausted => StatusCode.ResourceExhausted,
        _ => StatusCode.Internal,
    };

    public static RpcException NotFound(string what) => new(StatusCode.NotFound, $"not found: {what}");

    /// <summary>
    /// Refuses a foreign block (FAILED_PRECONDITION, naming its kind and codec) where Arrow data is
    /// asked for: DoGet, GetFlightInfo, GetSchema. Its bytes are served by the <c>block</c> action.
    /// </summary>
    public static void RequireArrow(Content.Multiformats.Cid cid, Registry.BlockKind? kind)
    {
        if (kind == Registry.BlockKind.Foreign)
        {
            throw new RpcException(StatusCode.FailedPrecondition,
                $"{cid} is a foreign block ({Content.Multiformats.Multicodec.NameOf(cid.Codec)}), not Arrow data: fetch its bytes with the \"block\" action");
        }

        if (kind == Registry.BlockKind.TableNode)
        {
            throw new RpcException(StatusCode.FailedPrecondition,
                $"{cid} is an inner node of a table's manifest tree, not a table: DoGet the table's root CID (the \"block\" action serves the node's bytes)");
        }
    }

    public static RpcException Invalid(string why) => new(StatusCode.InvalidArgument, why);
}
