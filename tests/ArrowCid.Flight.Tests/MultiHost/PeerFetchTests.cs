using System.Net;
using System.Net.Sockets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Service;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Grpc;
using ArrowCid.Http2;
using ArrowCid.Http2.Tests;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Tests.Postgres;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// Nodes asking each other for what they lack cannot loop or hang: a request a node forwards is
/// never forwarded again, a holder that accepts connections and never answers is given up after
/// the idle timeout and the next one tried, a read whose holders all fail ends NOT_FOUND or
/// UNAVAILABLE, and a client that goes away stops the work it started on a peer.
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class PeerFetchTests(PostgresTestServer server, ITestOutputHelper output)
{
    // A hang guard only: a loop or a stall fails the test instead of blocking the run.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Holders_that_list_each_other_end_a_read_at_once_with_not_found()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var registry = new PostgresRegistry(database);
        await using var a = await StartAsync(registry);
        await using var b = await StartAsync(new PostgresRegistry(database));
        // The registry says A and B hold a batch neither has.
        var cid = Cid.ForRaw("held by nobody"u8);
        registry.Upsert(new BlockRecord { Cid = cid, Kind = BlockKind.Batch, Rows = 1, Locations = [a.Location, b.Location] });

        using var client = a.Client();
        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(cid).WaitAsync(Guard));

        Assert.Equal(StatusCode.NotFound, error.Status.StatusCode);
        Assert.Contains("does not forward", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_holder_is_given_up_for_the_next_and_with_no_other_the_read_is_unavailable()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var registry = new PostgresRegistry(database);
        await using var a = await StartAsync(registry, idleTimeout: TimeSpan.FromSeconds(1));
        await using var b = await StartAsync(new PostgresRegistry(database));
        using var silent = SilentNode.Start();
        using var onB = b.Client();
        using var first = TestBatches.Small(21, rows: 30);
        using var second = TestBatches.Small(22, rows: 30);
        var both = (await onB.PutAsync(first.Schema, [first])).Table;
        var silentOnly = (await onB.PutAsync(second.Schema, [second])).Table;
        // The silent node sorts before B, so it is tried first.
        registry.AddLocation(both, silent.Location);
        Assert.Equal([silent.Location, b.Location], registry.Find(both)!.Locations);
        registry.AddLocation(silentOnly, silent.Location);
        registry.ReleaseLocation(silentOnly, b.Location);

        using var client = a.Client();
        var fetched = await client.GetAsync(both).WaitAsync(Guard);
        Assert.Equal(both, fetched.Cid);
        Assert.True(silent.Accepted > 0, "the silent node was tried");

        var error = await Assert.ThrowsAsync<RpcException>(() => client.GetAsync(silentOnly).WaitAsync(Guard));
        Assert.Equal(StatusCode.Unavailable, error.Status.StatusCode);
        Assert.Contains(silent.Location, error.Status.Detail, StringComparison.Ordinal);
        output.WriteLine(error.Status.Detail);
    }

    [Fact]
    public async Task A_client_that_goes_away_stops_the_fetch_it_started_on_a_peer()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var registry = new PostgresRegistry(database);
        // No idle limit: only the client's going away can end the call to the silent node.
        await using var a = await StartAsync(registry, idleTimeout: TimeSpan.FromHours(1));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string location = $"grpc+tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var cid = Cid.ForRaw("held by a node that never answers"u8);
        registry.Upsert(new BlockRecord { Cid = cid, Kind = BlockKind.Batch, Rows = 1, Locations = [location] });

        using var client = a.Client();
        using var leave = new CancellationTokenSource();
        var read = client.GetAsync(cid, leave.Token);
        await using var peer = new RawHttp2Peer(await listener.AcceptSocketAsync().WaitAsync(Guard));
        Assert.Equal(Http2Protocol.ClientPreface.ToArray(), await peer.ReadRawAsync(24));
        var request = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Headers, Guard);
        Assert.NotNull(request);

        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => read);

        // The node's call to the peer ends: a reset of that stream, or the connection closed.
        var reset = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.RstStream && f.StreamId == request!.StreamId, Guard);
        output.WriteLine(reset is null ? "connection closed" : $"stream {reset.StreamId} reset ({reset.ErrorCode})");
    }

    private static Task<FlightNodeFixture> StartAsync(PostgresRegistry registry, TimeSpan? idleTimeout = null) =>
        FlightNodeFixture.StartAsync(new NodeOptions
        {
            SharedRegistry = registry,
            PeerIdleTimeout = idleTimeout ?? TimeSpan.FromSeconds(15),
        });

    private bool Skipped()
    {
        if (server.Available)
        {
            return false;
        }

        output.WriteLine(PostgresTestServer.SkipMessage);
        return true;
    }

    /// <summary>
    /// A "node" that accepts connections and never answers, on a port below the ephemeral range,
    /// so its location sorts before any node's listening on an ephemeral port.
    /// </summary>
    private sealed class SilentNode : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly List<Socket> _held = [];
        private readonly Task _accepting;
        private int _accepted;

        private SilentNode(TcpListener listener)
        {
            _listener = listener;
            Location = $"grpc+tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
            _accepting = AcceptAsync();
        }

        public string Location { get; }

        public int Accepted => Volatile.Read(ref _accepted);

        public static SilentNode Start()
        {
            for (int port = 10_000; port < 20_000; port++)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                try
                {
                    listener.Start();
                    return new SilentNode(listener);
                }
                catch (SocketException)
                {
                    listener.Dispose();
                }
            }

            throw new InvalidOperationException("no free port in 10000-19999");
        }

        public void Dispose()
        {
            _listener.Stop();
            lock (_held)
            {
                _held.ForEach(s => s.Dispose());
            }

            _ = _accepting.Exception;
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket = await _listener.AcceptSocketAsync();
                Interlocked.Increment(ref _accepted);
                lock (_held)
                {
                    _held.Add(socket);
                }
            }
        }
    }
}
