using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// Descriptor exhaustion (issue 65): idle connections used to take a node to EMFILE, after which
/// its Flight accept loop ended for good (while /readyz said 200), and anything the process then had
/// to open failed (an assembly loaded late aborted it). Now each face holds at most the connections
/// the descriptor limit leaves room for, closing any more as they arrive, and a listener that does
/// meet EMFILE says so in readiness and tries again on its own.
/// </summary>
public sealed class DescriptorExhaustionTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Connections_past_the_descriptor_limit_are_closed_and_the_node_serves_on()
    {
        // 600 descriptors: the node starts with some 230 open, keeps 256, and so caps each face at 57.
        await using var node = await ServeProcess.StartWithDescriptorLimitAsync(600);
        using var http = new HttpClient { BaseAddress = node.Gateway };
        Assert.Equal(("ready", "ok"), await ReadinessAsync(http));

        var flight = IPEndPoint.Parse(node.HostAndPort);
        var gateway = new IPEndPoint(IPAddress.Loopback, node.Gateway.Port);
        var idle = new List<Socket>();
        try
        {
            // Twice what the limit holds, on each face: the node must neither die nor stop accepting.
            for (int i = 0; i < 600; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(i % 2 == 0 ? flight : gateway);
                idle.Add(socket);
            }

            // A connection past the cap is closed by the node: reading it ends (0 bytes), the gate.
            var last = idle[^2];
            Assert.Equal(0, await last.ReceiveAsync(new byte[16]));
            Assert.False(node.HasExited, node.Output);
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }

        using var client = new FlightClient(node.Location);
        await foreach (var _ in client.ListAsync())
        {
        }

        using var fresh = new HttpClient { BaseAddress = node.Gateway };
        Assert.Equal(("ready", "ok"), await ReadinessAsync(fresh));
        Assert.False(node.HasExited, node.Output);
    }

    private static async Task<(string Status, string Listeners)> ReadinessAsync(HttpClient http)
    {
        using var answer = await http.GetAsync("/readyz");
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("status").GetString()!, body.RootElement.GetProperty("listeners").GetString()!);
    }
}
