namespace ArrowCid.Grpc;

/// <summary>Per-call settings of a client call.</summary>
/// <param name="Headers">Custom metadata sent as request headers.</param>
/// <param name="Deadline">When the call must be done by (UTC); sent as grpc-timeout and enforced locally.</param>
/// <param name="CancellationToken">Cancels the call (the server sees the stream reset).</param>
public readonly record struct CallOptions(Metadata? Headers = null, DateTime? Deadline = null, CancellationToken CancellationToken = default);
