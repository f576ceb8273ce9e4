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

    /// <summary>
    /// Whether the peer has ended the stream and all it sent has arrived, so no <see cref="MoveNext"/>
    /// from now on waits for the peer. A handler may then hold back an answer for its next write: the
    /// peer cannot be waiting for it before sending more. False when unknown.
    /// </summary>
    bool IsReceivedWhole => false;

    /// <summary>
    /// Tells the reader that the caller is done with <see cref="Current"/> and with everything that
    /// reads its bytes (a large field left in place, an Arrow batch decoded over it): the memory a large
    /// message was received into goes back to a pool for the next one, instead of to the garbage
    /// collector. Optional: a caller that keeps messages simply never calls it. After it,
    /// <see cref="Current"/> is unavailable until the next <see cref="MoveNext"/>.
    /// </summary>
    void ReleaseCurrent()
    {
    }
}
