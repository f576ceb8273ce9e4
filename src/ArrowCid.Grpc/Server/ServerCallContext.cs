namespace ArrowCid.Grpc;

/// <summary>What a handler knows about the call it serves, and what it may add to the answer.</summary>
public abstract class ServerCallContext
{
    /// <summary>The method path, <c>/{service}/{method}</c>.</summary>
    public abstract string Method { get; }

    /// <summary>The caller's address, e.g. <c>ipv4:127.0.0.1:53422</c>.</summary>
    public abstract string Peer { get; }

    /// <summary>The custom metadata the client sent (reserved HTTP and gRPC headers excluded).</summary>
    public abstract Metadata RequestHeaders { get; }

    /// <summary>When the call must be done by (UTC); <see cref="DateTime.MaxValue"/> when the client set no deadline.</summary>
    public abstract DateTime Deadline { get; }

    /// <summary>Fires when the client cancels or disconnects, or the deadline passes.</summary>
    public abstract CancellationToken CancellationToken { get; }

    /// <summary>Custom trailers to send with the status.</summary>
    public abstract Metadata ResponseTrailers { get; }

    /// <summary>
    /// The status sent when the handler returns normally (OK unless set). Throwing an
    /// <see cref="RpcException"/> sets the status instead.
    /// </summary>
    public Status Status { get; set; } = Status.Ok;

    /// <summary>What the call is about (a CID, a name), set by its handler for the call's log line; null when nothing in particular.</summary>
    public string? Subject { get; set; }

    /// <summary>Sends response headers with custom metadata now, before any message. At most once.</summary>
    public abstract Task WriteResponseHeadersAsync(Metadata responseHeaders);
}
