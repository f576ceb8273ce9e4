using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Tests.Ipc;
using ArrowCid.Arrow.Validation;
using Xunit.Abstractions;

namespace ArrowCid.Arrow.Tests.IpcFuzz;

/// <summary>
/// Seeded mutation fuzzing of the IPC readers over every golden .stream and .arrow_file.
/// Each input i is a pure function of (<see cref="Seed"/>, i): original file i mod N, mutated by
/// <see cref="IpcMutator"/> with <c>new Random(Seed + i)</c>. Each input goes to the stream reader
/// over memory, the stream reader over a non-seekable stream (random chunk sizes) and the file
/// reader over memory; every accepted batch has every value read. The rules checked per input:
/// <list type="bullet">
/// <item>only <see cref="ArrowFormatException"/> escapes a reader, and nothing escapes reading an accepted batch;</item>
/// <item>no input takes more than <see cref="PerInputLimit"/> (a watchdog thread fails the test with seed and index);</item>
/// <item>
/// the reader's own allocations (measured with GC.GetAllocatedBytesForCurrentThread around its calls) stay
/// below 64 × input length + 16 MiB. Reading over memory is zero-copy, so a reader allocates metadata
/// objects in proportion to the metadata; over a stream it also copies each body once; decompression
/// (the LZ4/ZSTD golden cases) is capped by the reader at what the array could need. 64× covers
/// object overhead per metadata byte, the 16 MiB covers a legitimate compression ratio on small inputs.
/// A claimed length alone must never buy an allocation;</item>
/// <item>the two stream readers agree: both reject, or both accept with equal batches.</item>
/// </list>
/// ARROWCID_FUZZ_SEED and ARROWCID_FUZZ_INPUTS override the seed and (upwards only) the count;
/// ARROWCID_FUZZ_ONLY=i runs input i alone.
/// </summary>
public sealed partial class IpcFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20_250_917;
    private const int MinimumInputs = 20_000;
    private static readonly TimeSpan PerInputLimit = TimeSpan.FromSeconds(5);

    private static int Seed => int.TryParse(Environment.GetEnvironmentVariable("ARROWCID_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : DefaultSeed;

    private static int Inputs => Math.Max(MinimumInputs, int.TryParse(Environment.GetEnvironmentVariable("ARROWCID_FUZZ_INPUTS"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : 0);

    internal static long AllocationBound(int inputLength) => (64L * inputLength) + (16L << 20);

    /// <summary>
    /// While the bug pinned by <see cref="CompressedLengthAllocationTests"/> is open, an allocation over the
    /// bound by a reader that then rejected the input with a codec's length mismatch is counted and
    /// printed instead of failing. Set to false (and unskip that test) once BodyCompression no longer
    /// allocates a claimed length up front.
    /// </summary>
    private const bool ToleratesKnownCompressedLengthBug = false;

    [System.Text.RegularExpressions.GeneratedRegex(@"expected output \d+ bytes|of \d+ bytes decoded")]
    private static partial System.Text.RegularExpressions.Regex CodecLengthMismatch();

    /// <summary>Every golden .stream and .arrow_file, in a fixed order.</summary>
    internal static IReadOnlyList<(string Name, byte[] Bytes, IpcLayout Layout)> Corpus { get; } =
        [.. Directory.EnumerateFiles(GoldenFiles.Root, "*", SearchOption.AllDirectories)
            .Where(p => p.EndsWith(".stream", StringComparison.Ordinal) || p.EndsWith(".arrow_file", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(p => (Path.GetRelativePath(GoldenFiles.Root, p), File.ReadAllBytes(p)))
            .Select(f => (f.Item1, f.Item2, IpcLayout.Of(f.Item2)))];

    [Fact]
    public void Corpus_covers_every_golden_case_in_both_formats_and_each_original_is_accepted()
    {
        Assert.Equal(54, Corpus.Count);
        foreach (var (name, bytes, layout) in Corpus)
        {
            Assert.True(layout.Messages.Count >= 2, $"{name}: framing walk found {layout.Messages.Count} messages");
            var failures = new List<string>();
            var stats = new FuzzStats();
            RunOne(bytes, name, "original", 0, IpcReadOptions.Default, failures, stats);
            Assert.True(failures.Count == 0, string.Join("\n", failures));
            bool isFile = name.EndsWith(".arrow_file", StringComparison.Ordinal);
            Assert.True(stats.StreamAccepted == 1, $"{name}: the stream reader rejected the unmutated input");
            Assert.True(stats.FileAccepted == (isFile ? 1 : 0), $"{name}: the file reader {(isFile ? "rejected" : "accepted")} the unmutated input");
        }
    }

    [Fact]
    public void Mutated_golden_files_only_ever_raise_ArrowFormatException()
    {
        int seed = Seed;
        int inputs = Inputs;
        int? only = int.TryParse(Environment.GetEnvironmentVariable("ARROWCID_FUZZ_ONLY"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int o) ? o : null;
        var failures = new ConcurrentQueue<string>();
        var stats = new FuzzStats();
        long current = -1;
        long startedAt = Stopwatch.GetTimestamp();
        string currentDescription = "";
        var clock = Stopwatch.StartNew();

        // One worker thread runs the inputs in order; this thread is the watchdog. A hung input
        // cannot be aborted, so the worker is a background thread and the test fails at once.
        var worker = new Thread(() =>
        {
            var local = new List<string>();
            for (int i = only ?? 0; i < (only + 1 ?? inputs); i++)
            {
                var random = new Random(seed + i);
                var (name, original, layout) = Corpus[i % Corpus.Count];
                byte[] input = IpcMutator.Mutate(original, layout, random, out string description);
                Volatile.Write(ref currentDescription, $"{name}: {description}");
                Interlocked.Exchange(ref startedAt, Stopwatch.GetTimestamp());
                Interlocked.Exchange(ref current, i);
                var options = i % 2 == 0 ? IpcReadOptions.Default : new IpcReadOptions { Validation = ValidationLevel.Full };
                local.Clear();
                RunOne(input, name, $"seed {seed} input {i} ({description})", seed + i, options, local, stats);
                foreach (string f in local)
                {
                    failures.Enqueue(f);
                }

                stats.Inputs++;
            }

            Interlocked.Exchange(ref current, -2);
        })
        {
            IsBackground = true,
            Name = "ipc-fuzz",
        };
        worker.Start();
        while (!worker.Join(50))
        {
            long index = Interlocked.Read(ref current);
            TimeSpan running = Stopwatch.GetElapsedTime(Interlocked.Read(ref startedAt));
            if (index >= 0 && running > PerInputLimit && Interlocked.Read(ref current) == index)
            {
                Assert.Fail($"HANG: seed {seed} input {index} ({Volatile.Read(ref currentDescription)}) has run for {running.TotalSeconds:F1} s (limit {PerInputLimit.TotalSeconds} s); reproduce with ARROWCID_FUZZ_SEED={seed} ARROWCID_FUZZ_ONLY={index}");
            }
        }

        clock.Stop();
        output.WriteLine(
            $"seed {seed}: {stats.Inputs} inputs × 3 readers in {clock.Elapsed.TotalSeconds:F1} s; stream readers accepted {stats.StreamAccepted}, " +
            $"file reader accepted {stats.FileAccepted}, stream readers touched everything in {stats.TouchedEverything}; largest reader allocation {stats.MaxAllocated} bytes " +
            $"({stats.MaxAllocatedRatio:F1}× its input); {failures.Count} failures");
        foreach (string hit in stats.KnownBugHits)
        {
            output.WriteLine("KNOWN BUG (CompressedLengthAllocationTests): " + hit);
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} failures (first 20):\n" + string.Join("\n", failures.Take(20)));
        if (only is null)
        {
            Assert.Equal(inputs, stats.Inputs);
            // The mutations must leave a fair share of inputs readable, or they would only test the first checks.
            Assert.InRange(stats.StreamAccepted, inputs / 20, inputs - (inputs / 20));
            Assert.InRange(stats.FileAccepted, inputs / 100, inputs - (inputs / 20));
        }
    }

    internal static void RunOne(byte[] input, string name, string where, int seed, IpcReadOptions options, List<string> failures, FuzzStats stats)
    {
        var memory = Guard(() => IpcFuzzHarness.StreamFromMemory(input, options), "stream reader over memory");
        var nonSeekable = Guard(() => IpcFuzzHarness.StreamFromNonSeekable(input, options, seed), "stream reader over a non-seekable stream");
        var file = Guard(() => IpcFuzzHarness.FileFromMemory(input, options), "file reader over memory");

        if (memory is { Batches: not null } && nonSeekable is { Batches: not null })
        {
            stats.StreamAccepted++;
            if (memory.TouchedEverything && nonSeekable.TouchedEverything)
            {
                stats.TouchedEverything++;
                Compare(memory.Batches, nonSeekable.Batches);
            }
        }
        else if (memory is not null && nonSeekable is not null && (memory.Batches is null) != (nonSeekable.Batches is null))
        {
            failures.Add($"{name} {where}: the stream readers disagree: over memory {Describe(memory)}, over a non-seekable stream {Describe(nonSeekable)}");
        }

        if (file is { Batches: not null })
        {
            stats.FileAccepted++;
        }

        return;

        ReadOutcome? Guard(Func<ReadOutcome> read, string reader)
        {
            try
            {
                var outcome = read();
                long bound = AllocationBound(input.Length);
                stats.NoteAllocation(outcome.ReaderAllocatedBytes, input.Length);
                if (outcome.ReaderAllocatedBytes > bound && ToleratesKnownCompressedLengthBug && outcome.Rejection is { } rejection && CodecLengthMismatch().IsMatch(rejection))
                {
                    stats.KnownBugHits.Add($"{name} {where}: {reader} allocated {outcome.ReaderAllocatedBytes} bytes for a {input.Length}-byte input ({rejection})");
                }
                else if (outcome.ReaderAllocatedBytes > bound)
                {
                    failures.Add($"{name} {where}: {reader} allocated {outcome.ReaderAllocatedBytes} bytes for a {input.Length}-byte input (bound {bound}); outcome: {Describe(outcome)}");
                }

                return outcome;
            }
            catch (Exception ex)
            {
                failures.Add($"{name} {where}: {reader} threw {ex.GetType().FullName}: {ex.Message}\n{ex.InnerException?.ToString() ?? ex.StackTrace}");
                return null;
            }
        }

        void Compare(IReadOnlyList<RecordBatch> a, IReadOnlyList<RecordBatch> b)
        {
            if (a.Count != b.Count)
            {
                failures.Add($"{name} {where}: the stream readers read {a.Count} and {b.Count} batches");
                return;
            }

            for (int i = 0; i < a.Count; i++)
            {
                if (!ArrayEquality.Equals(a[i], b[i], out string? difference))
                {
                    failures.Add($"{name} {where}: batch {i} differs between the stream readers: {difference}");
                }
            }
        }
    }

    private static string Describe(ReadOutcome outcome) =>
        outcome.Batches is { } b ? $"accepted {b.Count} batches" : $"rejected ({outcome.Rejection})";
}

/// <summary>Counters of one fuzz run (touched by the worker thread only).</summary>
internal sealed class FuzzStats
{
    public int Inputs { get; set; }

    public int StreamAccepted { get; set; }

    public int FileAccepted { get; set; }

    public int TouchedEverything { get; set; }

    public List<string> KnownBugHits { get; } = [];

    public long MaxAllocated { get; private set; }

    public double MaxAllocatedRatio { get; private set; }

    public void NoteAllocation(long bytes, int inputLength)
    {
        MaxAllocated = Math.Max(MaxAllocated, bytes);
        MaxAllocatedRatio = Math.Max(MaxAllocatedRatio, bytes / (double)Math.Max(inputLength, 1));
    }
}
