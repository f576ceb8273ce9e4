using System.Diagnostics;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;

namespace ArrowCid.Bench.Flight;

/// <summary>
/// Flight throughput on loopback, in one run, next to a raw TCP transfer of as many bytes: DoGet of
/// a chunked table (the mixed table of the chunking vectors, put by DoPut, so a 1 GiB table is about
/// 4,000 chunks of about 256 KiB, each its own FlightData) on one stream (and re-hashed by the
/// client), on four concurrent streams, and DoPut of it next to a local put of the same batches
/// (<see cref="ContentRepository.PutStream(Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/>), each
/// into a repository that does not hold the table yet. A node is started on 127.0.0.1:0 over a
/// scratch repository.
/// </summary>
public static class FlightBenchmark
{
    /// <summary>Bytes moved by DoGet before anything is measured, at least (and at least two transfers, so the JIT's quiet round can be seen).</summary>
    private const long MinWarmUpBytes = 512L << 20;

    /// <summary>At most this many bytes of warm-up transfers (and at most 40), however much the JIT still compiles.</summary>
    private const long MaxWarmUpBytes = 2560L << 20;

    /// <summary>The goal for <see cref="FlightBenchmarkResult.MetricsOverheadRatio"/>: collecting metrics costs DoGet at most 2% more CPU.</summary>
    public const double MetricsOverheadGoal = 1.02;

    /// <summary>Rows per producer batch of the generated table.</summary>
    private const int BatchRows = 32_768;

    // The mixed table's canonical bytes per row, measured: sizes the table from the requested bytes.
    private const double BytesPerRow = 45.5;

    /// <summary>The loopback socket sends this much at most from one buffer, again and again.</summary>
    private const int SocketBufferBytes = 64 << 20;

