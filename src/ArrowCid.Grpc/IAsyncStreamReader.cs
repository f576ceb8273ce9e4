namespace ArrowCid.Grpc;

/// <summary>Reads a stream of messages, one at a time. Not safe for concurrent calls.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IAsyncStreamReader<out T>
{
    /// <summary>The message the last successful <see cref="MoveNext"/> read.</summary>
    T Current { get; }

    /// <summary>Reads the next message.</summary>
    /// <returns>True with <see cref="Current"/> set; false at the end of the stream.</returns>
    /// <exception cref="RpcException">The stream is malformed or the call failed.</exception>
    Task<bool> MoveNext(CancellationToken cancellationToken);
}
