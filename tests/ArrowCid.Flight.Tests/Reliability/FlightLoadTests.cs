using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Service;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// Sixteen clients hammer one node for <c>ARROWCID_FLIGHT_LOAD_SECONDS</c> (default 60) with puts,
/// verified gets, listings, DoGets cancelled mid-stream and calls whose connection is torn down
/// mid-call; afterwards the node still answers, every acknowledged put is stored and hashes to its
/// CID, and the heap after a full collection is bounded.
/// </summary>
public sealed class FlightLoadTests(ITestOutputHelper output)
{
    private const int Clients = 16;

    private const long HeapBound = 512L * 1024 * 1024;

    [Fact]
    public async Task Sixteen_clients_with_cancellations_and_disconnects_lose_no_acknowledged_put()
    {
        TimeSpan duration = TimeSpan.FromSeconds(LoadSeconds());
        await using FlightNodeFixture node = await FlightNodeFixture.StartAsync();

        // A 4 MiB batch for the DoGets that are cancelled or cut mid-stream.
        using RecordBatch large = TestBatches.Large(4L << 20, seed: 7);
        var acknowledged = new ConcurrentDictionary<Cid, bool>();
        Cid largeCid;
        using (var seeder = new FlightClient(node.Node.Location))
        {
            FlightPutSummary put = await seeder.PutAsync(large.Schema, [large]);
            largeCid = put.Batches[0].Cid;
            acknowledged[largeCid] = true;
            acknowledged[put.Table] = true;
        }

        long heapBefore = HeapAfterFullCollection();
        var counts = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource(duration);
        var clients = Enumerable.Range(0, Clients)
            .Select(i => Task.Run(() => ClientLoopAsync(i, node, largeCid, acknowledged, counts, failures, stop.Token)))
            .ToArray();
        await Task.WhenAll(clients);

        // The node still answers: a fresh client lists actions and fetches the large batch verified.
        using (var fresh = new FlightClient(node.Node.Location))
        {
            Assert.NotEmpty(await fresh.ListActionsAsync());
            FlightFetchResult fetched = await fresh.GetAsync(largeCid);
            Assert.Single(fetched.Batches);

            // Every acknowledged put is registered and its stored bytes hash to its CID.
            foreach (Cid cid in acknowledged.Keys)
            {
                ReadOnlyMemory<byte> bytes = node.Content.GetBytes(cid);
                Assert.True(cid.Verify(bytes.Span), $"{cid} does not hash to its CID");
                FlightInfo info = await fresh.GetInfoAsync(cid);
                Assert.Equal(cid.ToString(), info.Endpoint[0].Ticket.Ticket_.ToStringUtf8());
            }
        }

        long heapAfter = HeapAfterFullCollection();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"duration {duration.TotalSeconds:F0} s, {Clients} clients, acknowledged blocks {acknowledged.Count}"));
        foreach (var (operation, count) in counts.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {operation}: {count}"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC heap after a full collection: before {heapBefore / 1048576.0:F1} MiB, after {heapAfter / 1048576.0:F1} MiB"));
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.True(counts.GetValueOrDefault("put") > 0 && counts.GetValueOrDefault("get") > 0, "the load ran no puts or gets");
        Assert.True(heapAfter < HeapBound, $"the heap holds {heapAfter} bytes after the load");
    }

    private static int LoadSeconds() =>
        int.TryParse(Environment.GetEnvironmentVariable("ARROWCID_FLIGHT_LOAD_SECONDS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seconds) && seconds > 0
            ? Math.Min(seconds, 3600)
            : 60;

    private static long HeapAfterFullCollection()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static async Task ClientLoopAsync(
        int index, FlightNodeFixture node, Cid largeCid, ConcurrentDictionary<Cid, bool> acknowledged,
        ConcurrentDictionary<string, int> counts, ConcurrentQueue<string> failures, CancellationToken stop)
    {
        var random = new Random(index);
        var client = new FlightClient(node.Node.Location);
        var tags = new Dictionary<string, string> { ["client"] = index.ToString(CultureInfo.InvariantCulture) };
        int sequence = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int pick = random.Next(100);
                string operation = pick switch
                {
                    < 30 => "put",
                    < 55 => "get",
                    < 65 => "list",
                    < 77 => "cancelled-get",
                    < 85 => "disposed-get",
                    < 93 => "disposed-put",
                    _ => "killed-socket-get",
                };
                try
                {
                    switch (operation)
                    {
                        case "put":
                            using (RecordBatch batch = TestBatches.Small(index * 1_000_000 + sequence++, rows: 1 + random.Next(50)))
                            {
                                FlightPutSummary put = await client.PutAsync(batch.Schema, [batch], tags, CancellationToken.None);
                                Acknowledge(put, acknowledged);
                            }

                            break;
                        case "get":
                            Cid[] known = [.. acknowledged.Keys];
                            Cid target = known[random.Next(known.Length)];
                            FlightFetchResult fetched = await client.GetAsync(target, CancellationToken.None);
                            if (fetched.Batches.Count == 0)
                            {
                                failures.Enqueue($"client {index}: get {target} returned no batch");
                            }

                            break;
                        case "list":
                            int listed = 0;
                            await foreach (FlightInfo unused in client.ListAsync("{\"limit\":25}", CancellationToken.None))
                            {
                                listed++;
                            }

                            if (listed == 0)
                            {
                                failures.Enqueue($"client {index}: list returned nothing");
                            }

                            break;
                        case "cancelled-get":
                            operation += await CancelledGetAsync(client, largeCid) ? "" : " (finished first)";
                            break;
                        case "disposed-get":
                            client = await DisposedGetAsync(client, node, largeCid);
                            break;
                        case "disposed-put":
                            client = await DisposedPutAsync(client, node, index * 1_000_000 + 500_000 + sequence++, random.Next(20), acknowledged);
                            break;
                        default:
                            await KilledSocketGetAsync(node, largeCid);
                            break;
                    }

                    counts.AddOrUpdate(operation, 1, (_, n) => n + 1);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failures.Enqueue($"client {index}: {operation} failed: {e.GetType().Name}: {e.Message}");
                }
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    private static void Acknowledge(FlightPutSummary put, ConcurrentDictionary<Cid, bool> acknowledged)
    {
        foreach (FlightPutBatch batch in put.Batches)
        {
            acknowledged[batch.Cid] = true;
        }

        acknowledged[put.Table] = true;
    }

    /// <summary>Reads the first message of a DoGet, then cancels; true when the cancellation surfaced.</summary>
    private static async Task<bool> CancelledGetAsync(FlightClient client, Cid cid)
    {
        using var cancel = new CancellationTokenSource();
        try
        {
            await foreach (FlightData unused in client.GetRawAsync(cid, cancel.Token))
            {
                await cancel.CancelAsync();
            }

            return false;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    /// <summary>Reads the first message of a DoGet, then disposes the client (its connections) under the call; returns a new client.</summary>
    private static async Task<FlightClient> DisposedGetAsync(FlightClient client, FlightNodeFixture node, Cid cid)
    {
        try
        {
            await foreach (FlightData unused in client.GetRawAsync(cid))
            {
                client.Dispose();
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or HttpRequestException or IOException)
        {
            // Expected: the connection went away mid-call.
        }
        finally
        {
            client.Dispose();
        }

        return new FlightClient(node.Node.Location);
    }

    /// <summary>Starts a put of a 1 MiB batch and disposes the client a few milliseconds in; an acknowledged put still counts.</summary>
    private static async Task<FlightClient> DisposedPutAsync(FlightClient client, FlightNodeFixture node, int seed, int delayMs, ConcurrentDictionary<Cid, bool> acknowledged)
    {
        using RecordBatch batch = TestBatches.Large(1L << 20, seed);
        Task<FlightPutSummary> put = client.PutAsync(batch.Schema, [batch]);
        await Task.Delay(delayMs);
        client.Dispose();
        try
        {
            Acknowledge(await put, acknowledged);
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or HttpRequestException or IOException)
        {
            // Expected: the connection went away before the acknowledgement.
        }

        return new FlightClient(node.Node.Location);
    }

    /// <summary>A DoGet over a channel whose TCP socket is reset (linger 0) after the first message.</summary>
    private static async Task KilledSocketGetAsync(FlightNodeFixture node, Cid cid)
    {
        var sockets = new ConcurrentBag<Socket>();
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                sockets.Add(socket);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var channel = new GrpcChannel(node.Node.Address, new GrpcChannelOptions { HttpHandler = handler, MaxReceiveMessageSize = 64 << 20 });
        var service = new FlightServiceClient(channel);
        try
        {
            using var call = service.DoGet(new Ticket { Ticket_ = ByteString.CopyFromUtf8(cid.ToString()) });
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                foreach (Socket socket in sockets)
                {
                    socket.LingerState = new LingerOption(true, 0);
                    socket.Close();
                }
            }
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or ObjectDisposedException or HttpRequestException or IOException)
        {
            // Expected: the socket was reset under the call.
        }
    }
}
