using System.Diagnostics;
using System.Runtime;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;

namespace ArrowCid.Bench.Flight;

/// <summary>
/// Flight throughput on loopback, in one run, next to a raw TCP transfer of the same bytes: DoGet
/// of one large batch on one stream (and re-hashed by the client), on four concurrent streams, and
/// DoPut of it next to a local put of the same batch (<see cref="ContentRepository.PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?)"/>),
/// each into a repository that does not hold the batch yet. A node is started on 127.0.0.1:0 over a scratch repository.
/// </summary>
public static class FlightBenchmark
{
    /// <summary>DoGet and socket transfers made before anything is measured, at least.</summary>
    private const int MinWarmUpTransfers = 8;

    /// <summary>At most this many warm-up transfers, however much the JIT still compiles.</summary>
    private const int MaxWarmUpTransfers = 40;

    /// <summary>Runs every measure <paramref name="rounds"/> times after a warm-up and keeps the best of each.</summary>
    /// <param name="batchBytes">About how large the batch is.</param>
    /// <param name="rounds">Measured rounds per figure.</param>
    /// <param name="scratchRoot">Where the node's scratch repository goes.</param>
    /// <param name="kestrelHttp2">
    /// Run over Kestrel's HTTP/2 server and .NET's SocketsHttpHandler instead of our HTTP/2 on both
    /// ends: the same gRPC and Flight code on the stock transport, for comparison.
    /// </param>
    public static async Task<FlightBenchmarkResult> RunAsync(long batchBytes, int rounds, string scratchRoot, bool kestrelHttp2 = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        string folder = Directory.CreateDirectory(Path.Combine(scratchRoot, $"flight-bench-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            await using var node = await FlightNode.StartAsync(content, new FlightNodeOptions { UseKestrelHttp2 = kestrelHttp2 }).ConfigureAwait(false);
            using var client = new FlightClient(node.Location, new FlightClientOptions { UseSocketsHttpHandler = kestrelHttp2 });
            using var batch = BuildBatch(batchBytes);
            Cid cid = (await client.PutAsync(batch.Schema, [batch]).ConfigureAwait(false)).Batches[0].Cid;

            // DoPut goes to a node of its own, the local put to a repository of its own: each put
            // finds its repository without the batch (see MeasureDoPutAsync).
            using var doPutContent = ContentRepository.Open(Path.Combine(folder, "doput"));
            await using var doPutNode = await FlightNode.StartAsync(doPutContent, new FlightNodeOptions { UseKestrelHttp2 = kestrelHttp2 }).ConfigureAwait(false);
            using var doPutClient = new FlightClient(doPutNode.Location, new FlightClientOptions { UseSocketsHttpHandler = kestrelHttp2 });
            using var putContent = ContentRepository.Open(Path.Combine(folder, "put"));

            byte[] canonical = content.GetBytes(cid).ToArray();

            // Warm-up first: for its first few hundred megabytes a fresh process spends as much CPU
            // re-compiling Kestrel's, HttpClient's and our hot paths (tiered JIT, PGO) as moving bytes,
            // which measures the runtime's start rather than the transfer. So transfers continue until
            // one round compiles no method (or the cap is reached).
            long compiled = JitInfo.GetCompiledMethodCount();
            int warmUps = 0;
            for (int round = 0; round < MaxWarmUpTransfers; round++)
            {
                warmUps++;
                await DrainAsync(client, cid).ConfigureAwait(false);
                await LoopbackSocketTransfer.MeasureAsync(canonical).ConfigureAwait(false);
                if (round % 4 == 0)
                {
                    // DoPut's paths (request body, canonicalising, hashing) and the local put's warm up too.
                    await MeasureDoPutAsync(doPutClient, doPutContent, batch).ConfigureAwait(false);
                    MeasureLocalPut(putContent, batch);
                }

                long now = JitInfo.GetCompiledMethodCount();
                if (round + 1 >= MinWarmUpTransfers && now == compiled)
                {
                    break;
                }

                compiled = now;
            }

            // DoGet and the socket then alternate within each round, so the ratio compares the two under
            // the same conditions (on a shared machine the load changes from second to second; measuring
            // one after the other would favour whichever ran in the quieter moment).
            // The process's CPU time is kept too: unlike wall time it hardly depends on what else runs.
            double get = double.MaxValue;
            double socket = double.MaxValue;
            TimeSpan getCpu = TimeSpan.Zero;
            TimeSpan socketCpu = TimeSpan.Zero;
            for (int round = 0; round <= rounds; round++)
            {
                TimeSpan cpu0 = ProcessCpu();
                var clock = Stopwatch.StartNew();
                await DrainAsync(client, cid).ConfigureAwait(false);
                double getSeconds = clock.Elapsed.TotalSeconds;
                TimeSpan cpu1 = ProcessCpu();
                double socketSeconds = await LoopbackSocketTransfer.MeasureAsync(canonical).ConfigureAwait(false);
                TimeSpan cpu2 = ProcessCpu();
                if (round > 0)
                {
                    get = Math.Min(get, getSeconds);
                    socket = Math.Min(socket, socketSeconds);
                    getCpu += cpu1 - cpu0;
                    socketCpu += cpu2 - cpu1;
                }
            }

            double verified = await BestAsync(rounds, async () => { await client.GetAsync(cid).ConfigureAwait(false); }).ConfigureAwait(false);

            // DoPut and the local put alternate within each round too.
            double doPut = double.MaxValue;
            double put = double.MaxValue;
            TimeSpan doPutCpu = TimeSpan.Zero;
            TimeSpan putCpu = TimeSpan.Zero;
            for (int round = 0; round <= rounds; round++)
            {
                var (doPutSeconds, doPutCpuTime) = await MeasureDoPutAsync(doPutClient, doPutContent, batch).ConfigureAwait(false);
                var (putSeconds, putCpuTime) = MeasureLocalPut(putContent, batch);
                if (round > 0)
                {
                    doPut = Math.Min(doPut, doPutSeconds);
                    put = Math.Min(put, putSeconds);
                    doPutCpu += doPutCpuTime;
                    putCpu += putCpuTime;
                }
            }

            double get4 = await BestAsync(rounds, () => Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DrainAsync(client, cid)))).ConfigureAwait(false);

            double gb = canonical.Length / 1e9;
            return new FlightBenchmarkResult
            {
                BatchBytes = canonical.Length,
                Rounds = rounds,
                WarmUpTransfers = warmUps,
                DoGetGbps = gb / get,
                DoGetVerifiedGbps = gb / verified,
                DoGet4Gbps = 4 * gb / get4,
                DoPutGbps = gb / doPut,
                PutGbps = gb / put,
                SocketGbps = gb / socket,
                DoGetCpuSecondsPerGb = getCpu.TotalSeconds / rounds / gb,
                SocketCpuSecondsPerGb = socketCpu.TotalSeconds / rounds / gb,
                DoPutCpuSecondsPerGb = doPutCpu.TotalSeconds / rounds / gb,
                PutCpuSecondsPerGb = putCpu.TotalSeconds / rounds / gb,
                Repository = folder,
                Http2 = kestrelHttp2 ? "kestrel+socketshttphandler" : "arrowcid",
            };
        }
        finally
        {
            DeleteQuietly(folder);
        }
    }

    /// <summary>
    /// One DoPut of <paramref name="batch"/> (wall seconds, process CPU), then, untimed, what it stored
    /// is unpinned and collected, so the next put again finds the node's repository without the
    /// batch: a put of a block already stored re-hashes the stored file, which would measure the
    /// repository rather than the transfer. Node and connection live on, as a client's would.
    /// </summary>
    private static async Task<(double Seconds, TimeSpan Cpu)> MeasureDoPutAsync(FlightClient client, ContentRepository nodeContent, RecordBatch batch)
    {
        TimeSpan cpu = ProcessCpu();
        var clock = Stopwatch.StartNew();
        var summary = await client.PutAsync(batch.Schema, [batch]).ConfigureAwait(false);
        var measured = (clock.Elapsed.TotalSeconds, ProcessCpu() - cpu);
        Forget(nodeContent, summary.Dataset, summary.Batches.Select(b => b.Cid));
        return measured;
    }

    /// <summary>One local put of <paramref name="batch"/> (wall seconds, process CPU), then, untimed, what it stored is collected again.</summary>
    private static (double Seconds, TimeSpan Cpu) MeasureLocalPut(ContentRepository content, RecordBatch batch)
    {
        TimeSpan cpu = ProcessCpu();
        var clock = Stopwatch.StartNew();
        var result = content.PutStream(batch.Schema, [batch]);
        var measured = (clock.Elapsed.TotalSeconds, ProcessCpu() - cpu);
        Forget(content, result.Dataset.Cid, result.Batches.Select(b => b.Cid));
        return measured;
    }

    /// <summary>Unpins a put dataset and its batches and collects them.</summary>
    private static void Forget(ContentRepository content, Cid dataset, IEnumerable<Cid> batches)
    {
        content.Repository.Unpin(dataset);
        foreach (var cid in batches)
        {
            content.Repository.Unpin(cid);
        }

        content.Repository.Gc();
    }

    private static void DeleteQuietly(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a mapping may still be open until finalisation.
        }
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static async Task<double> BestAsync(int rounds, Func<Task> body)
    {
        double best = double.MaxValue;
        for (int round = 0; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            await body().ConfigureAwait(false);
            if (round > 0)
            {
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
        }

        return best;
    }

    private static async Task DrainAsync(FlightClient client, Cid cid)
    {
        long bytes = 0;
        await foreach (var data in client.GetRawAsync(cid).ConfigureAwait(false))
        {
            bytes += data.DataBody.Length;
        }

        if (bytes == 0)
        {
            throw new InvalidOperationException($"DoGet of {cid} returned no body bytes");
        }
    }

    private static RecordBatch BuildBatch(long bytes)
    {
        int rows = checked((int)(bytes / 8));
        var values = new long[rows];
        var random = new Random(64);
        for (int i = 0; i < rows; i++)
        {
            values[i] = random.NextInt64();
        }

        var schema = new Schema([new Field("v", ArrowType.Int64, nullable: false)]);
        var column = new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, MemoryMarshal.AsBytes(values.AsSpan()).ToArray()]);
        return new RecordBatch(schema, rows, [column]);
    }
}
