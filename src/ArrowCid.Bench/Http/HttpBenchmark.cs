using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime;
using System.Runtime.InteropServices;
using ArrowCid.Bench.Flight;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Hosting;
using ArrowCid.Gateway;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Bench.Http;

/// <summary>
/// The HTTP gateway on loopback, in one run, next to a peer doing the same work: (a) a chunked table
/// (the mixed table of the chunking vectors) streamed as <c>application/vnd.apache.arrow.stream</c>
/// from <c>/ipfs/{cid}</c> to an <see cref="HttpClient"/> next to a raw TCP transfer of as many
/// bytes; (b) distinct 256 KiB raw blocks asked for in turn (<c>GET /ipfs/{cid}?format=raw</c>) by
/// wrk over 16 keep-alive connections, against the gateway and against nginx serving the very same
/// block files (symbolic links to the repository's files) under the same paths.
/// A node (Flight and its gateway) is started on 127.0.0.1:0 over a scratch repository.
/// </summary>
public static class HttpBenchmark
{
    /// <summary>Bytes of each raw block of (b).</summary>
    public const int BlockBytes = 256 << 10;

    /// <summary>Keep-alive connections of (b), as the goal is stated.</summary>
    public const int Connections = 16;

    private const string ArrowStreamType = "application/vnd.apache.arrow.stream";
    private const long MinWarmUpBytes = 512L << 20;
    private const long MaxWarmUpBytes = 2560L << 20;
    private const int BatchRows = 32_768;

    // The mixed table's canonical bytes per row, measured: sizes the table from the requested bytes.
    private const double BytesPerRow = 45.5;
    private const int SocketBufferBytes = 64 << 20;

