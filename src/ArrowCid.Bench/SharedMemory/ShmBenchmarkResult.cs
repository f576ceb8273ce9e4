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

    /// <summary>Zero-copy attach (trusted own segment: no re-hash) of the small batch, median (µs).</summary>
    public required double AttachSmallMicroseconds { get; init; }

    /// <summary>Zero-copy attach of the large batch — published as a table of ≤ 1 MiB chunks, attached as its chunks — median (µs).</summary>
    public required double AttachLargeMicroseconds { get; init; }

    /// <summary>Attach with full verification (SHA-256 of every chunk's mapping) of the large batch (µs).</summary>
    public required double AttachLargeVerifiedMicroseconds { get; init; }

    /// <summary>Chunks of the large batch's table.</summary>
    public required int AttachLargeChunks { get; init; }

    /// <summary>Zero-copy attach of one chunk of the large table: its whole attach over its chunk count (µs).</summary>
    public double AttachLargePerChunkMicroseconds => AttachLargeMicroseconds / AttachLargeChunks;

    /// <summary>Bytes of the small and large attached segments.</summary>
    public required long AttachSmallBytes { get; init; }

    /// <summary>Bytes of the large attached segment.</summary>
    public required long AttachLargeBytes { get; init; }

    /// <summary>Publish throughput of the large publish batches (GB/s of canonical bytes).</summary>
    public required double PublishGbps { get; init; }

    /// <summary>SHA-256 throughput over the same bytes in the same run (GB/s).</summary>
    public required double Sha256Gbps { get; init; }

    /// <summary>Bytes of each publish batch.</summary>
    public required long PublishBatchBytes { get; init; }

    /// <summary>
    /// Attach of one chunk of the large table over attach of the small batch's segment (goal ≤ 2:
    /// attach does not grow with the bytes). A table of several chunks costs one such attach per
    /// chunk (<see cref="AttachLargeMicroseconds"/>).
    /// </summary>
    public double AttachRatio => AttachLargePerChunkMicroseconds / AttachSmallMicroseconds;

    /// <summary>Publish throughput over SHA-256 throughput (goal ≥ 0.8).</summary>
    public double PublishRatio => PublishGbps / Sha256Gbps;

    /// <summary>Goal: at least 100,000 round trips per second.</summary>
    public bool RoundTripGoalMet => RoundTripsPerSecond1KiB >= 100_000;

    /// <summary>Goal: p50 ≤ 20 µs and p99 ≤ 200 µs.</summary>
    public bool NotifyGoalMet => NotifyP50Microseconds <= 20 && NotifyP99Microseconds <= 200;

    /// <summary>Goal: attach of a chunk of the 1 GiB table at most twice attach of 1 KiB.</summary>
    public bool AttachGoalMet => AttachRatio <= 2;

    /// <summary>Goal: publish at least 0.8x SHA-256.</summary>
    public bool PublishGoalMet => PublishRatio >= 0.8;
}