    /// <summary>Runs every measure <paramref name="rounds"/> times after a warm-up and keeps the best of each.</summary>
    /// <param name="tableBytes">About how large the table is (canonical chunk bytes).</param>
    /// <param name="rounds">Measured rounds per figure.</param>
    /// <param name="scratchRoot">Where the node's scratch repository goes.</param>
    /// <param name="kestrelHttp2">
    /// Run over Kestrel's HTTP/2 server and .NET's SocketsHttpHandler instead of our HTTP/2 on both
    /// ends: the same gRPC and Flight code on the stock transport, for comparison.
    /// </param>
    /// <param name="apachePeerStart">
    /// When given, makes the start info of <see cref="ApacheFlightPeer"/>'s process from its arguments, and
    /// the node and client are also measured against the standard .NET Flight server and client
    /// (<see cref="ApacheFlightComparison"/>).
    /// </param>
    public static async Task<FlightBenchmarkResult> RunAsync(
        long tableBytes, int rounds, string scratchRoot, bool kestrelHttp2 = false, Func<IReadOnlyList<string>, ProcessStartInfo>? apachePeerStart = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        string folder = Directory.CreateDirectory(Path.Combine(scratchRoot, $"flight-bench-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            await using var node = await FlightNode.StartAsync(content, new FlightNodeOptions { UseKestrelHttp2 = kestrelHttp2 }).ConfigureAwait(false);
            using var client = new FlightClient(node.Location, new FlightClientOptions { UseSocketsHttpHandler = kestrelHttp2 });
            // Generated once and held, so generating is not timed in the puts below.
            var batches = MixedTable.Batches(1, 0, Math.Max(1, (long)(tableBytes / BytesPerRow)), BatchRows).ToList();
            var put0 = await client.PutAsync(MixedTable.Schema, batches).ConfigureAwait(false);
            Cid cid = put0.Table;
            long bytes = put0.Batches.Sum(b => b.Bytes);

            // DoPut goes to a node of its own, the local put to a repository of its own: each put
            // finds its repository without the batch (see MeasureDoPutAsync).
            using var doPutContent = ContentRepository.Open(Path.Combine(folder, "doput"));
            await using var doPutNode = await FlightNode.StartAsync(doPutContent, new FlightNodeOptions { UseKestrelHttp2 = kestrelHttp2 }).ConfigureAwait(false);
            using var doPutClient = new FlightClient(doPutNode.Location, new FlightClientOptions { UseSocketsHttpHandler = kestrelHttp2 });
            using var putContent = ContentRepository.Open(Path.Combine(folder, "put"));

            var socketPayload = new byte[Math.Min(bytes, SocketBufferBytes)];
            Random.Shared.NextBytes(socketPayload);
            int minWarmUps = (int)Math.Clamp((MinWarmUpBytes + bytes - 1) / bytes, 2, 40);
            int maxWarmUps = (int)Math.Clamp(MaxWarmUpBytes / bytes, minWarmUps, 40);

            // Warm-up first: for its first few hundred megabytes a fresh process spends as much CPU
            // re-compiling Kestrel's, HttpClient's and our hot paths (tiered JIT, PGO) as moving bytes,
            // which measures the runtime's start rather than the transfer. So transfers continue until
            // one round compiles no method (or the cap is reached).
            var jit = new JitWatch();
            int warmUps = 0;
            for (int round = 0; round < maxWarmUps; round++)
            {
                warmUps++;
                await DrainAsync(client, cid).ConfigureAwait(false);
                await LoopbackSocketTransfer.MeasureAsync(socketPayload, bytes).ConfigureAwait(false);
                if (round % 4 == 0)
                {
                    // DoPut's paths (request body, chunking, canonicalising, hashing) and the local put's warm up too.
                    await MeasureDoPutAsync(doPutClient, doPutContent, batches).ConfigureAwait(false);
                    MeasureLocalPut(putContent, batches);
                }

                if (jit.NothingCompiledSinceLastLook() && round + 1 >= minWarmUps)
                {
                    break;
                }
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
                double socketSeconds = await LoopbackSocketTransfer.MeasureAsync(socketPayload, bytes).ConfigureAwait(false);
                TimeSpan cpu2 = ProcessCpu();
                if (round > 0)
                {
                    get = Math.Min(get, getSeconds);
                    socket = Math.Min(socket, socketSeconds);
                    getCpu += cpu1 - cpu0;
                    socketCpu += cpu2 - cpu1;
                }
            }

            // DoGet with metrics collected (a Prometheus exporter listening, as on a node serving
            // /metrics) against none, alternating within each round for the same reason, and
            // which goes first alternating from round to round (the second of a pair pays for the
            // first's garbage).
            TimeSpan plainCpu = TimeSpan.Zero;
            TimeSpan metricsCpu = TimeSpan.Zero;
            for (int round = 0; round <= 2 * rounds; round++)
            {
                bool metricsFirst = round % 2 == 1;
                TimeSpan first = await MeasureDrainCpuAsync(client, cid, metricsFirst).ConfigureAwait(false);
                TimeSpan second = await MeasureDrainCpuAsync(client, cid, !metricsFirst).ConfigureAwait(false);
                if (round > 0)
                {
                    plainCpu += metricsFirst ? second : first;
                    metricsCpu += metricsFirst ? first : second;
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
                var (doPutSeconds, doPutCpuTime) = await MeasureDoPutAsync(doPutClient, doPutContent, batches).ConfigureAwait(false);
                var (putSeconds, putCpuTime) = MeasureLocalPut(putContent, batches);
                if (round > 0)
                {
                    doPut = Math.Min(doPut, doPutSeconds);
                    put = Math.Min(put, putSeconds);
                    doPutCpu += doPutCpuTime;
                    putCpu += putCpuTime;
                }
            }

            double get4 = await BestAsync(rounds, () => Task.WhenAll(Enumerable.Range(0, 4).Select(_ => DrainAsync(client, cid)))).ConfigureAwait(false);

            ApacheFlightFigures? apache = apachePeerStart is null
                ? null
                : await ApacheFlightComparison.RunAsync(MixedTable.Schema, batches, rounds, Directory.CreateDirectory(Path.Combine(folder, "apache")).FullName, apachePeerStart).ConfigureAwait(false);

            double gb = bytes / 1e9;
            return new FlightBenchmarkResult
            {
                Apache = apache,
                TableBytes = bytes,
                Chunks = put0.Batches.Count,
                Rounds = rounds,
                WarmUpTransfers = warmUps,
                DoGetGbps = gb / get,
                DoGetVerifiedGbps = gb / verified,
                DoGet4Gbps = 4 * gb / get4,
                DoPutGbps = gb / doPut,
                PutGbps = gb / put,
                SocketGbps = gb / socket,
                DoGetCpuSecondsPerGb = getCpu.TotalSeconds / rounds / gb,
                MetricsOverheadRatio = metricsCpu.TotalSeconds / plainCpu.TotalSeconds,
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
    /// One DoPut of the table (wall seconds, process CPU), then, untimed, what it stored is unpinned
    /// and collected, so the next put again finds the node's repository without the table: a put of
    /// a block already stored re-hashes the stored file, which would measure the repository rather
    /// than the transfer. Node and connection live on, as a client's would.
    /// </summary>
    // The process's CPU for one DoGet drained, with a metrics exporter listening or not.
    private static async Task<TimeSpan> MeasureDrainCpuAsync(FlightClient client, Cid cid, bool withMetrics)
    {
        using var metrics = withMetrics ? new Gateway.MetricsEndpoint() : null;
        TimeSpan before = ProcessCpu();
        await DrainAsync(client, cid).ConfigureAwait(false);
        return ProcessCpu() - before;
    }

    private static async Task<(double Seconds, TimeSpan Cpu)> MeasureDoPutAsync(FlightClient client, ContentRepository nodeContent, List<RecordBatch> batches)
    {
        TimeSpan cpu = ProcessCpu();
        var clock = Stopwatch.StartNew();
        var summary = await client.PutAsync(MixedTable.Schema, batches).ConfigureAwait(false);
        var measured = (clock.Elapsed.TotalSeconds, ProcessCpu() - cpu);
        Forget(nodeContent, summary.Table, summary.Batches.Select(b => b.Cid));
        return measured;
    }

    /// <summary>One local put of the table (wall seconds, process CPU), then, untimed, what it stored is collected again.</summary>
    private static (double Seconds, TimeSpan Cpu) MeasureLocalPut(ContentRepository content, List<RecordBatch> batches)
    {
        TimeSpan cpu = ProcessCpu();
        var clock = Stopwatch.StartNew();
        var result = content.PutStream(MixedTable.Schema, batches);
        var measured = (clock.Elapsed.TotalSeconds, ProcessCpu() - cpu);
        Forget(content, result.Table.Cid, result.Batches.Select(b => b.Cid));
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

    /// <summary>A raw DoGet of <paramref name="cid"/> read to the end, nothing decoded or hashed: what the node sends, at the client's least cost.</summary>
    internal static async Task DrainAsync(FlightClient client, Cid cid)
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
}
