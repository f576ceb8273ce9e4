namespace ArrowCid.Bench.SharedMemory;

/// <summary>Figures of one <c>arrowcid bench shm</c> run, with the goals docs/performance.md measures it against.</summary>
public sealed record ShmBenchmarkResult
{
    /// <summary>Publish here + attach (full verification) in the peer process, 1 KiB batches, pipelined.</summary>
    public required double RoundTripsPerSecond1KiB { get; init; }

    /// <summary>
    /// CPU time of the publishing process per round trip (all its threads, µs): what a publish
    /// costs whatever else the machine runs, so figures taken on a busy machine can be read.
    /// </summary>
    public required double PublisherCpuMicrosecondsPerRoundTrip { get; init; }

    /// <summary>CPU time of the peer process per round trip (wake-up, attach with full verification, release; µs).</summary>
    public required double PeerCpuMicrosecondsPerRoundTrip { get; init; }

    /// <summary>Round trips measured.</summary>
    public required int RoundTrips { get; init; }

    /// <summary>Publish-to-wake-up latency in the peer, median (µs).</summary>
    public required double NotifyP50Microseconds { get; init; }

    /// <summary>Publish-to-wake-up latency in the peer, 99th percentile (µs).</summary>
    public required double NotifyP99Microseconds { get; init; }

    /// <summary>The whole attach call of the small (1 KiB, one segment file) table, trusted own segment (no re-hash), median (µs).</summary>
    public required double AttachSmallMicroseconds { get; init; }

    /// <summary>The whole attach call of the large (1 GiB) table — published as chunks of ≤ 1 MiB under a manifest tree — trusted, median (µs).</summary>
    public required double AttachLargeMicroseconds { get; init; }

    /// <summary>Chunks of the large batch's table.</summary>
    public required int AttachLargeChunks { get; init; }

    /// <summary>Attach of the large table and a read of every value of it (each chunk mapped when first read), trusted (GB/s of chunk bytes).</summary>
    public required double AttachReadGbps { get; init; }

    /// <summary>The same with full verification: every chunk re-hashed when first read (GB/s).</summary>
    public required double AttachReadVerifiedGbps { get; init; }

    /// <summary>Bytes of the small and large attached segments.</summary>
    public required long AttachSmallBytes { get; init; }

    /// <summary>Bytes of the large attached segment.</summary>
    public required long AttachLargeBytes { get; init; }

    /// <summary>Publish throughput of the large publish batches (GB/s of canonical bytes).</summary>
    public required double PublishGbps { get; init; }

    /// <summary>SHA-256 throughput over the same bytes in the same run on as many threads as a publish uses, every core (GB/s).</summary>
    public required double Sha256Gbps { get; init; }

    /// <summary>SHA-256 throughput over the same bytes on one thread (GB/s), as context.</summary>
    public required double Sha256OneThreadGbps { get; init; }

    /// <summary>Bytes of each publish batch.</summary>
    public required long PublishBatchBytes { get; init; }

    /// <summary>
    /// The whole attach call of the 1 GiB table over that of the 1 KiB one (goal ≤ 1.5: attach
    /// costs the same whatever the size, chunks mapped as they are read).
    /// </summary>
    public double AttachRatio => AttachLargeMicroseconds / AttachSmallMicroseconds;

    /// <summary>Publish throughput over SHA-256's on as many threads (goal ≥ 0.6).</summary>
    public double PublishRatio => PublishGbps / Sha256Gbps;

    /// <summary>Publish throughput over SHA-256's on one thread (context).</summary>
    public double PublishRatioOneThread => PublishGbps / Sha256OneThreadGbps;

    /// <summary>Goal: at least 150,000 round trips per second.</summary>
    public bool RoundTripGoalMet => RoundTripsPerSecond1KiB >= 150_000;

    /// <summary>Goal: at most 3 µs of CPU per round trip on each side.</summary>
    public bool RoundTripCpuGoalMet => PublisherCpuMicrosecondsPerRoundTrip <= 3 && PeerCpuMicrosecondsPerRoundTrip <= 3;

    /// <summary>Goal: p50 ≤ 20 µs and p99 ≤ 100 µs.</summary>
    public bool NotifyGoalMet => NotifyP50Microseconds <= 20 && NotifyP99Microseconds <= 100;

    /// <summary>Goal: the 1 GiB table's attach at most 1.5x the 1 KiB one's.</summary>
    public bool AttachGoalMet => AttachRatio <= 1.5;

    /// <summary>Goal: publish at least 0.6x SHA-256.</summary>
    public bool PublishGoalMet => PublishRatio >= 0.6;
}
