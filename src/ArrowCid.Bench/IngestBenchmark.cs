using System.Diagnostics;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;

namespace ArrowCid.Bench;

/// <summary>What <see cref="IngestBenchmark.RunAsync"/> measured.</summary>
public sealed record IngestBenchmarkResult
{
    /// <summary>The folder measured in (its disk is what the fsyncs hit).</summary>
    public required string Folder { get; init; }

    /// <summary>
    /// How long the one-client measure first ran untimed: at least as long as it is timed, then on
    /// until a second passed in which the JIT compiled no method (the put path's tiers done), at most
    /// <see cref="IngestBenchmark.MaxWarmUpSeconds"/>.
    /// </summary>
    public required double WarmUpSeconds1 { get; init; }

    /// <summary>As <see cref="WarmUpSeconds1"/>, for the 16-client measure (its own paths: DoPut's client, server and group commit).</summary>
    public required double WarmUpSeconds16 { get; init; }

    /// <summary>Methods the JIT compiled while the one-client measure was timed: near zero when its warm-up reached the steady state.</summary>
    public required long JitMethodsInMeasure1 { get; init; }

    /// <summary>Methods the JIT compiled while the 16-client measure was timed.</summary>
    public required long JitMethodsInMeasure16 { get; init; }

    /// <summary>Canonical bytes of each table put (one block each).</summary>
    public required int TableBytes { get; init; }

    /// <summary>Single-threaded appends of <see cref="TableBytes"/> bytes, each followed by fsync, per second: the disk's limit.</summary>
    public required double FsyncAppendsPerSecond { get; init; }

    /// <summary>Durable puts of distinct tables per second, one client in sequence (<see cref="ContentRepository.PutStream(ArrowCid.Arrow.Types.Schema, IEnumerable{RecordBatch}, PutOptions?, IPutPublisher?)"/>).</summary>
    public required double PutsPerSecond1 { get; init; }

    /// <summary>The process's CPU time (all threads, user and system) per put of <see cref="PutsPerSecond1"/>, in microseconds: a put's cost apart from waiting for the disk.</summary>
    public required double CpuMicrosecondsPerPut1 { get; init; }

    /// <summary>Durable puts of distinct tables per second, <see cref="IngestBenchmark.Clients"/> concurrent DoPut clients against one node.</summary>
    public required double PutsPerSecond16 { get; init; }

    /// <summary>Disk bytes of the block store (files rounded up to 4 KiB, packs as they are) over the bytes of the blocks it holds.</summary>
    public required double SpaceRatio { get; init; }

    /// <summary>The registry database's bytes per block (not part of <see cref="SpaceRatio"/>).</summary>
    public required double RegistryBytesPerBlock { get; init; }

    /// <summary>Puts made by the 16 clients, and the group commits they took (puts per commit is the batching).</summary>
    public required long Puts16 { get; init; }

    /// <summary>Group commits the node made for <see cref="Puts16"/>.</summary>
    public required long Commits16 { get; init; }

    /// <summary>The mean time one of <see cref="Commits16"/> took (the log entry and the pack's sync; the registry's rows are applied after), in milliseconds.</summary>
    public required double CommitMillisecondsPerGroup16 { get; init; }

    /// <summary>The longest of <see cref="Commits16"/>, in milliseconds: a stall that every put in flight waited for.</summary>
    public required double LongestCommitMilliseconds16 { get; init; }

    /// <summary>
    /// The process's CPU time (every thread: the 16 clients, the node's DoPut handling and the
    /// repository's puts, all in this process) over <see cref="Puts16"/>, in microseconds per put.
    /// </summary>
    public required double CpuMicrosecondsPerPut16 { get; init; }

    /// <summary>Garbage collections (of any generation) while the 16-client measure was timed.</summary>
    public required int Collections16 { get; init; }

    /// <summary>
    /// The share of the 16-client measure's wall time that the runtime held every managed thread
    /// paused for garbage collection: time in which at most the collector's threads ran.
    /// </summary>
    public required double GcPauseShare16 { get; init; }

    /// <summary><c>puts_per_s_16</c> ≥ 5,000 and ≥ 1.0× <c>fsync_appends_per_s</c>.</summary>
    public bool Concurrent16GoalMet => PutsPerSecond16 >= 5000 && PutsPerSecond16 >= FsyncAppendsPerSecond;

    /// <summary><c>puts_per_s_1</c> ≥ 0.5× <c>fsync_appends_per_s</c>.</summary>
    public bool SingleGoalMet => PutsPerSecond1 >= 0.5 * FsyncAppendsPerSecond;

    /// <summary><c>space_ratio</c> ≤ 1.2.</summary>
    public bool SpaceGoalMet => SpaceRatio <= 1.2;
}

