using System.Diagnostics.Metrics;

namespace ArrowCid.Content.Stores;

/// <summary>What the block store records (<see cref="ArrowCidMeter"/>): bytes offered and newly stored, and its fsyncs.</summary>
internal static class StoreMetrics
{
    private static readonly Meter Meter = new(ArrowCidMeter.Name);

    /// <summary>Bytes of blocks put, whether or not they were stored already.</summary>
    public static readonly Counter<long> OfferedBytes = Meter.CreateCounter<long>(
        "arrowcid.store.offered", "By", "Bytes of blocks put, whether stored already or not");

    /// <summary>Bytes of blocks put that were not stored yet: offered minus new is what deduplication saved.</summary>
    public static readonly Counter<long> NewBytes = Meter.CreateCounter<long>(
        "arrowcid.store.new", "By", "Bytes of blocks put that were not stored yet (offered minus new is what deduplication saved)");

    /// <summary>How long each fsync of a pack took.</summary>
    public static readonly Histogram<double> FsyncDuration = Meter.CreateHistogram<double>(
        "arrowcid.store.fsync.duration", "s", "How long each fsync of a pack took");
}
