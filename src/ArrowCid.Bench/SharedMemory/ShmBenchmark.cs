using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ArrowCid.Content.Canonical;
using ArrowCid.SharedMemory;

namespace ArrowCid.Bench.SharedMemory;

/// <summary>
/// <c>arrowcid bench shm</c>: measures the store across two processes (this one publishes, a peer
/// process started by the caller runs <see cref="ShmBenchmarkPeer"/>) in a scratch store that is
/// deleted afterwards: 1 KiB round trips, notification latency, zero-copy attach of 1 GiB against
/// 1 KiB, and publish throughput of 256 MiB batches against SHA-256 of the same bytes.
/// </summary>
public static class ShmBenchmark
{
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan WarmupPause = TimeSpan.FromMilliseconds(150);
    private const int MinWarmupRounds = 3;
    private const int MaxWarmupRounds = 40;
    private const int WarmupPerRound = 1_000;

    /// <summary>Runs the benchmark; <paramref name="peerStart"/> makes the start info of the peer process given its arguments.</summary>
    public static ShmBenchmarkResult Run(ShmBenchmarkSettings settings, Func<IReadOnlyList<string>, ProcessStartInfo> peerStart)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(peerStart);
        var options = new ShmStoreOptions
        {
            BaseDirectory = settings.BaseDirectory,
            StoreName = "bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        };
        string directory = options.ResolveDirectory();
        try
        {
            using var store = ShmStore.Open(options);
            var start = peerStart(["--shm-dir", Path.GetDirectoryName(directory)!, "--store", options.StoreName]);
            start.RedirectStandardOutput = true;
            start.UseShellExecute = false;
            using var peer = Process.Start(start) ?? throw new ShmException("the benchmark peer did not start");
            try
            {
                var answers = new BlockingCollection<string>();
                peer.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                    {
                        answers.Add(e.Data);
                    }
                };
                peer.BeginOutputReadLine();
                Expect(answers, "ready");
                return Measure(settings, store, answers);
            }
            finally
            {
                if (!peer.HasExited)
                {
                    peer.Kill();
                }
            }
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static ShmBenchmarkResult Measure(ShmBenchmarkSettings settings, ShmStore store, BlockingCollection<string> answers)
    {
        var roundTrips = MedianRoundTrips(settings, store, answers);
        var (p50, p99) = Latency(settings.LatencySamples, store, answers);
        AttachFigures small;
        // Zero copy means attach does not grow with size: compare like with like, a 1 KiB segment
        // file against a 1 GiB one (both open, flock, map; the arena path costs no mapping at all).
        using (var files = ShmStore.Open(store.Options with { ArenaSlotBytes = 0 }))
        {
            small = Attach(files, BenchBatches.Small(-1), answers);
        }

        var large = Attach(store, BenchBatches.OfSize(settings.LargeAttachBytes, -2), answers);
        var (publishGbps, shaGbps, shaOneThreadGbps, publishBytes) = PublishThroughput(settings, store);
        store.Publish(BenchBatches.Small(-3), Tags("end"));
        return new ShmBenchmarkResult
        {
            RoundTrips = roundTrips.Count,
            RoundTripsPerSecond1KiB = roundTrips.Count / roundTrips.Elapsed.TotalSeconds,
            PublisherCpuMicrosecondsPerRoundTrip = roundTrips.PublisherCpuMicroseconds,
            PeerCpuMicrosecondsPerRoundTrip = roundTrips.PeerCpuMicroseconds,
            NotifyP50Microseconds = p50,
            NotifyP99Microseconds = p99,
            AttachSmallBytes = small.Bytes,
            AttachSmallMicroseconds = small.AttachMicroseconds,
            AttachLargeBytes = large.Bytes,
            AttachLargeMicroseconds = large.AttachMicroseconds,
            AttachLargeChunks = large.Chunks,
            AttachReadGbps = large.ReadGbps,
            AttachReadVerifiedGbps = large.ReadVerifiedGbps,
            PublishGbps = publishGbps,
            Sha256Gbps = shaGbps,
            Sha256OneThreadGbps = shaOneThreadGbps,
            PublishBatchBytes = publishBytes,
        };
    }

    // Each figure the median of the runs (the peer has released every table of a run when it
    // answers, so the run's tables are removed and the next publishes into the same free slots).
    private static RoundTripFigures MedianRoundTrips(ShmBenchmarkSettings settings, ShmStore store, BlockingCollection<string> answers)
    {
        WarmUp(store, answers);
        var runs = new List<RoundTripFigures>();
        for (int run = 0; run < Math.Max(1, settings.RoundTripRuns); run++)
        {
            var (figures, published) = RoundTrips(settings.RoundTrips, (long)run * settings.RoundTrips, store, answers);
            runs.Add(figures);
            foreach (var cid in published)
            {
                store.Remove(cid);
            }
        }

        double Median(Func<RoundTripFigures, double> figure) => BenchClock.Median([.. runs.Select(figure)]);
        return new RoundTripFigures(runs[0].Count, TimeSpan.FromSeconds(Median(r => r.Elapsed.TotalSeconds)), Median(r => r.PublisherCpuMicroseconds), Median(r => r.PeerCpuMicroseconds));
    }

    private static (RoundTripFigures Figures, List<Content.Multiformats.Cid> Published) RoundTrips(int count, long firstSeed, ShmStore store, BlockingCollection<string> answers)
    {
        // Batches are built before the clock starts: the round trip is publish (encode, hash,
        // write, link, notify) here and wake, attach, verify, release there.
        var batches = Enumerable.Range(0, count).Select(i => BenchBatches.Small(firstSeed + i)).ToList();
        var published = new List<Content.Multiformats.Cid>(count);
        var tags = Tags("roundtrip");
        var last = new Dictionary<string, string>(tags) { ["last"] = "1" };
        // The batches (some 24 MB) were made in the youngest generation: left there, the first
        // collection inside the timed loop copied them all (one collection, a 4-6 ms pause: a fifth
        // of a µs on every round trip, charged to publishing). They are moved out of it first.
        GC.Collect();
        var cpuStart = ProcessCpu();
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count - 1; i++)
        {
            published.Add(store.Publish(batches[i], tags).Cid);
        }

        published.Add(store.Publish(batches[count - 1], last).Cid);
        var cpu = ProcessCpu() - cpuStart;
        var done = Expect(answers, "done");
        var figures = new RoundTripFigures(
            count,
            Stopwatch.GetElapsedTime(start, long.Parse(done[1], CultureInfo.InvariantCulture)),
            cpu.TotalMicroseconds / count,
            double.Parse(done[2], CultureInfo.InvariantCulture) / count);
        return (figures, published);
    }

