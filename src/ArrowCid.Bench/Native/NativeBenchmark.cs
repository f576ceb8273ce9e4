using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Repository;
using ArrowCid.SharedMemory;

namespace ArrowCid.Bench.Native;

/// <summary>
/// <c>arrowcid bench native</c>: libarrowcid.so through its C ABI, called from Python (Debian's
/// python3 with clients/python, ctypes only), each figure against a limit measured in the same run:
/// <c>cid_of</c> of a 256 MiB table against SHA-256 of its bytes (hashlib, OpenSSL) on as many
/// threads as cid_of uses (every core), with one thread's beside as context;
/// a put through the C ABI against the same put in this process; attaching a 1 GiB table against
/// attaching a 1 KiB one; and the wake-up of a Python subscriber after a C# publish. The table is
/// one non-null int64 column in 1 MiB batches that point into one buffer (no copy on either side).
/// </summary>
public static class NativeBenchmark
{
    /// <summary>Goal: cid_of through the C ABI at least this fraction of SHA-256.</summary>
    public const double CidGoal = 0.85;

    /// <summary>Goal: attaching 1 GiB costs at most this multiple of attaching 1 KiB.</summary>
    public const double AttachGoal = 1.5;

    /// <summary>Goal: a Python subscriber wakes within this many µs of a C# publish (median).</summary>
    public const double NotifyGoalMicroseconds = 50;

    /// <summary>Goal: a put through the C ABI at least this fraction of the C# put.</summary>
    public const double PutGoal = 0.8;

    private const string Python = "/usr/bin/python3";
    private const int RowsPerBatch = 1 << 17;
    private static readonly Schema Schema = new([new Field("v", ArrowType.Int64, nullable: false)]);

    /// <summary>Runs every measurement; <paramref name="library"/> is libarrowcid.so, <paramref name="root"/> the checkout (clients/python).</summary>
    /// <exception cref="BenchmarkException">Python, the library or the peer script is missing, or the peer failed.</exception>
    public static NativeBenchmarkResult Run(string library, string root, string scratchRoot, int tableMib = 256, int notices = 400)
    {
        string peer = Path.Combine(root, "clients", "python", "bench", "native_peer.py");
        foreach (string required in new[] { Python, library, peer })
        {
            if (!File.Exists(required))
            {
                throw new BenchmarkException($"{required} is missing (python3: apt-get install python3; the library: dotnet publish src/ArrowCid.Native -c Release -r linux-x64 -o artifacts/native)");
            }
        }

        string scratch = Path.Combine(scratchRoot, $"arrowcid-bench-native-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        try
        {
            var peerRun = new PeerRunner(peer, library, root);
            using var cidPut = JsonDocument.Parse(peerRun.Run(["cid-put", Path.Combine(scratch, "python-repo"), tableMib.ToString(CultureInfo.InvariantCulture)]));
            double bytes = cidPut.RootElement.GetProperty("bytes").GetDouble();
            double sha = cidPut.RootElement.GetProperty("sha256_seconds").GetDouble();
            double shaOneThread = cidPut.RootElement.GetProperty("sha256_one_thread_seconds").GetDouble();
            double cid = cidPut.RootElement.GetProperty("cid_seconds").GetDouble();
            double put = cidPut.RootElement.GetProperty("put_seconds").GetDouble();
            double csPut = CSharpPut(Path.Combine(scratch, "csharp-repo"), tableMib);

            string shmBase = Path.Combine(scratch, "shm");
            var (attachLarge, attachSmall) = Attach(peerRun, shmBase);
            var (p50, p99) = Notify(peerRun, shmBase, notices);
            return new NativeBenchmarkResult
            {
                Isa = cidPut.RootElement.GetProperty("isa").GetString() ?? string.Empty,
                TableBytes = (long)bytes,
                CidGbps = bytes / cid / 1e9,
                Sha256Gbps = bytes / sha / 1e9,
                Sha256OneThreadGbps = bytes / shaOneThread / 1e9,
                PutGbps = bytes / put / 1e9,
                CSharpPutGbps = bytes / csPut / 1e9,
                AttachMicroseconds1GiB = attachLarge,
                AttachMicroseconds1KiB = attachSmall,
                NotifyP50Microseconds = p50,
                NotifyP99Microseconds = p99,
            };
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>The table the Python side builds, as batches here: values first, first + 1, … in 1 MiB batches over one array.</summary>
    private static List<RecordBatch> Table(long bytes, long first = 0)
    {
        var all = new byte[bytes];
        var values = MemoryMarshal.Cast<byte, long>(all.AsSpan());
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = first + i;
        }

        var batches = new List<RecordBatch>();
        for (long start = 0; start < values.Length; start += RowsPerBatch)
        {
            int rows = (int)Math.Min(RowsPerBatch, values.Length - start);
            batches.Add(new RecordBatch(Schema, rows, [new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, all.AsMemory((int)(start * sizeof(long)), rows * sizeof(long))])]));
        }

        return batches;
    }

