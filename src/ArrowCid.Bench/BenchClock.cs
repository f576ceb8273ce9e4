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
