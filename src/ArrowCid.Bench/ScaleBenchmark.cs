using System.Diagnostics;
using System.Globalization;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Repository;

namespace ArrowCid.Bench;

/// <summary>What <see cref="ScaleBenchmark.Run"/> measured on a repository of <see cref="Blocks"/> tables and on one of <see cref="ScaleBenchmark.SmallBlocks"/>.</summary>
public sealed record ScaleBenchmarkResult
{
    /// <summary>Tables (one block each) in the large repository.</summary>
    public required int Blocks { get; init; }

    /// <summary>Seconds the large repository took to build through the repository API (concurrent puts, group commit).</summary>
    public required double BuildSeconds { get; init; }

    /// <summary>Opening the repository in this process (and finding one table), large and small, in milliseconds.</summary>
    public required double OpenMilliseconds { get; init; }

    /// <inheritdoc cref="OpenMilliseconds"/>
    public required double OpenMillisecondsSmall { get; init; }

    /// <summary>The median in-process get of a random table (found, read whole, verified), large and small, in microseconds.</summary>
    public required double GetMicrosecondsP50 { get; init; }

    /// <inheritdoc cref="GetMicrosecondsP50"/>
    public required double GetMicrosecondsP50Small { get; init; }

    /// <summary>The median <c>arrowcid get CID -o /dev/null</c> as a whole process, large and small, in milliseconds.</summary>
    public required double CliGetMilliseconds { get; init; }

    /// <inheritdoc cref="CliGetMilliseconds"/>
    public required double CliGetMillisecondsSmall { get; init; }

    /// <summary>From starting <c>arrowcid serve</c> to its "serving" line, large and small, in milliseconds.</summary>
    public required double ServeReadyMilliseconds { get; init; }

    /// <inheritdoc cref="ServeReadyMilliseconds"/>
    public required double ServeReadyMillisecondsSmall { get; init; }

    /// <summary>ListFlights of every flight of the large repository from that node, in seconds.</summary>
    public required double ListFlightsSeconds { get; init; }

    /// <summary>Flights listed.</summary>
    public required long ListFlightsCount { get; init; }

    /// <summary>How far the node's peak RSS rose over its RSS before the listing, in MiB.</summary>
    public required double ListFlightsRssGrowthMiB { get; init; }

    /// <summary>
    /// How far the node's anonymous RSS (its heap, not the pack pages it mapped to read each table's
    /// schema) stood above its idle figure once the listing ended, in MiB.
    /// </summary>
    public required double ListFlightsAnonymousRssGrowthMiB { get; init; }

    /// <summary>The node's RSS once ready, before any call, in MiB.</summary>
    public required double ServeIdleRssMiB { get; init; }

    /// <summary>The peak RSS of <c>arrowcid ls --json &gt; /dev/null</c> on the large repository, in MiB.</summary>
    public required double LsJsonPeakRssMiB { get; init; }

    /// <inheritdoc cref="LsJsonPeakRssMiB"/>
    public required double LsJsonPeakRssMiBSmall { get; init; }

    /// <summary>Seconds of <c>arrowcid ls --json</c>.</summary>
    public required double LsJsonSeconds { get; init; }

    /// <summary>
    /// <c>arrowcid gc</c> on the large repository, in seconds: every third table was put unpinned,
    /// so it removes a third of the tables from packs that stay two-thirds alive (not rewritten:
    /// their tombstones stay for every later open to honour).
    /// </summary>
    public required double GcSeconds { get; init; }

    /// <summary>The peak RSS of that gc, in MiB.</summary>
    public required double GcPeakRssMiB { get; init; }

    /// <summary>Tables that gc removed (every third).</summary>
    public required long GcRemovedTables { get; init; }

    /// <summary>Opening the large repository in process after that gc (and finding one table), in milliseconds.</summary>
    public required double OpenMillisecondsAfterGc { get; init; }

    /// <summary>The median <c>arrowcid get</c> process on the large repository after that gc, in milliseconds (the small one's is measured again beside it).</summary>
    public required double CliGetMillisecondsAfterGc { get; init; }

    /// <inheritdoc cref="CliGetMillisecondsAfterGc"/>
    public required double CliGetMillisecondsSmallAfterGc { get; init; }

    /// <summary><c>arrowcid verify</c> on the large repository (every block hashed), in seconds.</summary>
    public required double VerifySeconds { get; init; }