    // Steady state, not start-up, is measured: both processes run the whole round trip (the peer
    // attaches warm-up notices too) in rounds with pauses, until a round and the pause after it
    // made neither process compile any method — the JIT has then moved the hot paths through its
    // tiers (instrumented, then optimised code, compiled in the background after a pause) and no
    // background compilation competes with the measurement for the cores. The warm-up batches are
    // removed afterwards to leave their slots free.
    private static void WarmUp(ShmStore store, BlockingCollection<string> answers)
    {
        var warmup = Tags("warmup");
        var published = new List<Content.Multiformats.Cid>();
        var jit = new JitWatch();
        long peerBefore = -1;
        for (int round = 0; round < MaxWarmupRounds; round++)
        {
            var batches = Enumerable.Range(0, WarmupPerRound).Select(i => BenchBatches.Small(-1_000_000L * (round + 1) - i)).ToList();
            foreach (var batch in batches)
            {
                published.Add(store.Publish(batch, warmup).Cid);
            }

            published.Add(store.Publish(BenchBatches.Small(-999 - round), new Dictionary<string, string>(warmup) { ["last"] = "1" }).Cid);
            long peer = long.Parse(Expect(answers, "warm")[1], CultureInfo.InvariantCulture);
            Thread.Sleep(WarmupPause);
            bool ownIdle = jit.NothingCompiledSinceLastLook();
            if (round >= MinWarmupRounds && ownIdle && peer == peerBefore)
            {
                break;
            }

            peerBefore = peer;
        }

        foreach (var cid in published)
        {
            store.Remove(cid);
        }
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private sealed record RoundTripFigures(int Count, TimeSpan Elapsed, double PublisherCpuMicroseconds, double PeerCpuMicroseconds);

    private static (double P50, double P99) Latency(int samples, ShmStore store, BlockingCollection<string> answers)
    {
        var batches = Enumerable.Range(0, samples).Select(i => BenchBatches.Small(1_000_000 + i)).ToList();
        var tags = Tags("latency");
        for (int i = 0; i < samples; i++)
        {
            // A pause first, so the peer is asleep on the futex and each sample is a real wake-up.
            Thread.Sleep(1);
            store.Publish(batches[i], i == samples - 1 ? new Dictionary<string, string>(tags) { ["last"] = "1" } : tags);
        }

        var answer = Expect(answers, "latency");
        return (double.Parse(answer[1], CultureInfo.InvariantCulture), double.Parse(answer[2], CultureInfo.InvariantCulture));
    }

    private static AttachFigures Attach(ShmStore store, Arrow.Arrays.RecordBatch batch, BlockingCollection<string> answers)
    {
        var published = store.Publish(batch, Tags("attach"));
        var answer = Expect(answers, "attach");
        store.RemoveTable(published.Cid);
        double Field(int i) => double.Parse(answer[i], CultureInfo.InvariantCulture);
        return new AttachFigures(published.Bytes, Field(2), published.Bytes / Field(3) / 1e3, published.Bytes / Field(4) / 1e3, int.Parse(answer[5], CultureInfo.InvariantCulture));
    }

    /// <summary>What the peer measured of one table: the attach call (µs), attach and read in full, trusted and verified (GB/s), and its chunks.</summary>
    private sealed record AttachFigures(long Bytes, double AttachMicroseconds, double ReadGbps, double ReadVerifiedGbps, int Chunks);

    // A large publish prepares and hashes its chunks on every core, so its reference is SHA-256
    // on as many threads (issue 69); one thread's is kept as context.
    private static (double PublishGbps, double ShaGbps, double ShaOneThreadGbps, long Bytes) PublishThroughput(ShmBenchmarkSettings settings, ShmStore store)
    {
        var original = BenchBatches.OfSize(settings.PublishBatchBytes, 7);
        byte[] canonical = CanonicalEncoder.Encode(original);
        double bestSha = double.MaxValue;
        double bestShaOneThread = double.MaxValue;
        double bestPublish = double.MaxValue;
        for (int run = 0; run < settings.PublishRuns; run++)
        {
            bestSha = Math.Min(bestSha, BenchClock.Time(() => BenchClock.Sha256OnThreads(canonical, canonical.Length, Environment.ProcessorCount)));
            bestShaOneThread = Math.Min(bestShaOneThread, BenchClock.Time(() => SHA256.HashData(canonical)));

            // A new CID each run (one value changed), built before the clock starts.
            var batch = BenchBatches.Variant(original, 1_000 + run);
            long start = Stopwatch.GetTimestamp();
            var published = store.Publish(batch, Tags("publish"));
            bestPublish = Math.Min(bestPublish, Stopwatch.GetElapsedTime(start).TotalSeconds);
            store.RemoveTable(published.Cid);
        }

        return (canonical.Length / bestPublish / 1e9, canonical.Length / bestSha / 1e9, canonical.Length / bestShaOneThread / 1e9, canonical.Length);
    }

    private static Dictionary<string, string> Tags(string phase) => new(StringComparer.Ordinal) { ["phase"] = phase };

    private static string[] Expect(BlockingCollection<string> answers, string keyword)
    {
        while (answers.TryTake(out var line, AnswerLimit))
        {
            string[] fields = line.Split(' ');
            if (fields[0] == keyword)
            {
                return fields;
            }
        }

        throw new ShmException($"the benchmark peer did not answer '{keyword}' within {AnswerLimit}");
    }
}
