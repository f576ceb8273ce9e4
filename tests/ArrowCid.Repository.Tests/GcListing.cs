using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Repository.Tests;

/// <summary>A collection's report with the blocks it named as it went, gathered (tests remove a handful).</summary>
/// <param name="Report">The counts.</param>
/// <param name="RemovedRecords">The registered blocks removed, in the order reported.</param>
/// <param name="RemovedOrphans">The unregistered blocks removed, in the order reported.</param>
internal sealed record GcListing(GcReport Report, IReadOnlyList<Cid> RemovedRecords, IReadOnlyList<Cid> RemovedOrphans)
{
    public long BytesFreed => Report.BytesFreed;

    public int PacksRewritten => Report.PacksRewritten;

    public long Retained => Report.Retained;

    public int RemovedTempFiles => Report.RemovedTempFiles;

    public int AbandonedGuards => Report.AbandonedGuards;

    public IReadOnlyList<Cid> HandedOver => Report.HandedOver;

    public int LocationsReleased => Report.LocationsReleased;
}

internal static class GcListingExtensions
{
    /// <summary>Runs <see cref="LocalRepository.Gc"/>, gathering what it reports removed; checks the counts agree with what it named.</summary>
    public static GcListing GcListed(this LocalRepository repository, IRegistry? shared = null, string? location = null, GcReplication? replication = null)
    {
        var records = new List<Cid>();
        var orphans = new List<Cid>();
        var report = repository.Gc(shared, location, replication, removal =>
        {
            // Every registered block is reported before any unregistered one (gc --json streams them so).
            Assert.True(!removal.Registered || orphans.Count == 0, "a record was reported after an unregistered block");
            (removal.Registered ? records : orphans).Add(removal.Cid);
        });
        Assert.Equal(report.RecordsRemoved, records.Count);
        Assert.Equal(report.OrphansRemoved, orphans.Count);
        return new GcListing(report, records, orphans);
    }
}
