namespace ArrowCid.Grpc;

/// <summary>Per-call settings of a client call.</summary>
/// <param name="Headers">Custom metadata sent as request headers.</param>
/// <param name="Deadline">When the call must be done by (UTC); sent as grpc-timeout and enforced locally.</param>
/// <param name="IdleTimeout">
/// The call fails with DEADLINE_EXCEEDED, saying what it waited for, once no byte has moved on it
/// either way for this long (our HTTP/2 client only; SocketsHttpHandler ignores it). Null: no limit
/// but the deadline.
/// </param>
/// <param name="CancellationToken">Cancels the call (the server sees the stream reset).</param>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, TimeSpan? IdleTimeout = null, CancellationToken CancellationToken = default);
