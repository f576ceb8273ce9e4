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
/// repeatedly without re-hashing (the zero-copy path), then attached and read in full, trusted and
/// with full verification, and the medians printed with the chunk count.
/// </summary>
public static class ShmBenchmarkPeer
{
    /// <summary>How long an attach is repeated before it is timed (see <see cref="MedianMicroseconds"/>).</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(400);

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
                        roundTripCpuStart = null; // the next run counts from its own first notice
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
                    // The whole attach call (the root read; chunks are mapped when read), then
                    // attach and a read of every value, trusted and with every chunk re-hashed.
                    int chunks = trusted.OpenTable(notice.Cid).Chunks.Count;
                    double attach = MedianMicroseconds(() => trusted.AttachTable(notice.Cid).Dispose(), 501, warm: true);
                    double read = MedianMicroseconds(() => ReadAll(trusted, notice.Cid), 3);
                    double readVerified = MedianMicroseconds(() => ReadAll(store, notice.Cid), 3);
                    Answer(output, $"attach {notice.Bytes} {attach} {read} {readVerified} {chunks}");
                    break;
                case "end":
                    return;
            }
        }
    }

    /// <summary>Attaches a table and reads every value of every buffer of every chunk (a sum the JIT cannot drop).</summary>
    private static void ReadAll(ShmStore store, Content.Multiformats.Cid cid)
    {
        using var attached = store.AttachTable(cid);
        ulong sum = 0;
        foreach (var chunk in attached.Batches)
        {
            foreach (var column in chunk.Columns)
            {
                foreach (var buffer in column.Buffers)
                {
                    sum += Sum(buffer.Span);
                }
            }
        }

        GC.KeepAlive(sum);
    }

    // A vectorised sum of the words of a buffer (and its tail bytes): every byte is loaded once.
    private static ulong Sum(ReadOnlySpan<byte> bytes)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(bytes);
        var lanes = System.Numerics.Vector<ulong>.Zero;
        int i = 0;
        for (; i <= words.Length - System.Numerics.Vector<ulong>.Count; i += System.Numerics.Vector<ulong>.Count)
        {
            lanes += new System.Numerics.Vector<ulong>(words[i..]);
        }

        ulong sum = System.Numerics.Vector.Sum(lanes);
        for (; i < words.Length; i++)
        {
            sum += words[i];
        }

        foreach (byte tail in bytes[(words.Length * sizeof(ulong))..])
        {
            sum += tail;
        }

        return sum;
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

    private static double MedianMicroseconds(Action action, int runs, bool warm = false)
    {
        action(); // first touch: page tables, caches
        if (warm)
        {
            // Until the code is compiled at its final tier: tiered compilation promotes a method
            // after 30 calls and a pause of about 100 ms with no new tier-0 code, so the first
            // hundred calls of a path (all of a short median's runs) would time unoptimised code.
            long started = Stopwatch.GetTimestamp();
            for (int i = 0; i < 200 || Stopwatch.GetElapsedTime(started) < WarmUp; i++)
            {
                action();
            }
        }

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
