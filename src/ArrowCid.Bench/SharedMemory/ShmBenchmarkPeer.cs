using System.Diagnostics;
using System.Globalization;
using ArrowCid.SharedMemory;

namespace ArrowCid.Bench.SharedMemory;

/// <summary>
/// The other process of <c>arrowcid bench shm</c>: follows the store's feed and answers on its
/// standard output. Notices tagged <c>phase=warmup</c> or <c>phase=roundtrip</c> are attached (verified in full) and
/// released (after the last of each warm-up round it prints <c>warm &lt;methods compiled so far&gt;</c>), and after the last one it prints <c>done &lt;timestamp&gt;</c>; <c>phase=latency</c>
/// notices are timed from the publisher's monotonic timestamp to the wake-up here;
/// <c>phase=attach</c> notices (tables: one segment, or the chunks of a large one) are attached
/// repeatedly without re-hashing (the zero-copy path) and with full verification, and the medians
/// printed with the chunk count.
/// </summary>
public static class ShmBenchmarkPeer
{
    /// <summary>Runs until a notice tagged <c>phase=end</c> arrives.</summary>
    public static void Run(ShmStoreOptions options, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var store = ShmStore.Open(options);
        using var trusted = ShmStore.Open(options with { Verification = SegmentVerification.TrustOwnSegments });
        var subscription = store.Subscribe(store.PublishedSequence);
        output.WriteLine("ready");
        output.Flush();
        var latencies = new List<double>();
        TimeSpan? roundTripCpuStart = null;
        while (subscription.Next(TimeSpan.FromMinutes(5)) is { } notice)
        {
            long woke = Stopwatch.GetTimestamp();
            switch (notice.Tags.GetValueOrDefault("phase"))
            {
                case "warmup":
                    store.Attach(notice.Cid).Dispose();
                    if (notice.Tags.ContainsKey("last"))
                    {
                        Answer(output, $"warm {System.Runtime.JitInfo.GetCompiledMethodCount()}");
                    }

                    break;
                case "roundtrip":
                    roundTripCpuStart ??= ProcessCpu();
                    store.Attach(notice.Cid).Dispose();
                    if (notice.Tags.ContainsKey("last"))
                    {
                        long done = Stopwatch.GetTimestamp();
                        Answer(output, $"done {done} {(ProcessCpu() - roundTripCpuStart.Value).TotalMicroseconds}");
                    }

                    break;
                case "latency":
                    latencies.Add(Stopwatch.GetElapsedTime(notice.PublishedTimestamp, woke).TotalMicroseconds);
                    if (notice.Tags.ContainsKey("last"))
                    {
                        latencies.Sort();
                        Answer(output, $"latency {Percentile(latencies, 0.50)} {Percentile(latencies, 0.99)} {latencies.Count}");
                    }

                    break;
                case "attach":
                    // A large batch is published as a table of <= 1 MiB chunks: attached as its chunks (manifest read and checked each time).
                    int chunks = trusted.OpenTable(notice.Cid).Chunks.Count;
                    double zeroCopy = MedianMicroseconds(() => trusted.AttachTable(notice.Cid).Dispose(), 51);
                    double verified = MedianMicroseconds(() => store.AttachTable(notice.Cid).Dispose(), 3);
                    Answer(output, $"attach {notice.Bytes} {zeroCopy} {verified} {chunks}");
                    break;
                case "end":
                    return;
            }
        }
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static void Answer(TextWriter output, FormattableString line)
    {
        output.WriteLine(line.ToString(CultureInfo.InvariantCulture));
        output.Flush();
    }

    private static double Percentile(List<double> sorted, double fraction) =>
        sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(fraction * sorted.Count) - 1)];

    private static double MedianMicroseconds(Action action, int runs)
    {
        action(); // first touch: page tables, caches
        var times = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
