using System.Diagnostics;
using System.Security.Cryptography;

namespace ArrowCid.Bench;

/// <summary>Timing helpers shared by the benchmarks: wall seconds, medians, GB/s and the SHA-256 reference.</summary>
internal static class BenchClock
{
    /// <summary>Wall seconds <paramref name="action"/> took.</summary>
    public static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The middle value (the upper one of an even count).</summary>
    public static double Median(IReadOnlyCollection<double> values) => values.Order().ElementAt(values.Count / 2);

    /// <summary>10^9 bytes per second.</summary>
    public static double Gbps(long bytes, double seconds) => bytes / seconds / 1e9;

    /// <summary>
    /// SHA-256 of <paramref name="bytes"/> bytes shared out among <paramref name="threads"/>
    /// threads, each hashing its share from <paramref name="input"/> as <see cref="Sha256"/> does:
    /// the reference for work spread over as many threads (a put or cid pipeline on every core),
    /// so that what else the machine runs slows both alike.
    /// </summary>
    public static void Sha256OnThreads(byte[] input, long bytes, int threads)
    {
        long share = bytes / threads;
        var workers = Enumerable.Range(0, threads)
            .Select(i => new Thread(() => Sha256(input, i == threads - 1 ? bytes - (share * (threads - 1)) : share)) { IsBackground = true })
            .ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
    }

    /// <summary>
    /// The reference a put is measured against: SHA-256 (IncrementalHash, one thread) of
    /// <paramref name="bytes"/> bytes, fed from <paramref name="input"/> over and over.
    /// </summary>
    public static void Sha256(byte[] input, long bytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long done = 0; done < bytes; done += input.Length)
        {
            sha.AppendData(input, 0, (int)Math.Min(input.Length, bytes - done));
        }

        sha.GetHashAndReset();
    }
}
