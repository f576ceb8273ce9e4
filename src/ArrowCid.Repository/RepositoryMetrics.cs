using System.Diagnostics.Metrics;
using ArrowCid.Content;

namespace ArrowCid.Repository;

/// <summary>What the repository records (<see cref="ArrowCidMeter"/>): the size of each group commit.</summary>
internal static class RepositoryMetrics
{
    private static readonly Meter Meter = new(ArrowCidMeter.Name);

    /// <summary>Rows each group commit made durable together (one fsync, one registry transaction).</summary>
    public static readonly Histogram<int> GroupCommitSize = Meter.CreateHistogram<int>(
        "arrowcid.group_commit.rows", "{row}", "Rows each group commit made durable together (one fsync, one registry transaction)",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] });
}