    /// <summary>The peak RSS of that verify, in MiB.</summary>
    public required double VerifyPeakRssMiB { get; init; }

    /// <summary>The registry's files (database, WAL, journal) over the tables.</summary>
    public required double RegistryBytesPerTable { get; init; }

    /// <summary>The block store's bytes over the tables.</summary>
    public required double StoreBytesPerTable { get; init; }
}

/// <summary>
/// How each cost grows with the repository (issue 43): a repository of N distinct one-row tables
/// built through the repository API, and one of <see cref="SmallBlocks"/>, measured in the same
/// run: open, get (in process and as a CLI process), a node's start and ListFlights, <c>ls --json</c>,
/// gc, verify, and the registry's size per table.
/// </summary>
public static class ScaleBenchmark
{
    /// <summary>Tables in the small repository the large one is compared with.</summary>
    public const int SmallBlocks = 10;

    /// <summary>The goal for a CLI get on the large repository over one on the small (process start included).</summary>
    public const double CliGetRatioGoal = 1.2;

    /// <summary>The goal for a node's start, process start included, in milliseconds (issue 64: at a million tables).</summary>
    public const double ServeReadyGoalMilliseconds = 200;

    /// <summary>The goal for what a listing of every flight adds to a node's RSS, in MiB (issue 64: at a million tables).</summary>
    public const double ListFlightsGrowthGoalMiB = 64;

    /// <summary>The goal for the peak RSS of a walk over every row or block (a listing, gc, verify), in MiB.</summary>
    public const double WalkRssGoalMiB = 128;

    /// <summary>The goal for an idle node's RSS, in MiB.</summary>
    public const double IdleNodeRssGoalMiB = 512;

    private const int CliRuns = 7;
    private const int InProcessGets = 2000;
    private const int SampledCids = 4096;

