using System.Net;
using System.Net.Sockets;

namespace ArrowCid.Registry.Tests.Postgres;

/// <summary>
/// A TCP relay to a server that a test can cut: the registry connects through it, and
/// <see cref="Cut"/> drops every connection and refuses new ones, as a server that went down
/// would, without touching the server other tests share; <see cref="Pause"/> drops every
/// connection and each new one at once until <see cref="Resume"/>. (Also linked into the Flight tests.)
/// </summary>
internal sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly List<Socket> _sockets = [];
    private readonly Task _accepting;
    private readonly TaskCompletionSource _refused = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _paused;

    private TcpRelay(int target)
    {
        _target = target;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The port to connect to instead of the server's.</summary>
    public int Port { get; }

    /// <summary>Relays 127.0.0.1:<see cref="Port"/> to 127.0.0.1:<paramref name="target"/>.</summary>
    public static TcpRelay Start(int target) => new(target);

    /// <summary>Completes once a connection has been dropped while paused.</summary>
    public Task Refused => _refused.Task;

    /// <summary>Drops every relayed connection, and each new one as soon as it is accepted, until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        _paused = true;
        DropAll();
    }

    /// <summary>Relays new connections again.</summary>
    public void Resume() => _paused = false;

    /// <summary>Closes every relayed connection and the listening port: connecting is refused from now on.</summary>
    public void Cut()
    {
        _listener.Stop();
        DropAll();
    }

    public void Dispose()
    {
        Cut();
        _ = _accepting.Exception;
    }

    private void DropAll()
    {
        lock (_sockets)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }

            _sockets.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client = await _listener.AcceptSocketAsync();
            if (_paused)
            {
                client.Dispose();
                _refused.TrySetResult();
                continue;
            }

            var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(IPAddress.Loopback, _target);
            lock (_sockets)
            {
                _sockets.Add(client);
                _sockets.Add(server);
            }

            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[1 << 16];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Cut, or the other side closed: so is its partner, as a reset, so the server ends the
            // session (and its transaction) as it would for a client that died.
            try
            {
                to.LingerState = new LingerOption(true, 0);
                to.Dispose();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }
}
