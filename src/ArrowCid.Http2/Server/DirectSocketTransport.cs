using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Http2.Server;

/// <summary>
/// A Kestrel transport for TCP endpoints that runs no receive or send loop of its own. Kestrel's
/// socket transport reads every connection into its pipe as data arrives, 2–4 KiB per receive, each
/// handed to the reader through the thread pool: for a 64 MiB request body that is some 25,000
/// receive calls and a second copy of every octet. On a connection of this transport the socket is
/// only read when someone reads: a cleartext HTTP/2 connection reads DATA straight from the socket
/// into the message it belongs to, and <see cref="ConnectionContext.Transport"/> (which TLS uses)
/// reads the socket only when asked, in large reads.
/// </summary>
internal sealed class DirectSocketTransportFactory(IServiceProvider? services = null) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <inheritdoc />
    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    /// <inheritdoc />
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint is not IPEndPoint ip)
        {
            throw new NotSupportedException($"this transport binds TCP endpoints only, not {endpoint.GetType().Name}");
        }

        var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (ip.Address.Equals(IPAddress.IPv6Any))
            {
                // As Kestrel's transport does: [::] accepts IPv4 clients too.
                socket.DualMode = true;
            }

            socket.Bind(ip);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return ValueTask.FromResult<IConnectionListener>(new DirectSocketListener(socket, services?.GetService(typeof(AcceptStatus)) as AcceptStatus ?? new AcceptStatus()));
    }
}

/// <summary>A bound listening socket; each accepted socket becomes a <see cref="DirectSocketConnection"/>.</summary>
internal sealed partial class DirectSocketListener(Socket socket, AcceptStatus status) : IConnectionListener
{
    // Waits between accepts that fail for want of a resource, doubling up to the longest.
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LongestRetry = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

    /// <inheritdoc />
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        TimeSpan retry = FirstRetry;
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // A client that gave up before it was accepted: wait for the next.
                continue;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of descriptors (EMFILE, ENFILE) or kernel memory: the pending connection stays
                // in the backlog. Ending here would end Kestrel's accept loop for good (issue 65);
                // instead readiness says so, and the accept is tried again after a pause.
                if (status.Failing($"cannot accept connections: {e.Message}") && status.Log is { } log)
                {
                    LogAcceptFailing(log, EndPoint, e.Message);
                }

                try
                {
                    await Task.Delay(retry, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }

                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LongestRetry.Ticks));
                continue;
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException
                or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                // Unbound: no more connections.
                return null;
            }

            if (status.Accepting() && status.Log is { } recovered)
            {
                LogAcceptingAgain(recovered, EndPoint);
            }

            accepted.NoDelay = true;
            return new DirectSocketConnection(accepted);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{EndPoint}: {Problem}; not ready, trying again until it can")]
    private static partial void LogAcceptFailing(ILogger log, EndPoint endPoint, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "{EndPoint}: accepting connections again")]
    private static partial void LogAcceptingAgain(ILogger log, EndPoint endPoint);

    /// <inheritdoc />
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// One accepted TCP connection. <see cref="Socket"/> (also <see cref="IConnectionSocketFeature"/>)
/// may be read and written directly; <see cref="Transport"/> is a pipe pair over the same socket that
/// does nothing until used, so the two are never both reading.
/// </summary>
internal sealed class DirectSocketConnection : ConnectionContext, IConnectionSocketFeature, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature, IConnectionEndPointFeature, IConnectionLifetimeFeature
{
    /// <summary>Large reads for whoever reads through <see cref="Transport"/> (the TLS handshake and records).</summary>
    private const int TransportReadSize = 64 * 1024;

    private readonly CancellationTokenSource _closed = new();
    private readonly NetworkStream _stream;
    private readonly DuplexPipe _socketPipe;
    private int _disposed;

    public DirectSocketConnection(Socket socket)
    {
        Socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _socketPipe = new DuplexPipe(
            PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: TransportReadSize, minimumReadSize: TransportReadSize / 4, leaveOpen: true)),
            PipeWriter.Create(_stream, new StreamPipeWriterOptions(leaveOpen: true)));
        Transport = _socketPipe;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionClosed = _closed.Token;
        Features.Set<IConnectionSocketFeature>(this);
        Features.Set<IConnectionIdFeature>(this);
        Features.Set<IConnectionTransportFeature>(this);
        Features.Set<IConnectionItemsFeature>(this);
        Features.Set<IConnectionEndPointFeature>(this);
        Features.Set<IConnectionLifetimeFeature>(this);
    }

    /// <summary>The connection's socket: read and write it directly, or use <see cref="Transport"/>, never both.</summary>
    public Socket Socket { get; }

    /// <summary>A stream over <see cref="Socket"/> (closing the socket when disposed with the connection).</summary>
    public Stream Stream => _stream;

    /// <inheritdoc />
    public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

    /// <inheritdoc />
    public override IFeatureCollection Features { get; } = new FeatureCollection();

    /// <inheritdoc />
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    /// <inheritdoc />
    public override IDuplexPipe Transport { get; set; }

    /// <inheritdoc />
    public override CancellationToken ConnectionClosed { get; set; }

    /// <inheritdoc />
    public override EndPoint? LocalEndPoint { get; set; }

    /// <inheritdoc />
    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>Closes the socket at once: every read and write in progress fails.</summary>
    public override void Abort(ConnectionAbortedException abortReason)
    {
        try
        {
            Socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed or reset.
        }

        Socket.Dispose();
        SignalClosed();
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // The pipes over the socket (TLS may have put its own in Transport since).
            await _socketPipe.Input.CompleteAsync().ConfigureAwait(false);
            await _socketPipe.Output.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            SignalClosed();
            _closed.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    private void SignalClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: it was signalled then.
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
