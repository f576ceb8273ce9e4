using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ArrowCid.Bench.Flight;

/// <summary>The physical reference: bytes over one plain loopback TCP connection, received into a reused buffer.</summary>
internal static class LoopbackSocketTransfer
{
    /// <summary>
    /// Seconds to send <paramref name="bytes"/> bytes, <paramref name="payload"/> again and again
    /// (the content does not matter to a socket), from the first byte written to the last byte read.
    /// </summary>
    public static async Task<double> MeasureAsync(ReadOnlyMemory<byte> payload, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfZero(payload.Length);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var receiver = new TcpClient { NoDelay = true, ReceiveBufferSize = 4 << 20 };
        await receiver.ConnectAsync(IPAddress.Loopback, port).ConfigureAwait(false);
        using var sender = await listener.AcceptTcpClientAsync().ConfigureAwait(false);
        sender.NoDelay = true;
        sender.SendBufferSize = 4 << 20;
        var buffer = new byte[1 << 20];
        using var input = receiver.GetStream();
        using var output = sender.GetStream();
        var clock = Stopwatch.StartNew();
        Task send = SendAsync(output, payload, bytes);
        long received = 0;
        while (received < bytes)
        {
            int read = await input.ReadAsync(buffer).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("the loopback connection closed early");
            }

            received += read;
        }

        await send.ConfigureAwait(false);
        return clock.Elapsed.TotalSeconds;
    }

    private static async Task SendAsync(NetworkStream output, ReadOnlyMemory<byte> payload, long bytes)
    {
        for (long sent = 0; sent < bytes; sent += payload.Length)
        {
            await output.WriteAsync(payload[..(int)Math.Min(payload.Length, bytes - sent)]).ConfigureAwait(false);
        }
    }
}
