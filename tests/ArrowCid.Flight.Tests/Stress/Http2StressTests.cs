using System.Diagnostics;
using System.Globalization;
using ArrowCid.Grpc;
using Google.Protobuf;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Stress;

/// <summary>
/// The HTTP/2 stress suite (issue 34): many connections and streams at once, bodies from 0 to 8 MiB
/// both ways, slow readers on both ends, cancellations (RST_STREAM), planned server failures and
/// short deadlines, while a process spins on every core. Every call must end as planned within its
/// deadline: a call still open 30 s past it is a hang, and there must be none. The pairs: our client
/// and our server; our client and Kestrel's HTTP/2 (the stock transport); gRPC C-core (grpcio) and
/// nghttp2's h2load against our server. Each prints one summary line, also appended to
/// artifacts/stress/http2-stress.txt, which test.sh prints at its end.
/// </summary>
[Trait("Category", "Peers")]
[Collection(nameof(Http2StressTests))]
public sealed class Http2StressTests(ITestOutputHelper output)
{
    /// <summary>The seed of every run's plans (printed, so a failing run can be replayed).</summary>
    private const int Seed = 34_000;

    private static async Task<GrpcServer> StartServerAsync(bool kestrel)
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { UseKestrelHttp2 = kestrel, MaxReceiveMessageSize = 2 << 20 });
        StressService.Register(registry);
        return await GrpcServer.StartAsync(registry);
    }

    [Fact]
    public async Task Our_client_against_our_server_ends_every_call_as_planned()
    {
        await using GrpcServer server = await StartServerAsync(kestrel: false);
        await RunOursAsync("our client -> our server", server, calls: 2_000);
    }

    [Fact]
    public async Task Our_client_against_kestrels_http2_ends_every_call_as_planned()
    {
        await using GrpcServer server = await StartServerAsync(kestrel: true);
        await RunOursAsync("our client -> Kestrel HTTP/2", server, calls: 400);
    }

    [Fact]
    public async Task Grpc_core_against_our_server_ends_every_call_as_planned()
    {
        if (await PythonInteropRunner.UnavailableAsync("grpc") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using GrpcServer server = await StartServerAsync(kestrel: false);
        using CpuLoad load = CpuLoad.OnEveryCore();
        var start = new ProcessStartInfo(PythonInteropRunner.Interpreter, ["-m", "grpc_peer.stress", "--target", $"127.0.0.1:{server.Address.Port}", "--calls", "400", "--concurrency", "16", "--seed", Seed.ToString(CultureInfo.InvariantCulture)])
        {
            WorkingDirectory = PythonInteropRunner.InteropDirectory!,
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        ChildProcessResult result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(10));
        string summary = result.Stdout.Trim().Split('\n')[^1] + $" (load: {load.Processes} spinning processes)";
        Report(summary);
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Contains(" 0 hangs, 0 unexpected", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task H2load_against_our_server_gets_every_response()
    {
        if (!File.Exists("/usr/bin/h2load"))
        {
            output.WriteLine(CiEnvironment.SkipOrFail("h2load is not installed (apt-get install nghttp2-client)"));
            return;
        }

        await using GrpcServer server = await StartServerAsync(kestrel: false);
        using CpuLoad load = CpuLoad.OnEveryCore();
        using var temp = new TempDirectory();
        string body = Path.Combine(temp.Path, "request.grpc");
        await File.WriteAllBytesAsync(body, RawGrpcRequest(new StressPlan(Seed, 16 << 10, 256 << 10, 0, 0, false)));
        const int Requests = 2_000;
        var start = new ProcessStartInfo("/usr/bin/h2load",
        [
            "-n", Requests.ToString(CultureInfo.InvariantCulture), "-c", "8", "-m", "16", "-T", "60",
            "-d", body, "-H", "content-type: application/grpc", "-H", "te: trailers",
            $"http://127.0.0.1:{server.Address.Port}/stress.Stress/Exchange",
        ]);
        var watch = Stopwatch.StartNew();
        ChildProcessResult result = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(10));
        string requests = result.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("requests:", StringComparison.Ordinal))?.Trim() ?? "(no requests line)";
        Report($"http2 stress [h2load -> our server]: {requests} in {watch.Elapsed.TotalSeconds:0.0} s with {load.Processes} spinning processes");
        Assert.True(result.ExitCode == 0, result.Log);
        Assert.Contains($"requests: {Requests} total, {Requests} started, {Requests} done, {Requests} succeeded, 0 failed, 0 errored, 0 timeout", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"status codes: {Requests} 2xx", result.Stdout, StringComparison.Ordinal);
    }

    private async Task RunOursAsync(string pair, GrpcServer server, int calls)
    {
        var channels = Enumerable.Range(0, 4).Select(_ => new GrpcChannel(server.Address)).ToList();
        try
        {
            using CpuLoad load = CpuLoad.OnEveryCore();
            var watch = Stopwatch.StartNew();
            StressTally tally = await StressDriver.RunAsync(channels, calls, concurrency: 32, Seed);
            Report(tally.Summary(pair, watch.Elapsed, load.Processes) + $"; seed {Seed}");
            Assert.Equal(calls, tally.Calls);
            Assert.True(tally.Unexpected.Count == 0, string.Join('\n', tally.Unexpected.Take(20)));
            Assert.Equal(0, tally.Hangs);
        }
        finally
        {
            channels.ForEach(c => c.Dispose());
        }
    }

    /// <summary>One gRPC message (5-octet prefix, then Flight's Action with the plan and its request octets) as an HTTP/2 request body.</summary>
    private static byte[] RawGrpcRequest(StressPlan plan)
    {
        byte[] payload = new byte[plan.RequestBytes];
        StressPattern.Fill(payload, plan.Seed, 0);
        byte[] message = new Protocol.Action { Type = plan.Encode(), Body = Google.Protobuf.ByteString.CopyFrom(payload) }.ToByteArray();
        byte[] framed = new byte[5 + message.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
        message.CopyTo(framed, 5);
        return framed;
    }

    private void Report(string summary)
    {
        output.WriteLine(summary);
        if (RepositoryPaths.Root is { } root)
        {
            string folder = Path.Combine(root, "artifacts", "stress");
            Directory.CreateDirectory(folder);
            lock (typeof(Http2StressTests))
            {
                File.AppendAllText(Path.Combine(folder, "http2-stress.txt"), summary + Environment.NewLine);
            }
        }
    }
}
