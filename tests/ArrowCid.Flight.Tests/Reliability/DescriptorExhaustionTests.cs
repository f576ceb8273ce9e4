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
        await using var node = await ServeProcess.StartWithDescriptorLimitAsync(600, "--max-connections-per-address", "10000");
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

        // The node serves on: a Flight call is answered. A listener that met EMFILE while the
        // closed connections were still being let go says so until an accept succeeds again (it
        // retries on its own after a pause), so readiness is read after each call, and each call,
        // accepted, is such an accept: the gate is the node's own recovery, bounded only against a hang.
        using var fresh = new HttpClient { BaseAddress = node.Gateway };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (string Status, string Listeners) readiness;
        do
        {
            using var client = new FlightClient(node.Location);
            await foreach (var _ in client.ListAsync())
            {
            }

            readiness = await ReadinessAsync(fresh);
        }
        while (readiness != ("ready", "ok") && clock.Elapsed < Guard);

        Assert.Equal(("ready", "ok"), readiness);
        Assert.False(node.HasExited, node.Output);
    }

    [Fact]
    public async Task One_address_holds_at_most_its_share_of_connections_on_each_face()
    {
        // Issue 65: one client address could take every connection a face allowed.
        await using var node = await ServeProcess.StartAsync("--max-connections", "100", "--max-connections-per-address", "3");
        // What each face answers at once on a connection it serves: the HTTP/2 preface gets the
        // server's SETTINGS, a request line its answer.
        var faces = new (IPEndPoint Face, byte[] Opening)[]
        {
            (IPEndPoint.Parse(node.HostAndPort), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray()),
            (new IPEndPoint(IPAddress.Loopback, node.Gateway.Port), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray()),
        };
        var idle = new List<Socket>();
        try
        {
            foreach ((IPEndPoint face, byte[] opening) in faces)
            {
                for (int i = 0; i < 4; i++)
                {
                    var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                    await socket.ConnectAsync(face);
                    idle.Add(socket);
                }

                // The third is served; the fourth was closed by the node unanswered (0 bytes, or a
                // reset). The guard only keeps a hang from stalling the run.
                Assert.True(await AnsweredAsync(idle[^2], opening), "the third connection of the address was not served");
                Assert.False(await AnsweredAsync(idle[^1], opening), "the fourth connection of the address was served");
            }
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }
        }

        // Once they are gone the address is served again (the node sees each close as it comes: asked until it has).
        using var http = new HttpClient { BaseAddress = node.Gateway };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                Assert.Equal("ready", (await ReadinessAsync(http)).Status);
                break;
            }
            catch (HttpRequestException) when (clock.Elapsed < Guard)
            {
                await Task.Delay(50);
            }
        }

        Assert.False(node.HasExited, node.Output);
    }

    private static async Task<bool> AnsweredAsync(Socket socket, byte[] opening)
    {
        try
        {
            await socket.SendAsync(opening);
            return await socket.ReceiveAsync(new byte[64]).WaitAsync(Guard) > 0;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            return false;
        }
    }

    private static async Task<(string Status, string Listeners)> ReadinessAsync(HttpClient http)
    {
        using var answer = await http.GetAsync("/readyz");
        using var body = JsonDocument.Parse(await answer.Content.ReadAsStringAsync());
        return (body.RootElement.GetProperty("status").GetString()!, body.RootElement.GetProperty("listeners").GetString()!);
    }
}
