using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using ArrowCid.Content.Canonical;

namespace ArrowCid.SharedMemory.Bench;

/// <summary>
/// <c>arrowcid bench shm</c>: measures the store across two processes (this one publishes, a peer
/// process started by the caller runs <see cref="ShmBenchmarkPeer"/>) in a scratch store that is
/// deleted afterwards: 1 KiB round trips, notification latency, zero-copy attach of 1 GiB against
/// 1 KiB, and publish throughput of 256 MiB batches against SHA-256 of the same bytes.
/// </summary>
public static class ShmBenchmark
{
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromMinutes(5);

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
        var (roundTrips, elapsed) = RoundTrips(settings.RoundTrips, store, answers);
        var (p50, p99) = Latency(settings.LatencySamples, store, answers);
        var small = Attach(store, BenchBatches.Small(-1), answers);
        var large = Attach(store, BenchBatches.OfSize(settings.LargeAttachBytes, -2), answers);
        var (publishGbps, shaGbps, publishBytes) = PublishThroughput(settings, store);
        store.Publish(BenchBatches.Small(-3), Tags("end"));
        return new ShmBenchmarkResult
        {
            RoundTrips = roundTrips,
            RoundTripsPerSecond1KiB = roundTrips / elapsed.TotalSeconds,
            NotifyP50Microseconds = p50,
            NotifyP99Microseconds = p99,
            AttachSmallBytes = small.Bytes,
            AttachSmallMicroseconds = small.ZeroCopy,
            AttachLargeBytes = large.Bytes,
            AttachLargeMicroseconds = large.ZeroCopy,
            AttachLargeVerifiedMicroseconds = large.Verified,
            PublishGbps = publishGbps,
            Sha256Gbps = shaGbps,
            PublishBatchBytes = publishBytes,
        };
    }

    private static (int Count, TimeSpan Elapsed) RoundTrips(int count, ShmStore store, BlockingCollection<string> answers)
    {
        // Batches are built before the clock starts: the round trip is publish (encode, hash,
        // write, link, notify) here and wake, attach, verify, release there.
        var batches = Enumerable.Range(0, count + 500).Select(i => BenchBatches.Small(i)).ToList();
        var warmup = Tags("warmup");
        for (int i = 0; i < 500; i++)
        {
            store.Publish(batches[count + i], warmup);
        }

        var tags = Tags("roundtrip");
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count - 1; i++)
        {
            store.Publish(batches[i], tags);
        }

        store.Publish(batches[count - 1], new Dictionary<string, string>(tags) { ["last"] = "1" });
        long done = long.Parse(Expect(answers, "done")[1], CultureInfo.InvariantCulture);
        return (count, Stopwatch.GetElapsedTime(start, done));
    }

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

    private static (long Bytes, double ZeroCopy, double Verified) Attach(ShmStore store, Arrow.Arrays.RecordBatch batch, BlockingCollection<string> answers)
    {
        var published = store.Publish(batch, Tags("attach"));
        var answer = Expect(answers, "attach");
        store.Remove(published.Cid);
        return (published.Bytes, double.Parse(answer[2], CultureInfo.InvariantCulture), double.Parse(answer[3], CultureInfo.InvariantCulture));
    }

    private static (double PublishGbps, double ShaGbps, long Bytes) PublishThroughput(ShmBenchmarkSettings settings, ShmStore store)
    {
        var original = BenchBatches.OfSize(settings.PublishBatchBytes, 7);
        byte[] canonical = CanonicalEncoder.Encode(original);
        double bestSha = double.MaxValue;
        double bestPublish = double.MaxValue;
        for (int run = 0; run < settings.PublishRuns; run++)
        {
            long start = Stopwatch.GetTimestamp();
            _ = SHA256.HashData(canonical);
            bestSha = Math.Min(bestSha, Stopwatch.GetElapsedTime(start).TotalSeconds);

            // A new CID each run (one value changed), built before the clock starts.
            var batch = BenchBatches.Variant(original, 1_000 + run);
            start = Stopwatch.GetTimestamp();
            var published = store.Publish(batch, Tags("publish"));
            bestPublish = Math.Min(bestPublish, Stopwatch.GetElapsedTime(start).TotalSeconds);
            store.Remove(published.Cid);
        }

        return (canonical.Length / bestPublish / 1e9, canonical.Length / bestSha / 1e9, canonical.Length);
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