    /// <summary>Runs both parts and answers their figures.</summary>
    /// <exception cref="BenchmarkException">A response was not what was asked for, or a peer failed.</exception>
    public static async Task<HttpBenchmarkResult> RunAsync(HttpBenchmarkSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Rounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Blocks, 1);
        var machine = MachineInfo();
        string folder = Directory.CreateDirectory(Path.Combine(settings.ScratchRoot, $"http-bench-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        try
        {
            using var content = ContentRepository.Open(Path.Combine(folder, "repo"));
            var put = content.PutStream(MixedTable.Schema, MixedTable.Batches(1, 0, Math.Max(1, (long)(settings.TableBytes / BytesPerRow)), BatchRows));
            var blockPaths = PutBlocks(content, settings.Blocks, Path.Combine(folder, "www"));

            await using var flight = await FlightNode.StartAsync(content).ConfigureAwait(false);
            await using var gateway = await GatewayNode.StartAsync(flight.Node).ConfigureAwait(false);
            using var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, UseCookies = false })
            {
                BaseAddress = gateway.Address,
                Timeout = TimeSpan.FromMinutes(10),

                // One stream over one connection: HTTP/1.1, whose body is the bytes themselves (no
                // frames, no flow-control windows), the figure the goal is stated for.
                DefaultRequestVersion = HttpVersion.Version11,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };

            var stream = await MeasureStreamAsync(client, put.Table.Cid, settings.Rounds).ConfigureAwait(false);
            var blocks = MeasureBlocks(settings, folder, gateway.Address, blockPaths, machine);
            machine["load_average_end"] = LoadAverage();
            return new HttpBenchmarkResult
            {
                TableBytes = put.Batches.Sum(b => b.Bytes),
                Chunks = put.Batches.Count,
                StreamBytes = stream.Bytes,
                Rounds = settings.Rounds,
                WarmUpTransfers = stream.WarmUps,
                StreamGbps = stream.Bytes / 1e9 / stream.Seconds,
                SocketGbps = stream.Bytes / 1e9 / stream.SocketSeconds,
                Blocks = settings.Blocks,
                BlockBytes = BlockBytes,
                Connections = Connections,
                WrkThreads = WrkThreads,
                NginxWorkers = Environment.ProcessorCount,
                Seconds = settings.Seconds,
                GatewayBlockRps = blocks.Gateway?.BestRate,
                NginxBlockRps = blocks.Nginx?.BestRate,
                GatewayCpuMicrosecondsPerBlock = blocks.Gateway?.CpuMicrosecondsPerRequest,
                NginxCpuMicrosecondsPerBlock = blocks.Nginx?.CpuMicrosecondsPerRequest,
                BlocksSkipped = blocks.Skipped,
                Machine = machine,
            };
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a mapping may still be open until finalisation.
            }
        }
    }

    /// <summary>wrk's threads: half the cores (the servers need the rest), at least one.</summary>
    private static int WrkThreads => Math.Clamp(Environment.ProcessorCount / 2, 1, Connections);

    /// <summary>
    /// Puts <paramref name="count"/> distinct random 256 KiB raw blocks and links each block file
    /// under <c>www/ipfs/CID</c>, the path nginx serves it at; answers the request paths.
    /// </summary>
    private static List<string> PutBlocks(ContentRepository content, int count, string www)
    {
        string ipfs = Directory.CreateDirectory(Path.Combine(www, "ipfs")).FullName;
        var random = new Random(20_141);
        var bytes = new byte[BlockBytes];
        var paths = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            random.NextBytes(bytes);
            var cid = Cid.ForRaw(bytes);
            content.Repository.PutBlock(cid, bytes, new BlockRecord { Cid = cid, Kind = BlockKind.Foreign });
            File.CreateSymbolicLink(Path.Combine(ipfs, cid.ToString()), content.Repository.Blocks.GetBlockPath(cid));
            paths.Add($"/ipfs/{cid}?format=raw");
        }

        return paths;
    }

    private static async Task<(long Bytes, double Seconds, double SocketSeconds, int WarmUps)> MeasureStreamAsync(HttpClient client, Cid table, int rounds)
    {
        long bytes = await DrainAsync(client, table).ConfigureAwait(false);
        var socketPayload = new byte[Math.Min(bytes, SocketBufferBytes)];
        Random.Shared.NextBytes(socketPayload);

        // Warm-up until a round compiles no method (tiered JIT and PGO of Kestrel's, HttpClient's and
        // our paths), as bench flight does: a fresh process otherwise measures the runtime's start.
        int minWarmUps = (int)Math.Clamp((MinWarmUpBytes + bytes - 1) / bytes, 2, 40);
        int maxWarmUps = (int)Math.Clamp(MaxWarmUpBytes / bytes, minWarmUps, 40);
        var jit = new JitWatch();
        int warmUps = 1;
        while (warmUps < maxWarmUps)
        {
            warmUps++;
            await DrainAsync(client, table).ConfigureAwait(false);
            await LoopbackSocketTransfer.MeasureAsync(socketPayload, bytes).ConfigureAwait(false);
            if (jit.NothingCompiledSinceLastLook() && warmUps >= minWarmUps)
            {
                break;
            }
        }

        // Alternating within each round: on a shared machine the load changes from second to second.
        double stream = double.MaxValue;
        double socket = double.MaxValue;
        for (int round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            long drained = await DrainAsync(client, table).ConfigureAwait(false);
            stream = Math.Min(stream, clock.Elapsed.TotalSeconds);
            if (drained != bytes)
            {
                throw new BenchmarkException($"the Arrow stream of {table} was {bytes} bytes, then {drained}");
            }

            socket = Math.Min(socket, await LoopbackSocketTransfer.MeasureAsync(socketPayload, bytes).ConfigureAwait(false));
        }

        return (bytes, stream, socket, warmUps);
    }

    /// <summary>
    /// The table as an Arrow stream, read into one reused buffer and dropped; checked cheaply (200,
    /// the media type, the stream opening with a continuation marker and ending with the end-of-stream
    /// marker). Answers the body's length.
    /// </summary>
    private static async Task<long> DrainAsync(HttpClient client, Cid table)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{table}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(ArrowStreamType));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != ArrowStreamType)
        {
            string problem = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            throw new BenchmarkException($"GET /ipfs/{table} as {ArrowStreamType} answered {(int)response.StatusCode} {response.Content.Headers.ContentType}: {problem[..Math.Min(problem.Length, 500)]}");
        }

        await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        var buffer = new byte[1 << 20];
        var head = new byte[4];
        var tail = new byte[8];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            if (total < head.Length)
            {
                buffer.AsSpan(0, Math.Min(read, head.Length - (int)total)).CopyTo(head.AsSpan((int)total));
            }

            KeepTail(tail, buffer.AsSpan(0, read));
            total += read;
        }

        // An IPC stream opens with a message (continuation 0xFFFFFFFF) and ends with 0xFFFFFFFF 0x00000000.
        if (total < 12 || BinaryPrimitives.ReadUInt32LittleEndian(head) != uint.MaxValue
            || BinaryPrimitives.ReadUInt32LittleEndian(tail) != uint.MaxValue || BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(4)) != 0)
        {
            throw new BenchmarkException($"GET /ipfs/{table} as {ArrowStreamType} gave {total} bytes that are not a complete Arrow IPC stream");
        }

        return total;
    }

    /// <summary>Keeps the last <c>tail.Length</c> bytes seen in <paramref name="tail"/>.</summary>
    private static void KeepTail(Span<byte> tail, ReadOnlySpan<byte> chunk)
    {
        if (chunk.Length >= tail.Length)
        {
            chunk[^tail.Length..].CopyTo(tail);
            return;
        }

        tail[chunk.Length..].CopyTo(tail);
        chunk.CopyTo(tail[^chunk.Length..]);
    }

    /// <summary>
    /// wrk against the gateway and nginx: a warm-up of each (the gateway's first open of each block
    /// hashes it; later opens find it verified), then rounds alternating which goes first, the best
    /// rate kept. CPU per request is counted over all measured rounds: the gateway's as this
    /// process's CPU time (wrk is a process of its own; nothing else here runs meanwhile), nginx's
    /// as its workers'. Unlike rates, it hardly depends on what else the machine runs.
    /// </summary>
    private static BlockFigures MeasureBlocks(HttpBenchmarkSettings settings, string folder, Uri gateway, List<string> paths, Dictionary<string, string> machine)
    {
        string? wrkPath = WrkLoad.Find();
        if (wrkPath is null)
        {
            return new BlockFigures { Skipped = "wrk not found (Debian package wrk): no block figures" };
        }

        machine["wrk"] = WrkLoad.Version(wrkPath);
        var wrk = WrkLoad.Create(wrkPath, folder, paths);
        var gatewayRuns = new RunTotals();
        WrkRun RunGateway(double seconds)
        {
            TimeSpan cpu = ProcessCpu();
            var run = wrk.Run(gateway, WrkThreads, Connections, seconds);
            gatewayRuns.Add(run, ProcessCpu() - cpu);
            return run;
        }

        RunGateway(Math.Max(2, settings.Seconds));
        gatewayRuns = new RunTotals();
        string? nginxPath = NginxServer.Find();
        if (nginxPath is null)
        {
            for (int round = 0; round < settings.Rounds; round++)
            {
                RunGateway(settings.Seconds);
            }

            return new BlockFigures { Gateway = gatewayRuns, Skipped = "nginx not found (Debian package nginx): no nginx figure" };
        }

        machine["nginx"] = NginxServer.Version(nginxPath);
        using var nginx = NginxServer.Start(nginxPath, folder, Path.Combine(folder, "www"), Environment.ProcessorCount);
        var nginxRuns = new RunTotals();
        WrkRun RunNginx(double seconds)
        {
            TimeSpan cpu = nginx.WorkerCpu();
            var run = wrk.Run(nginx.Address, WrkThreads, Connections, seconds);
            nginxRuns.Add(run, nginx.WorkerCpu() - cpu);
            return run;
        }

        var check = RunNginx(1);
        if (check.BytesPerAnswer < BlockBytes)
        {
            throw new BenchmarkException($"nginx answered {check.BytesPerAnswer:0} bytes per request, not the {BlockBytes}-byte blocks");
        }

        nginxRuns = new RunTotals();
        for (int round = 0; round < settings.Rounds; round++)
        {
            if (round % 2 == 0)
            {
                RunGateway(settings.Seconds);
                RunNginx(settings.Seconds);
            }
            else
            {
                RunNginx(settings.Seconds);
                RunGateway(settings.Seconds);
            }
        }

        return new BlockFigures { Gateway = gatewayRuns, Nginx = nginxRuns };
    }

    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static Dictionary<string, string> MachineInfo() => new()
    {
        ["cores"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
        ["cpu"] = CpuModel(),
        ["os"] = RuntimeInformation.OSDescription,
        ["runtime"] = RuntimeInformation.FrameworkDescription,
        ["gc"] = $"{(GCSettings.IsServerGC ? "server" : "workstation")}, {GCSettings.LatencyMode}",
        ["load_average_start"] = LoadAverage(),
    };

    private static string CpuModel()
    {
        const string CpuInfo = "/proc/cpuinfo";
        return File.Exists(CpuInfo)
            ? File.ReadLines(CpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString()
            : RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string LoadAverage()
    {
        const string LoadAvg = "/proc/loadavg";
        return File.Exists(LoadAvg) ? string.Join(' ', File.ReadAllText(LoadAvg).Split(' ').Take(3)) : "unknown";
    }

    /// <summary>What the measured wrk runs against one server add up to.</summary>
    private sealed class RunTotals
    {
        private long _requests;
        private TimeSpan _cpu;

        /// <summary>The best requests per second of a run.</summary>
        public double BestRate { get; private set; }

        /// <summary>The server's CPU time per request over all runs, in microseconds.</summary>
        public double CpuMicrosecondsPerRequest => _requests > 0 ? _cpu.TotalMicroseconds / _requests : 0;

        public void Add(WrkRun run, TimeSpan cpu)
        {
            BestRate = Math.Max(BestRate, run.RequestsPerSecond);
            _requests += run.Requests;
            _cpu += cpu;
        }
    }

    private sealed record BlockFigures
    {
        public RunTotals? Gateway { get; init; }

        public RunTotals? Nginx { get; init; }

        public string? Skipped { get; init; }
    }
}
