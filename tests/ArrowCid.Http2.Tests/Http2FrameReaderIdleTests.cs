using System.Net;
using System.Net.Sockets;

namespace ArrowCid.Http2.Tests;

/// <summary>
/// An idle connection holds no read buffer (issue 65: 111 KB per idle HTTP/2 connection on the
/// Flight port): waiting with nothing buffered and no open stream, the reader gives its buffer back
/// and waits with a zero-byte read on the socket, and takes one again when a frame comes.
/// </summary>
public sealed class Http2FrameReaderIdleTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reader_waiting_idle_holds_no_buffer_and_reads_the_next_frame_whole(bool idle)
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using var served = await listener.AcceptAsync();
        using var transport = new NetworkStream(served);
        var reader = new Http2FrameReader(transport);
        reader.ReleaseWhileIdle(() => idle);

        // A PING frame (8 octets of payload), read whole.
        byte[] ping = [0, 0, 8, (byte)Http2FrameType.Ping, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        await client.SendAsync(ping);
        var header = await reader.ReadHeaderAsync(CancellationToken.None);
        Assert.Equal(Http2FrameType.Ping, header!.Value.Type);
        byte[] payload = new byte[8];
        await reader.ReadPayloadAsync(payload, CancellationToken.None);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], payload);
        Assert.True(reader.HoldsBuffer);

        // Waiting for the next: the buffer is given back only while the connection is idle.
        var next = reader.ReadHeaderAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        Assert.Equal(!idle, reader.HoldsBuffer);

        await client.SendAsync(ping);
        header = await next.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal((Http2FrameType.Ping, 8), (header!.Value.Type, header.Value.Length));
        Assert.True(reader.HoldsBuffer);
        await reader.ReadPayloadAsync(payload, CancellationToken.None);
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], payload);
    }
}
