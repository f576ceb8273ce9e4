using ArrowCid.Content.Multiformats;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Registry.Tests.Contract;

/// <summary>
/// The durable tier's guards and deletion marks: what a put guards no collection marks, what a
/// collection marks no put guards until the mark ends, and names, pins and retaining ancestors are
/// checked again as a deletion is marked.
/// </summary>
public abstract partial class RegistryContractTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    [Fact]
    public void A_block_a_put_guards_is_not_marked_for_deletion_until_the_put_lets_go()
    {
        var registry = NewRegistry();
        var other = OpenSameDatabase(registry);
        var (guarded, free) = (FakeCid(1), FakeCid(2));

        Assert.Empty(registry.GuardTierBlocks("put/a", [guarded], Lifetime));
        // Another host's collection asks its own connection.
        Assert.Equal([free], other.MarkTierDeletions([guarded, free], Lifetime));
        other.EndTierDeletions([free]);

        registry.ReleaseTierGuards(["put/a"]);
        Assert.Equal([guarded], other.MarkTierDeletions([guarded], Lifetime));
    }

    [Fact]
    public void A_block_being_deleted_is_not_guarded_but_returned_until_its_deletion_ends()
    {
        var registry = NewRegistry();
        var cid = FakeCid(3);
        Assert.Equal([cid], registry.MarkTierDeletions([cid], Lifetime));

        Assert.Equal([cid], registry.GuardTierBlocks("put/b", [cid, FakeCid(4)], Lifetime));
        // The put guarded the other block: a collection does not mark it.
        Assert.Empty(registry.MarkTierDeletions([FakeCid(4)], Lifetime));

        registry.EndTierDeletions([cid]);
        Assert.Empty(registry.GuardTierBlocks("put/b", [cid], Lifetime));
        Assert.Empty(registry.MarkTierDeletions([cid], Lifetime));
    }

    [Fact]
    public void A_lapsed_guard_or_mark_counts_for_nothing()
    {
        // A put or a collection that died leaves its row; past its lifetime the row keeps nothing.
        var registry = NewRegistry();
        var cid = FakeCid(5);
        Assert.Empty(registry.GuardTierBlocks("put/dead", [cid], Lifetime));
        Assert.Equal([cid], registry.MarkTierDeletions([cid], TimeSpan.Zero));
        Assert.Empty(registry.GuardTierBlocks("put/c", [cid], TimeSpan.Zero));
    }

    [Fact]
    public void Locations_are_added_to_many_records_in_one_call_passing_over_unregistered_ones()
    {
        var registry = NewRegistry();
        registry.Upsert(BatchRecord(FakeCid(20)));
        registry.Upsert(BatchRecord(FakeCid(21)) with { Locations = ["grpc://b:1"] });
        long before = registry.ChangesSince(0).Count;

        Assert.Equal(2, registry.AddLocations([FakeCid(20), FakeCid(21), FakeCid(22)], "grpc://a:1"));
        Assert.Equal(2, registry.AddLocations([FakeCid(20), FakeCid(21)], "grpc://a:1"));

        Assert.Equal(["grpc://a:1"], registry.Find(FakeCid(20))!.Locations);
        Assert.Equal(["grpc://a:1", "grpc://b:1"], registry.Find(FakeCid(21))!.Locations.Order(StringComparer.Ordinal));
        Assert.Null(registry.Find(FakeCid(22)));
        // A change for each location new, none for one already there.
        Assert.Equal(before + 2, registry.ChangesSince(0).Count);
    }

    [Fact]
    public void Names_pins_and_what_they_link_are_checked_again_as_a_deletion_is_marked()
    {
        var registry = NewRegistry();
        var (named, pinned, linked, loose) = (FakeCid(6), FakeCid(7), FakeCid(8), FakeCid(9));
        var table = FakeDatasetCid(1);
        registry.Upsert(BatchRecord(named));
        registry.Upsert(BatchRecord(pinned) with { Pinned = true });
        registry.Upsert(BatchRecord(linked));
        registry.Upsert(BatchRecord(loose));
        registry.Upsert(DatasetRecord(table, linked));
        registry.AddVersion("kept", table);
        registry.AddVersion("solo", named);

        Assert.Equal([loose], registry.MarkTierDeletions([named, pinned, linked, loose, table], Lifetime));
    }
}