/// <summary>
/// Durable ingestion of many small tables (issue 16): the disk's fsync limit, then puts of distinct
/// one-block tables of about 1 KiB — one client in sequence, then 16 concurrent DoPut clients
/// against a node — and the space the blocks take. Everything runs in one folder on the disk being
/// measured (not /dev/shm, where fsync does nothing).
/// </summary>
public static class IngestBenchmark
{
    /// <summary>Concurrent DoPut clients.</summary>
    public const int Clients = 16;

    /// <summary>About how large each table's one block is.</summary>
    public const int TargetTableBytes = 1024;

    /// <summary>The longest a put measure's warm-up runs while the JIT is still compiling (less for runs of under 3 seconds a measure).</summary>
    public const double MaxWarmUpSeconds = 30;

    /// <summary>Runs every measure for about <paramref name="seconds"/> each, in a fresh folder under <paramref name="parent"/> (removed afterwards).</summary>
    /// <param name="parent">A folder on the disk to measure.</param>
    /// <param name="seconds">How long each measure runs.</param>
    /// <returns>The figures.</returns>
    public static async Task<IngestBenchmarkResult> RunAsync(string parent, double seconds = 3)
    {
        ArgumentException.ThrowIfNullOrEmpty(parent);
        string folder = Directory.CreateDirectory(Path.Combine(parent, $"ingest-bench-{Environment.ProcessId}-{Guid.NewGuid():N}")).FullName;
        try
        {
            int rows = RowsForTargetBytes();
            int tableBytes;
            using (var probe = Table(0, rows))
            {
                tableBytes = (int)ContentRepository.ComputeCid(probe).Bytes;
            }

            double fsyncs = MeasureFsyncAppends(Path.Combine(folder, "appends"), tableBytes, seconds);

            long next = 1;
            double puts1;
            double cpuPerPut1;
            double spaceRatio;
            double registryPerBlock;
            double warmUp1;
            long jitInMeasure1;
            string single = Path.Combine(folder, "single");
            using (var content = ContentRepository.Open(single))
            {
                // Puts of distinct tables, one after another, for a while; how many.
                long PutFor(double forSeconds)
                {
                    long made = 0;
                    var slice = Stopwatch.StartNew();
                    while (slice.Elapsed.TotalSeconds < forSeconds)
                    {
                        using var table = Table(next++, rows);
                        content.PutStream(MixedTable.Schema, [table]);
                        made++;
                    }

                    return made;
                }

                // Warm-up (JIT tiers, first pack, registry pages), not timed.
                warmUp1 = await WarmUpAsync(seconds, forSeconds =>
                {
                    PutFor(forSeconds);
                    return Task.CompletedTask;
                }).ConfigureAwait(false);

                long compiledBefore = JitWatch.CompiledMethods;
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                long count = PutFor(seconds);
                jitInMeasure1 = JitWatch.CompiledMethods - compiledBefore;
                puts1 = count / clock.Elapsed.TotalSeconds;
                cpuPerPut1 = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / count;
                long blockBytes = content.Repository.Registry.List().Sum(r => r.Bytes);
                long blockCount = content.Repository.Registry.ListCids().Count;
                spaceRatio = DiskBytes(Path.Combine(single, LocalRepository.BlocksFolderName)) / (double)blockBytes;
                registryPerBlock = RegistryBytes(single) / (double)blockCount;
            }

            var (puts16, done16, commits16, commitMs16, longestCommitMs16, cpuPerPut16, warmUp16, jitInMeasure16, collections16, pauseShare16) = await MeasureConcurrentDoPutAsync(Path.Combine(folder, "node"), rows, seconds, next).ConfigureAwait(false);
            return new IngestBenchmarkResult
            {
                Folder = folder,
                WarmUpSeconds1 = warmUp1,
                WarmUpSeconds16 = warmUp16,
                JitMethodsInMeasure1 = jitInMeasure1,
                JitMethodsInMeasure16 = jitInMeasure16,
                TableBytes = tableBytes,
                FsyncAppendsPerSecond = fsyncs,
                PutsPerSecond1 = puts1,
                CpuMicrosecondsPerPut1 = cpuPerPut1,
                PutsPerSecond16 = puts16,
                SpaceRatio = spaceRatio,
                RegistryBytesPerBlock = registryPerBlock,
                Puts16 = done16,
                Commits16 = commits16,
                CommitMillisecondsPerGroup16 = commitMs16,
                LongestCommitMilliseconds16 = longestCommitMs16,
                CpuMicrosecondsPerPut16 = cpuPerPut16,
                Collections16 = collections16,
                GcPauseShare16 = pauseShare16,
            };
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // The disk's limit: one thread appending a table's worth of bytes and fsyncing after each.
    private static double MeasureFsyncAppends(string path, int bytes, double seconds)
    {
        byte[] payload = new byte[bytes];
        Random.Shared.NextBytes(payload);
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        for (int i = 0; i < 50; i++)
        {
            file.Write(payload);
            file.Flush(flushToDisk: true);
        }

        long count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            file.Write(payload);
            file.Flush(flushToDisk: true);
            count++;
        }

        return count / clock.Elapsed.TotalSeconds;
    }

    // Runs the work untimed for `seconds`, then a second at a time until a second passes in which the
    // JIT compiles no method, or the cap has gone by (MaxWarmUpSeconds; ten times `seconds` for a
    // short run, so a quick check stays quick); returns how long it ran.
    private static async Task<double> WarmUpAsync(double seconds, Func<double, Task> runFor)
    {
        var clock = Stopwatch.StartNew();
        double cap = Math.Max(seconds, Math.Min(MaxWarmUpSeconds, 10 * seconds));
        var jit = new JitWatch();
        await runFor(seconds).ConfigureAwait(false);
        while (!jit.NothingCompiledSinceLastLook() && clock.Elapsed.TotalSeconds < cap)
        {
            await runFor(Math.Min(1, cap - clock.Elapsed.TotalSeconds)).ConfigureAwait(false);
        }

        return clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double PerSecond, long Puts, long Commits, double CommitMilliseconds, double LongestCommitMilliseconds, double CpuMicrosecondsPerPut, double WarmUpSeconds, long JitMethodsInMeasure, int Collections, double PauseShare)> MeasureConcurrentDoPutAsync(string repository, int rows, double seconds, long firstTable)
    {
        using var content = ContentRepository.Open(repository);
        await using var node = await FlightNode.StartAsync(content, new FlightNodeOptions()).ConfigureAwait(false);
        var clients = Enumerable.Range(0, Clients).Select(_ => new FlightClient(node.Location)).ToList();
        try
        {
            long next = firstTable;

            // Every client putting distinct tables in a loop for a while, each at least `leastEach`
            // times; how many puts they made in all.
            async Task<long> PutAllFor(double forSeconds, int leastEach)
            {
                long made = 0;
                var slice = Stopwatch.StartNew();
                await Task.WhenAll(clients.Select(client => Task.Run(async () =>
                {
                    for (int i = 0; i < leastEach || slice.Elapsed.TotalSeconds < forSeconds; i++)
                    {
                        using var table = Table(Interlocked.Increment(ref next), rows);
                        await client.PutAsync(MixedTable.Schema, [table]).ConfigureAwait(false);
                        Interlocked.Increment(ref made);
                    }
                }))).ConfigureAwait(false);
                return made;
            }

            // Warm-up: every client's connection and the node's DoPut path (JIT tiers included).
            double warmUp = await WarmUpAsync(seconds, forSeconds => PutAllFor(forSeconds, leastEach: 20)).ConfigureAwait(false);

            long commitsBefore = content.Repository.CommitGroups;
            TimeSpan commitTimeBefore = content.Repository.CommitTime;
            _ = content.Repository.TakeLongestCommit();
            long compiledBefore = JitWatch.CompiledMethods;
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            int collectionsBefore = GC.CollectionCount(0);
            TimeSpan pausedBefore = GC.GetTotalPauseDuration();
            var clock = Stopwatch.StartNew();
            long puts = await PutAllFor(seconds, leastEach: 0).ConfigureAwait(false);
            double elapsed = clock.Elapsed.TotalSeconds;
            double cpuMicroseconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds;
            int collections = GC.CollectionCount(0) - collectionsBefore;
            double pauseShare = (GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds / elapsed;
            long jitInMeasure = JitWatch.CompiledMethods - compiledBefore;
            long commits = content.Repository.CommitGroups - commitsBefore;
            double commitMilliseconds = (content.Repository.CommitTime - commitTimeBefore).TotalMilliseconds / Math.Max(1, commits);
            double longestCommitMilliseconds = content.Repository.TakeLongestCommit().TotalMilliseconds;
            return (puts / elapsed, puts, commits, commitMilliseconds, longestCommitMilliseconds, cpuMicroseconds / Math.Max(1, puts), warmUp, jitInMeasure, collections, pauseShare);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    // A distinct table: the mixed table's rows from a different seed each time.
    private static RecordBatch Table(long seed, int rows) => MixedTable.Build((ulong)seed, 0, rows);

    // The number of mixed-table rows whose canonical block comes closest to the target size.
    private static int RowsForTargetBytes()
    {
        int best = 1;
        long bestDistance = long.MaxValue;
        for (int rows = 1; rows <= 64; rows++)
        {
            using var table = Table(0, rows);
            long distance = Math.Abs(CanonicalEncoder.ComputeCidAndLength(table).Length - TargetTableBytes);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (rows, distance);
            }
        }

        return best;
    }

    // Every file's length rounded up to the file system's 4 KiB allocation unit.
    private static long DiskBytes(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => (new FileInfo(f).Length + 4095) / 4096 * 4096);

    private static long RegistryBytes(string repository) =>
        Directory.EnumerateFiles(repository, LocalRepository.RegistryFileName + "*").Sum(f => new FileInfo(f).Length);
}
