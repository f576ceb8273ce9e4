namespace ArrowCid.Grpc;

/// <summary>How a call ended, for metrics and logs (<see cref="IGrpcCallObserver"/>).</summary>
/// <param name="Method">The method's path, <c>/{service}/{method}</c>.</param>
/// <param name="Status">Its status (CANCELLED when the client went away before one could be sent).</param>
/// <param name="Duration">From its headers to its end.</param>
/// <param name="BytesReceived">Request message bytes read (length prefixes included).</param>
/// <param name="BytesSent">Response message bytes written (length prefixes included).</param>
/// <param name="Peer">The client, as <see cref="ServerCallContext.Peer"/> gives it.</param>
/// <param name="Subject">What the call was about, as its handler said (<see cref="ServerCallContext.Subject"/>).</param>
public readonly record struct GrpcCallEnded(string Method, StatusCode Status, TimeSpan Duration, long BytesReceived, long BytesSent, string Peer, string? Subject);

/// <summary>Told of every call a server ran, as it ends (on the call's own thread: keep it short).</summary>
public interface IGrpcCallObserver
{
    /// <summary>A call ended.</summary>
    void CallEnded(in GrpcCallEnded ended);
}