    /// <summary>Builds both repositories under <paramref name="scratchRoot"/> (removed after, unless kept) and measures them.</summary>
    /// <param name="scratchRoot">A folder on the disk to measure.</param>
    /// <param name="blocks">Tables in the large repository.</param>
    /// <param name="self">Starts this program with the arguments given (the CLI and the node).</param>
    /// <param name="progress">Told what is being done.</param>
    /// <param name="keep">Leave both repositories (<c>large</c> and <c>small</c> in a folder progress names) for a closer look.</param>
    public static ScaleBenchmarkResult Run(string scratchRoot, int blocks, Func<IEnumerable<string>, ProcessStartInfo> self, Action<string>? progress = null, bool keep = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blocks, SmallBlocks);
        ArgumentNullException.ThrowIfNull(self);
        string folder = Path.Combine(scratchRoot, "arrowcid-bench-scale-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string large = Path.Combine(folder, "large");
            string small = Path.Combine(folder, "small");
            progress?.Invoke($"building {blocks:N0} tables");
            var started = Stopwatch.GetTimestamp();
            var largeCids = Build(large, blocks);
            double build = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var smallCids = Build(small, SmallBlocks);

            progress?.Invoke("open and get");
            var (openLarge, getLarge) = OpenAndGet(large, largeCids);
            var (openSmall, getSmall) = OpenAndGet(small, smallCids);

            progress?.Invoke("CLI get");
            var (cliLarge, cliSmall) = CliGets(self, large, largeCids, small, smallCids);

            progress?.Invoke("serve and ListFlights");
            var node = Serve(self, large, list: true);
            var nodeSmall = Serve(self, small, list: false);

            progress?.Invoke("ls --json");
            var (lsSeconds, lsPeak, _) = PeakRss(self(["ls", "--json", "--repo", large]));
            var (_, lsPeakSmall, _) = PeakRss(self(["ls", "--json", "--repo", small]));

            progress?.Invoke("gc and verify");
            var (gc, gcPeak, gcSaid) = PeakRss(self(["gc", "--repo", large]));
            long gcRemoved = RemovedRecords(gcSaid);
            progress?.Invoke("open and CLI get after gc");
            var (openAfterGc, _) = OpenAndGet(large, largeCids);
            var (cliAfterGc, cliSmallAfterGc) = CliGets(self, large, largeCids, small, smallCids);
            var (verify, verifyPeak, _) = PeakRss(self(["verify", "--repo", large]));

            return new ScaleBenchmarkResult
            {
                Blocks = blocks,
                BuildSeconds = build,
                OpenMilliseconds = openLarge,
                OpenMillisecondsSmall = openSmall,
                GetMicrosecondsP50 = getLarge,
                GetMicrosecondsP50Small = getSmall,
                CliGetMilliseconds = cliLarge,
                CliGetMillisecondsSmall = cliSmall,
                ServeReadyMilliseconds = node.ReadyMilliseconds,
                ServeReadyMillisecondsSmall = nodeSmall.ReadyMilliseconds,
                ListFlightsSeconds = node.ListSeconds,
                ListFlightsCount = node.Listed,
                ListFlightsRssGrowthMiB = node.RssGrowthMiB,
                ListFlightsAnonymousRssGrowthMiB = node.AnonymousRssGrowthMiB,
                ServeIdleRssMiB = node.IdleRssMiB,
                LsJsonPeakRssMiB = lsPeak,
                LsJsonPeakRssMiBSmall = lsPeakSmall,
                LsJsonSeconds = lsSeconds,
                GcSeconds = gc,
                GcPeakRssMiB = gcPeak,
                GcRemovedTables = gcRemoved,
                OpenMillisecondsAfterGc = openAfterGc,
                CliGetMillisecondsAfterGc = cliAfterGc,
                CliGetMillisecondsSmallAfterGc = cliSmallAfterGc,
                VerifySeconds = verify,
                VerifyPeakRssMiB = verifyPeak,
                RegistryBytesPerTable = (double)FolderBytes(large, f => Path.GetFileName(f).StartsWith("registry", StringComparison.Ordinal)) / blocks,
                StoreBytesPerTable = (double)FolderBytes(Path.Combine(large, "blocks"), _ => true) / blocks,
            };
        }
        finally
        {
            if (keep)
            {
                progress?.Invoke($"kept {folder}");
            }
            else
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    // N distinct one-row tables (rows of the mixed table that content-defined chunking is measured on),
    // put by as many threads as keep group commits full, every third unpinned (gc's to remove);
    // returns an even sample of the pinned ones' CIDs (at most about SampledCids: the benchmark
    // holds no list as large as the repository), so the gets after gc find every one.
    private static List<Cid> Build(string path, int count)
    {
        int stride = 3 * Math.Max(1, count / (3 * SampledCids));
        var cids = new Cid[(count + stride - 1) / stride];
        using var repository = ContentRepository.Open(path);
        // Threads of their own: each put blocks on its group's fsync, and the pool would add threads too slowly to fill the groups.
        const int Writers = 64;
        var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            for (int i = w; i < count; i += Writers)
            {
                using var batch = MixedTable.Build(43, i, 1);
                var cid = repository.PutBatch(batch, new PutOptions { Pin = !IsUnpinned(i) }).Cid;
                if (i % stride == 0)
                {
                    cids[i / stride] = cid;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return [.. cids];
    }

    // Every third table is put unpinned; the sample (multiples of 3) holds none of them.
    private static bool IsUnpinned(int i) => i % 3 == 2;

    // The count in gc's summary line ("gc: removed N records and …").
    private static long RemovedRecords(string said)
    {
        const string Prefix = "gc: removed ";
        foreach (string line in said.Split('\n'))
        {
            if (line.StartsWith(Prefix, StringComparison.Ordinal)
                && long.TryParse(line.AsSpan(Prefix.Length, line.IndexOf(' ', Prefix.Length) - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out long removed))
            {
                return removed;
            }
        }

        throw new BenchmarkException($"gc printed no summary: {said}");
    }

    private static (double OpenMilliseconds, double GetMicrosecondsP50) OpenAndGet(string path, List<Cid> cids)
    {
        var random = new Random(43);
        var started = Stopwatch.GetTimestamp();
        using var repository = ContentRepository.Open(path);
        repository.WriteTable(cids[random.Next(cids.Count)], Stream.Null);
        double open = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var times = new double[InProcessGets];
        for (int i = 0; i < times.Length; i++)
        {
            var at = Stopwatch.GetTimestamp();
            repository.WriteTable(cids[random.Next(cids.Count)], Stream.Null);
            times[i] = Stopwatch.GetElapsedTime(at).TotalMicroseconds;
        }

        return (open, Median(times));
    }

    // Interleaved, so both sides see the same machine load.
    private static (double Large, double Small) CliGets(Func<IEnumerable<string>, ProcessStartInfo> self, string large, List<Cid> largeCids, string small, List<Cid> smallCids)
    {
        var random = new Random(7);
        var largeTimes = new double[CliRuns];
        var smallTimes = new double[CliRuns];
        for (int i = 0; i < CliRuns; i++)
        {
            largeTimes[i] = TimeProcess(self(["get", "--repo", large, largeCids[random.Next(largeCids.Count)].ToString(), "-o", "/dev/null"]));
            smallTimes[i] = TimeProcess(self(["get", "--repo", small, smallCids[random.Next(smallCids.Count)].ToString(), "-o", "/dev/null"]));
        }

        return (Median(largeTimes), Median(smallTimes));
    }

    private static double TimeProcess(ProcessStartInfo start)
    {
        var started = Stopwatch.GetTimestamp();
        var outcome = ExternalTool.Run(start);
        double took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return outcome.ExitCode == 0 ? took : throw new BenchmarkException($"{string.Join(' ', start.ArgumentList)} exited {outcome.ExitCode}: {outcome.Error}");
    }

    private sealed record NodeFigures(double ReadyMilliseconds, double IdleRssMiB, double ListSeconds, long Listed, double RssGrowthMiB, double AnonymousRssGrowthMiB);

    // Starts a node on the repository, waits for its "serving" line, and lists every flight.
    private static NodeFigures Serve(Func<IEnumerable<string>, ProcessStartInfo> self, string repository, bool list)
    {
        var start = self(["serve", "--repo", repository, "--listen", "127.0.0.1:0", "--no-shm"]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(start) ?? throw new BenchmarkException($"cannot start {start.FileName}");
        try
        {
            process.ErrorDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("serving ", StringComparison.Ordinal))
            {
            }

            double ready = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (line is null)
            {
                throw new BenchmarkException("the node ended before it was serving");
            }

            double idle = ProcessMemory.RssMiB(process.Id);
            double idleAnonymous = ProcessMemory.AnonymousRssMiB(process.Id);
            if (!list)
            {
                return new NodeFigures(ready, idle, 0, 0, 0, 0);
            }

            string location = line["serving ".Length..].Trim();
            using var client = new FlightClient(location);
            var at = Stopwatch.GetTimestamp();
            long listed = 0;
            var flights = client.ListAsync().GetAsyncEnumerator();
            try
            {
                while (flights.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                    listed++;
                }
            }
            finally
            {
                flights.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            double seconds = Stopwatch.GetElapsedTime(at).TotalSeconds;
            return new NodeFigures(ready, idle, seconds, listed, ProcessMemory.PeakRssMiB(process.Id) - idle, ProcessMemory.AnonymousRssMiB(process.Id) - idleAnonymous);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    // A process run to its end: seconds, its peak RSS (the kernel's count for the child, through
    // python3's getrusage) and the last lines it printed (a listing's millions of lines are read and dropped).
    private static (double Seconds, double PeakRssMiB, string LastLines) PeakRss(ProcessStartInfo start)
    {
        var wrapped = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        wrapped.ArgumentList.Add("-c");
        wrapped.ArgumentList.Add("import collections, resource, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE); tail = collections.deque(p.stdout, maxlen=8); rc = p.wait(); print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.stdout.write(b''.join(tail).decode())");
        wrapped.ArgumentList.Add(start.FileName);
        foreach (string argument in start.ArgumentList)
        {
            wrapped.ArgumentList.Add(argument);
        }

        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(wrapped) ?? throw new BenchmarkException("cannot start python3 (it measures a child's peak RSS)");
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        int firstLine = output.IndexOf('\n', StringComparison.Ordinal);
        string[] fields = (firstLine < 0 ? output : output[..firstLine]).Trim().Split(' ');
        if (process.ExitCode != 0 || fields.Length != 2 || fields[0] != "0")
        {
            throw new BenchmarkException($"{string.Join(' ', start.ArgumentList)} failed: {output}{errors}");
        }

        return (seconds, long.Parse(fields[1], CultureInfo.InvariantCulture) / 1024.0, firstLine < 0 ? string.Empty : output[(firstLine + 1)..]);
    }

    private static long FolderBytes(string folder, Func<string, bool> include) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(include).Sum(f => new FileInfo(f).Length);

    private static double Median(double[] values)
    {
        Array.Sort(values);
        return values[values.Length / 2];
    }
}
