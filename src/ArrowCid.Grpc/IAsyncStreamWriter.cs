namespace ArrowCid.Grpc;

/// <summary>Writes a stream of messages. Not safe for concurrent calls: await each write.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IAsyncStreamWriter<in T>
{
    /// <summary>Sends one message; completes when the transport has taken it (flow control applies).</summary>
    Task WriteAsync(T message, CancellationToken cancellationToken = default);
}

/// <summary>The response stream of a server-streaming or duplex handler.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IServerStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>
    /// Sends one message that may wait in the response's buffer until the next write (or the end of
    /// the call) sends it along, as gRPC's buffer hint: a small message written right before another
    /// then shares that one's DATA frame and socket write, and a call's last message goes out with
    /// its status in one write. Only for a message another write or the end of the call follows at
    /// once; this default sends it at once.
    /// </summary>
    Task WriteBufferedAsync(T message, CancellationToken cancellationToken = default) => WriteAsync(message, cancellationToken);
}

/// <summary>The request stream of a client-streaming or duplex call.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IClientStreamWriter<in T> : IAsyncStreamWriter<T>
{
    /// <summary>
    /// Sends one message that lies in memory the caller lends until it has been written (a body copied
    /// into a pooled array): <paramref name="release"/> is disposed once the transport has taken the
    /// whole message, or at once if it is refused, or when the call ends before it was sent. After a
    /// write that failed part way it is never disposed (the transport may still be reading the
    /// memory). A request with such a message is never sent a second time.
    /// </summary>
    Task WriteAsync(T message, IDisposable release, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sends one message that may wait in the request's buffer until the next write (or the end of
    /// the stream) sends it along, as gRPC's buffer hint: the messages of a request the caller writes
    /// at once, and its end, then share one DATA frame and socket write. Only for a message another
    /// write or <see cref="CompleteAsync"/> follows at once; this default sends it at once.
    /// </summary>
    Task WriteBufferedAsync(T message, CancellationToken cancellationToken = default) => WriteAsync(message, cancellationToken);

    /// <summary>Ends the request stream (half-close); no more writes may follow.</summary>
    Task CompleteAsync();
}