    // The best of three puts of the same rows, each into a fresh repository, as the Python side does.
    private static double CSharpPut(string folder, int tableMib)
    {
        var batches = Table((long)tableMib << 20);
        using (var warm = ContentRepository.Open(folder + "-warm"))
        {
            warm.PutStream(Schema, batches.Take(8));
        }

        double best = double.MaxValue;
        for (int run = 0; run < 3; run++)
        {
            using var content = ContentRepository.Open($"{folder}-{run}");
            long start = Stopwatch.GetTimestamp();
            content.PutStream(Schema, batches);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        return best;
    }

    private static (double Large, double Small) Attach(PeerRunner peer, string shmBase)
    {
        string large, small;
        using (var store = ShmStore.Open(new ShmStoreOptions { BaseDirectory = shmBase, StoreName = "attach" }))
        {
            large = store.PublishTable(Schema, Table(1L << 30)).Cid.ToString();
            small = store.PublishTable(Schema, Table(1024)).Cid.ToString();
        }

        using var answer = JsonDocument.Parse(peer.Run(["attach", shmBase, "attach", large, small]));
        return (answer.RootElement.GetProperty(large).GetDouble(), answer.RootElement.GetProperty(small).GetDouble());
    }

    // Small tables published one at a time, a pause between, so the subscriber sleeps on the feed
    // and each notice is a wake-up; latency is the publisher's monotonic timestamp in the notice
    // to the subscriber's clock (CLOCK_MONOTONIC on both sides) right after arrowcid_shm_next returns.
    private static (double P50, double P99) Notify(PeerRunner peer, string shmBase, int notices)
    {
        using var store = ShmStore.Open(new ShmStoreOptions { BaseDirectory = shmBase, StoreName = "notify" });
        long cursor = store.PublishedSequence;
        using var follower = peer.Start(["follow", shmBase, "notify", cursor.ToString(CultureInfo.InvariantCulture), notices.ToString(CultureInfo.InvariantCulture)]);
        if (follower.StandardOutput.ReadLine() != "ready")
        {
            throw new BenchmarkException("the Python follower did not start: " + follower.StandardError.ReadToEnd());
        }

        var published = new Dictionary<long, long>();
        for (int i = 0; i < notices; i++)
        {
            Thread.Sleep(2);
            var result = store.PublishTable(Schema, Table(1024, first: (i + 1) * 1_000_000L));
            published[result.Sequence] = 0;
        }

        string lines = follower.StandardOutput.ReadToEnd();
        follower.WaitForExit();
        if (follower.ExitCode != 0)
        {
            throw new BenchmarkException($"the Python follower failed ({follower.ExitCode}): {follower.StandardError.ReadToEnd()}");
        }

        var subscription = store.Subscribe(cursor);
        while (subscription.TryNext(out var notice) && notice is not null)
        {
            published[notice.Sequence] = notice.PublishedTimestamp;
        }

        double nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        var latencies = new List<double>();
        foreach (string line in lines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ');
            long sequence = long.Parse(parts[0], CultureInfo.InvariantCulture);
            long woke = long.Parse(parts[1], CultureInfo.InvariantCulture);
            latencies.Add((woke - (published[sequence] * nanosecondsPerTick)) / 1000);
        }

        latencies.Sort();
        return (latencies[latencies.Count / 2], latencies[Math.Min(latencies.Count - 1, (int)(latencies.Count * 0.99))]);
    }

    /// <summary>Runs the Python peer script with the package and the library it needs.</summary>
    private sealed class PeerRunner(string script, string library, string root)
    {
        public Process Start(IEnumerable<string> arguments)
        {
            var start = StartInfo(arguments);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            return Process.Start(start) ?? throw new BenchmarkException("python3 did not start");
        }

        public string Run(IEnumerable<string> arguments)
        {
            var (output, error, exit) = ExternalTool.Run(StartInfo(arguments));
            return exit == 0 ? output : throw new BenchmarkException($"the Python peer failed ({exit}): {error}");
        }

        private ProcessStartInfo StartInfo(IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo(Python, [script, .. arguments]);
            start.Environment["PYTHONPATH"] = Path.Combine(root, "clients", "python");
            start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
            start.Environment["ARROWCID_LIBRARY"] = library;
            return start;
        }
    }
}

/// <summary>What <see cref="NativeBenchmark.Run"/> measured.</summary>
public sealed class NativeBenchmarkResult
{
    /// <summary>The build of the library the loader chose for this CPU (<c>arrowcid_isa</c>: x86-64-v4, -v3 or -v2).</summary>
    public string Isa { get; init; } = string.Empty;

    /// <summary>Bytes of the table (its int64 values).</summary>
    public long TableBytes { get; init; }

    /// <summary>cid_of through the C ABI.</summary>
    public double CidGbps { get; init; }

    /// <summary>SHA-256 of the same bytes on as many threads as cid_of uses (Python's hashlib, OpenSSL).</summary>
    public double Sha256Gbps { get; init; }

    /// <summary>SHA-256 of the same bytes on one thread: context (the reference before issue 69).</summary>
    public double Sha256OneThreadGbps { get; init; }

    /// <summary>A put through the C ABI (into a repository on the scratch folder).</summary>
    public double PutGbps { get; init; }

    /// <summary>The same put in this process (ContentRepository.PutStream).</summary>
    public double CSharpPutGbps { get; init; }

    /// <summary>Median attach + release of the 1 GiB table from Python.</summary>
    public double AttachMicroseconds1GiB { get; init; }

    /// <summary>Median attach + release of the 1 KiB table from Python.</summary>
    public double AttachMicroseconds1KiB { get; init; }

    /// <summary>Median C# publish → Python wake-up.</summary>
    public double NotifyP50Microseconds { get; init; }

    /// <summary>99th percentile of the same.</summary>
    public double NotifyP99Microseconds { get; init; }

    /// <summary>cid_of against SHA-256 on as many threads.</summary>
    public double CidRatio => CidGbps / Sha256Gbps;

    /// <summary>cid_of against SHA-256 on one thread (context).</summary>
    public double CidRatioOneThread => CidGbps / Sha256OneThreadGbps;

    /// <summary>The C ABI put against the C# put.</summary>
    public double PutRatio => PutGbps / CSharpPutGbps;

    /// <summary>Attach of 1 GiB against 1 KiB.</summary>
    public double AttachRatio => AttachMicroseconds1GiB / AttachMicroseconds1KiB;
}
