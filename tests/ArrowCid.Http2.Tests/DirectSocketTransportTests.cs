using System.Net;
using System.Net.Sockets;
using ArrowCid.Http2.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// The Kestrel transport without a receive loop: it binds TCP endpoints only, accepts connections
/// whose socket and lazy pipes both carry the bytes, and closes a connection on abort or dispose.
/// </summary>
public sealed class DirectSocketTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static async Task<(IConnectionListener Listener, Socket Client, ConnectionContext Server)> ConnectAsync()
    {
        var factory = new DirectSocketTransportFactory();
        IConnectionListener listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint);
        ConnectionContext server = await listener.AcceptAsync().AsTask().WaitAsync(Timeout) ?? throw new IOException("no connection accepted");
        return (listener, client, server);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int count)
    {
        byte[] bytes = new byte[count];
        int filled = 0;
        while (filled < count)
        {
            int read = await socket.ReceiveAsync(bytes.AsMemory(filled)).AsTask().WaitAsync(Timeout);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            filled += read;
        }

        return bytes;
    }

    [Fact]
    public void It_binds_tcp_endpoints_only()
    {
        var factory = new DirectSocketTransportFactory();
        Assert.True(factory.CanBind(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.True(factory.CanBind(new IPEndPoint(IPAddress.IPv6Any, 0)));
        Assert.False(factory.CanBind(new UnixDomainSocketEndPoint("/tmp/arrowcid-test.sock")));
    }

    [Fact]
    public async Task A_port_in_use_is_reported_as_kestrel_expects()
    {
        var factory = new DirectSocketTransportFactory();
        await using IConnectionListener first = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        await Assert.ThrowsAsync<AddressInUseException>(async () => await factory.BindAsync(first.EndPoint));
    }

    [Fact]
    public async Task The_socket_feature_and_the_pipes_carry_the_same_connection()
    {
        var (listener, client, server) = await ConnectAsync();
        await using (listener)
        await using (server)
        using (client)
        {
            Socket socket = server.Features.Get<IConnectionSocketFeature>()!.Socket;
            Assert.Equal(client.LocalEndPoint, server.RemoteEndPoint);
            Assert.Equal(client.RemoteEndPoint, server.LocalEndPoint);
            Assert.NotEmpty(server.ConnectionId);

            // Direct: bytes the client sends are read from the socket; bytes written there reach it.
            await client.SendAsync(new byte[] { 1, 2, 3 });
            Assert.Equal([1, 2, 3], await ReceiveAsync(socket, 3));
            await socket.SendAsync(new byte[] { 4, 5 });
            Assert.Equal([4, 5], await ReceiveAsync(client, 2));

            // Through the pipes (as TLS reads it): nothing was read ahead of the direct reads above.
            await client.SendAsync(new byte[] { 6, 7, 8, 9 });
            System.IO.Pipelines.ReadResult read = await server.Transport.Input.ReadAtLeastAsync(4).AsTask().WaitAsync(Timeout);
            Assert.Equal([6, 7, 8, 9], System.Buffers.BuffersExtensions.ToArray(read.Buffer));
            server.Transport.Input.AdvanceTo(read.Buffer.End);
            await server.Transport.Output.WriteAsync(new byte[] { 10 });
            Assert.Equal([10], await ReceiveAsync(client, 1));
        }
    }

    [Fact]
    public async Task Abort_closes_the_socket_and_signals_connection_closed()
    {
        var (listener, client, server) = await ConnectAsync();
        await using (listener)
        await using (server)
        using (client)
        {
            Assert.False(server.ConnectionClosed.IsCancellationRequested);
            server.Abort(new ConnectionAbortedException("test"));
            Assert.True(server.ConnectionClosed.IsCancellationRequested);
            int read;
            try
            {
                read = await client.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Timeout);
            }
            catch (SocketException)
            {
                read = 0;
            }

            Assert.Equal(0, read);
        }
    }

    [Fact]
    public async Task Dispose_closes_the_connection_and_unbind_ends_accepting()
    {
        var (listener, client, server) = await ConnectAsync();
        using (client)
        {
            CancellationToken closed = server.ConnectionClosed;
            await server.DisposeAsync();
            Assert.True(closed.IsCancellationRequested);
            Assert.Equal(0, await client.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Timeout));
            await server.DisposeAsync();
        }

        ValueTask<ConnectionContext?> accept = listener.AcceptAsync();
        await listener.UnbindAsync();
        Assert.Null(await accept.AsTask().WaitAsync(Timeout));
        await listener.DisposeAsync();
    }
}
