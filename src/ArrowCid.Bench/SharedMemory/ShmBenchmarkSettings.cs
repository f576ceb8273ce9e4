namespace ArrowCid.Bench.SharedMemory;

/// <summary>Sizes and counts of one <c>arrowcid bench shm</c> run.</summary>
public sealed record ShmBenchmarkSettings
{
    /// <summary>Base folder of the scratch store (a tmpfs); null: as <see cref="ArrowCid.SharedMemory.ShmStoreOptions"/> resolves it.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>1 KiB publish + attach round trips timed in each run.</summary>
    public int RoundTrips { get; init; } = 20_000;

    /// <summary>Runs of <see cref="RoundTrips"/> round trips; each figure is the median of the runs (one run is some 60 ms, so one stall of either process moved it by a tenth).</summary>
    public int RoundTripRuns { get; init; } = 3;

    /// <summary>Notifications timed one at a time (the peer asleep before each).</summary>
    public int LatencySamples { get; init; } = 1_000;

    /// <summary>Size of the large attached batch.</summary>
    public long LargeAttachBytes { get; init; } = 1L << 30;

    /// <summary>Size of each publish-throughput batch.</summary>
    public long PublishBatchBytes { get; init; } = 256L << 20;

    /// <summary>Publishes (and SHA-256 passes) timed; the best of each counts.</summary>
    public int PublishRuns { get; init; } = 3;
}
