using ArrowCid.Content.Multiformats;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Registry.Tests.Contract;

/// <summary>
/// The behaviour every <see cref="IRegistry"/> must have. An implementation's test class derives
/// from this and supplies a fresh, empty registry; the PostgreSQL one reuses every test unchanged.
/// </summary>
public abstract partial class RegistryContractTests : IDisposable
{
    private readonly List<IRegistry> _opened = [];

    /// <summary>A new, empty registry owned by the derived class.</summary>
    protected abstract IRegistry CreateEmptyRegistry();

    protected IRegistry NewRegistry() => Track(CreateEmptyRegistry());

    /// <summary>Disposes <paramref name="registry"/> with the test.</summary>
    protected IRegistry Track(IRegistry registry)
    {
        _opened.Add(registry);
        return registry;
    }

    public void Dispose()
    {
        foreach (var registry in _opened)
        {
            registry.Dispose();
        }

        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    [Fact]
    public void Upsert_then_Find_round_trips_every_field()
    {
        var registry = NewRegistry();
        var created = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1234567);
        var record = new BlockRecord
        {
            Cid = FakeDatasetCid(1),
            Kind = BlockKind.Dataset,
            Schema = "schema-text",
            Rows = 123_456_789_012,
            Bytes = 987,
            Links = [FakeCid(2), FakeCid(3)],
            Created = created,
            Producer = "producer",
            Provenance = "from somewhere",
            Tags = new Dictionary<string, string> { ["a"] = "1", ["b"] = "two" },
            Pinned = true,
            Locations = ["flight://host:1", "/path"],
        };

        var stored = registry.Upsert(record);
        var found = registry.Find(record.Cid);

        Assert.NotNull(found);
        foreach (var r in new[] { stored, found })
        {
            Assert.Equal(record.Cid, r.Cid);
            Assert.Equal(BlockKind.Dataset, r.Kind);
            Assert.Equal("schema-text", r.Schema);
            Assert.Equal(123_456_789_012, r.Rows);
            Assert.Equal(987, r.Bytes);
            Assert.Equal(record.Links, r.Links);

            // Stored to the microsecond, in UTC.
            Assert.Equal(created.UtcTicks / 10 * 10, r.Created.UtcTicks);
            Assert.Equal(TimeSpan.Zero, r.Created.Offset);
            Assert.Equal("producer", r.Producer);
            Assert.Equal("from somewhere", r.Provenance);
            Assert.Equal(record.Tags.OrderBy(t => t.Key), r.Tags.OrderBy(t => t.Key));
            Assert.True(r.Pinned);
            Assert.Equal(record.Locations.Order(StringComparer.Ordinal), r.Locations.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void A_table_node_round_trips_with_its_kind_and_links_and_is_listed_by_kind()
    {
        var registry = NewRegistry();
        var node = new BlockRecord
        {
            Cid = FakeDatasetCid(7),
            Kind = BlockKind.TableNode,
            Rows = 42,
            Bytes = 321,
            Links = [FakeCid(8), FakeCid(9)],
        };
        registry.Upsert(node);
        registry.Upsert(DatasetRecord(FakeDatasetCid(10), node.Cid));

        var found = registry.Find(node.Cid)!;

        Assert.Equal((BlockKind.TableNode, 42L, 321L), (found.Kind, found.Rows, found.Bytes));
        Assert.Equal(node.Links, found.Links);
        Assert.Equal([node.Cid], registry.List(new RegistryQuery { Kind = BlockKind.TableNode }).Select(r => r.Cid));
        Assert.Equal("table-node", BlockKindNames.NameOf(found.Kind));
        Assert.True(BlockKindNames.TryParse("table-node", out var parsed));
        Assert.Equal(BlockKind.TableNode, parsed);
        // A pinned root keeps its node and, through it, what the node links.
        registry.Pin(FakeDatasetCid(10));
        using var retained = Retained(registry);
        Assert.All(new[] { FakeDatasetCid(10), node.Cid, FakeCid(8), FakeCid(9) }, cid => Assert.True(retained.Contains(cid)));
    }

    /// <summary>What the registry retains, as a new set.</summary>
    protected static CidKeySet Retained(IRegistry registry)
    {
        var retained = new CidKeySet();
        registry.AddRetained(retained);
        return retained;
    }

    /// <summary>The set holds these CIDs and nothing else (its count says so: it cannot be listed).</summary>
    protected static void AssertRetainedExactly(CidKeySet retained, params Cid[] expected)
    {
        Assert.Equal(expected.Distinct().Count(), retained.Count);
        Assert.All(expected, cid => Assert.True(retained.Contains(cid), $"{cid} is retained"));
    }

    [Fact]
    public void Unknown_cid_is_not_found()
    {
        var registry = NewRegistry();
        Assert.Null(registry.Find(FakeCid(1)));
        Assert.False(registry.Contains(FakeCid(1)));
        Assert.False(registry.Pin(FakeCid(1)));
        Assert.False(registry.Unpin(FakeCid(1)));
        Assert.False(registry.SetTag(FakeCid(1), "k", "v"));
        Assert.False(registry.RemoveTag(FakeCid(1), "k"));
        Assert.False(registry.AddLocation(FakeCid(1), "somewhere"));
        Assert.False(registry.Delete(FakeCid(1)));
        Assert.Empty(registry.ListCids());
        Assert.Equal(0, registry.LatestSequence);
    }

    [Fact]
    public void Default_created_is_stamped_with_the_registration_time()
    {
        var registry = NewRegistry();
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var stored = registry.Upsert(BatchRecord(FakeCid(1)));
        Assert.InRange(stored.Created, before, DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public void Second_registration_merges_with_the_first()
    {
        var registry = NewRegistry();
        var cid = FakeCid(1);
        var first = registry.Upsert(BatchRecord(cid) with
        {
            Created = DateTimeOffset.UnixEpoch.AddDays(1),
            Pinned = true,
            Tags = new Dictionary<string, string> { ["keep"] = "1", ["change"] = "old" },
            Locations = ["a"],
        });

        var second = registry.Upsert(BatchRecord(cid, rows: 99, producer: "other") with
        {
            Created = DateTimeOffset.UnixEpoch.AddDays(50),
            Pinned = false,
            Tags = new Dictionary<string, string> { ["change"] = "new", ["added"] = "2" },
            Locations = ["b"],
        });

        Assert.Equal(first.Created, second.Created);
        Assert.True(second.Pinned);
        Assert.Equal(99, second.Rows);
        Assert.Equal("other", second.Producer);
        Assert.Equal("1", second.Tags["keep"]);
        Assert.Equal("new", second.Tags["change"]);
        Assert.Equal("2", second.Tags["added"]);
        Assert.Equal(["a", "b"], second.Locations.Order(StringComparer.Ordinal));
        Assert.Equal(second, registry.Find(cid)! with { Tags = second.Tags, Locations = second.Locations, Links = second.Links });
        Assert.Single(registry.ListCids());
    }

    [Fact]
    public void List_filters_by_kind_tags_time_pin_producer_and_limit()
    {
        var registry = NewRegistry();
        var day = DateTimeOffset.UnixEpoch.AddYears(50);
        for (int i = 0; i < 10; i++)
        {
            bool dataset = i % 3 == 0;
            registry.Upsert(new BlockRecord
            {
                Cid = dataset ? FakeDatasetCid(i) : FakeCid(i),
                Kind = dataset ? BlockKind.Dataset : BlockKind.Batch,
                Created = day.AddHours(i),
                Producer = i < 5 ? "early" : "late",
                Pinned = i % 2 == 0,
                Tags = new Dictionary<string, string> { ["parity"] = i % 2 == 0 ? "even" : "odd", ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            });
        }

        static int N(BlockRecord r) => int.Parse(r.Tags["n"], System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(Enumerable.Range(0, 10), registry.List().Select(N));
        Assert.Equal([0, 3, 6, 9], registry.List(new RegistryQuery { Kind = BlockKind.Dataset }).Select(N));
        Assert.Equal([1, 3, 5, 7, 9], registry.List(new RegistryQuery { Tags = new Dictionary<string, string> { ["parity"] = "odd" } }).Select(N));
        Assert.Equal([3], registry.List(new RegistryQuery { Tags = new Dictionary<string, string> { ["parity"] = "odd", ["n"] = "3" } }).Select(N));
        Assert.Empty(registry.List(new RegistryQuery { Tags = new Dictionary<string, string> { ["parity"] = "odd", ["n"] = "4" } }));
        Assert.Equal([2, 3, 4], registry.List(new RegistryQuery { CreatedFrom = day.AddHours(2), CreatedBefore = day.AddHours(5) }).Select(N));
        Assert.Equal([0, 2, 4, 6, 8], registry.List(new RegistryQuery { Pinned = true }).Select(N));
        Assert.Equal([5, 6, 7, 8, 9], registry.List(new RegistryQuery { Producer = "late" }).Select(N));
        Assert.Equal([6, 8], registry.List(new RegistryQuery { Producer = "late", Pinned = true, Limit = 2 }).Select(N));
        Assert.Equal([0, 6], registry.List(new RegistryQuery { Kind = BlockKind.Dataset, Tags = new Dictionary<string, string> { ["parity"] = "even" } }).Select(N));
    }

    [Fact]
    public void Pin_and_unpin_change_state_and_report_only_real_changes()
    {
        var registry = NewRegistry();
        var cid = FakeCid(1);
        registry.Upsert(BatchRecord(cid));
        long start = registry.LatestSequence;

        Assert.True(registry.Pin(cid));
        Assert.True(registry.Pin(cid));
        Assert.True(registry.Find(cid)!.Pinned);
        Assert.True(registry.Unpin(cid));
        Assert.False(registry.Find(cid)!.Pinned);

        var changes = registry.ChangesSince(start);
        Assert.Equal([RegistryChangeKind.Pinned, RegistryChangeKind.Unpinned], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.Equal(cid, c.Cid));
    }

    [Fact]
    public void Tags_and_locations_can_be_set_and_removed()
    {
        var registry = NewRegistry();
        var cid = FakeCid(1);
        registry.Upsert(BatchRecord(cid));

        Assert.True(registry.SetTag(cid, "env", "prod"));
        Assert.True(registry.SetTag(cid, "env", "dev"));
        Assert.True(registry.SetTag(cid, "owner", "me"));
        Assert.True(registry.RemoveTag(cid, "owner"));
        Assert.False(registry.RemoveTag(cid, "owner"));
        Assert.True(registry.AddLocation(cid, "shm://x"));
        Assert.True(registry.AddLocation(cid, "shm://x"));

        var record = registry.Find(cid)!;
        Assert.Equal(new Dictionary<string, string> { ["env"] = "dev" }, record.Tags);
        Assert.Equal(["shm://x"], record.Locations);
    }

    [Fact]
    public void Releasing_a_location_removes_only_that_node_and_the_record_with_the_last_one()
    {
        var registry = NewRegistry();
        var cid = FakeCid(1);
        registry.Upsert(BatchRecord(cid) with { Locations = ["grpc://a:1", "grpc://b:1"] });

        Assert.Equal(LocationRelease.NotHeld, registry.ReleaseLocation(cid, "grpc://c:1"));
        Assert.Equal(LocationRelease.NotHeld, registry.ReleaseLocation(FakeCid(9), "grpc://a:1"));
        Assert.Equal(LocationRelease.LocationRemoved, registry.ReleaseLocation(cid, "grpc://a:1"));
        Assert.Equal(["grpc://b:1"], registry.Find(cid)!.Locations);
        long before = registry.LatestSequence;
        Assert.Equal(LocationRelease.RecordDeleted, registry.ReleaseLocation(cid, "grpc://b:1"));
        Assert.Null(registry.Find(cid));
        Assert.Equal([RegistryChangeKind.LocationRemoved, RegistryChangeKind.Deleted], registry.ChangesSince(before).Select(c => c.Kind));
    }

    [Fact]
    public void A_location_is_released_keeping_copies_only_while_enough_verified_holders_remain()
    {
        var registry = NewRegistry();
        var cid = FakeCid(1);
        registry.Upsert(BatchRecord(cid) with { Pinned = true, Locations = ["grpc://a:1", "grpc://b:1", "grpc://c:1"] });

        // c is recorded but was not verified: it does not count.
        Assert.False(registry.ReleaseLocationKeepingCopies(cid, "grpc://a:1", ["grpc://b:1"], copies: 2));
        Assert.False(registry.ReleaseLocationKeepingCopies(cid, "grpc://a:1", ["grpc://b:1", "grpc://x:1"], copies: 2));
        Assert.False(registry.ReleaseLocationKeepingCopies(cid, "grpc://z:1", ["grpc://b:1"], copies: 1));
        Assert.Equal(3, registry.Find(cid)!.Locations.Count);

        long before = registry.LatestSequence;
        Assert.True(registry.ReleaseLocationKeepingCopies(cid, "GRPC://A:1", ["grpc://b:1", "grpc://c:1"], copies: 2));
        Assert.Equal(["grpc://b:1", "grpc://c:1"], registry.Find(cid)!.Locations);
        Assert.Equal([RegistryChangeKind.LocationRemoved], registry.ChangesSince(before).Select(c => c.Kind));

        // Two nodes each verified the other and drop at once: the second finds the first gone.
        Assert.True(registry.ReleaseLocationKeepingCopies(cid, "grpc://b:1", ["grpc://c:1"], copies: 1));
        Assert.False(registry.ReleaseLocationKeepingCopies(cid, "grpc://c:1", ["grpc://b:1"], copies: 1));
        Assert.Equal(["grpc://c:1"], registry.Find(cid)!.Locations);
        Assert.Throws<ArgumentOutOfRangeException>(() => registry.ReleaseLocationKeepingCopies(cid, "grpc://c:1", [], copies: 0));
    }

    [Fact]
    public void A_pinned_or_named_record_outlives_its_last_location()
    {
        var registry = NewRegistry();
        registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true, Locations = ["grpc://a:1"] });
        registry.Upsert(BatchRecord(FakeCid(2)) with { Locations = ["grpc://a:1"] });
        registry.AddVersion("kept", FakeCid(2));

        Assert.Equal(LocationRelease.LocationRemoved, registry.ReleaseLocation(FakeCid(1), "grpc://a:1"));
        Assert.Equal(LocationRelease.LocationRemoved, registry.ReleaseLocation(FakeCid(2), "grpc://a:1"));
        Assert.Empty(registry.Find(FakeCid(1))!.Locations);
        Assert.Empty(registry.Find(FakeCid(2))!.Locations);
    }

    [Fact]
    public void Delete_removes_the_record_with_its_tags_and_links()
    {
        var registry = NewRegistry();
        var dataset = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(dataset, FakeCid(2)) with { Tags = new Dictionary<string, string> { ["k"] = "v" } });
        Assert.Equal([dataset], registry.GetLinkingDatasets(FakeCid(2)));

        Assert.True(registry.Delete(dataset));

        Assert.Null(registry.Find(dataset));
        Assert.Empty(registry.GetLinkingDatasets(FakeCid(2)));
        Assert.Empty(registry.List(new RegistryQuery { Tags = new Dictionary<string, string> { ["k"] = "v" } }));

        // Registering it again starts afresh.
        var again = registry.Upsert(BatchRecord(FakeCid(5)));
        Assert.Empty(again.Tags);
    }

    [Fact]
    public void DeleteAll_deletes_each_record_in_one_go_skips_the_absent_and_records_a_change_each()
    {
        var registry = NewRegistry();
        var dataset = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(dataset, FakeCid(2)) with { Tags = new Dictionary<string, string> { ["k"] = "v" } });
        registry.Upsert(BatchRecord(FakeCid(2)));
        registry.Upsert(BatchRecord(FakeCid(3)));
        long before = registry.LatestSequence;

        Assert.Equal(2, registry.DeleteAll([dataset, FakeCid(9), FakeCid(3)]));

        Assert.Null(registry.Find(dataset));
        Assert.Null(registry.Find(FakeCid(3)));
        Assert.NotNull(registry.Find(FakeCid(2)));
        Assert.Empty(registry.GetLinkingDatasets(FakeCid(2)));
        Assert.Equal([dataset, FakeCid(3)], registry.ChangesSince(before).Select(c => c.Cid));
        Assert.All(registry.ChangesSince(before), c => Assert.Equal(RegistryChangeKind.Deleted, c.Kind));
        Assert.Equal(0, registry.DeleteAll([]));
        Assert.Equal(0, registry.DeleteAll([dataset]));
    }

    [Fact]
    public void Linking_datasets_are_found_from_their_batches()
    {
        var registry = NewRegistry();
        registry.Upsert(DatasetRecord(FakeDatasetCid(1), FakeCid(10), FakeCid(11)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(2), FakeCid(11), FakeCid(12)));

        Assert.Equal([FakeDatasetCid(1)], registry.GetLinkingDatasets(FakeCid(10)));
        Assert.Equal(new[] { FakeDatasetCid(1), FakeDatasetCid(2) }.OrderBy(c => c.ToString(), StringComparer.Ordinal), registry.GetLinkingDatasets(FakeCid(11)));
        Assert.Empty(registry.GetLinkingDatasets(FakeCid(13)));
    }

    [Fact]
    public void Retained_set_is_pins_plus_everything_pinned_datasets_link_transitively()
    {
        var registry = NewRegistry();
        registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
        registry.Upsert(BatchRecord(FakeCid(2)));
        registry.Upsert(BatchRecord(FakeCid(3)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(10), FakeCid(3), FakeCid(4)) with { Pinned = true });
        registry.Upsert(DatasetRecord(FakeDatasetCid(11), FakeCid(2)));

        // A pinned dataset of datasets keeps its children's children.
        registry.Upsert(DatasetRecord(FakeDatasetCid(20), FakeDatasetCid(21)) with { Pinned = true });
        registry.Upsert(DatasetRecord(FakeDatasetCid(21), FakeCid(5)));

        using var retained = Retained(registry);

        AssertRetainedExactly(retained, FakeCid(1), FakeDatasetCid(10), FakeCid(3), FakeCid(4), FakeDatasetCid(20), FakeDatasetCid(21), FakeCid(5));
        Assert.False(retained.Contains(FakeCid(2)));
        Assert.False(retained.Contains(FakeDatasetCid(11)));

        registry.Unpin(FakeDatasetCid(10));
        using var afterUnpin = Retained(registry);
        Assert.False(afterUnpin.Contains(FakeCid(3)));
    }

    [Fact]
    public void A_retaining_ancestor_is_a_pinned_or_named_cid_above_in_the_links_never_the_cid_itself()
    {
        var registry = NewRegistry();
        // 30 -> 31 -> 32 -> chunk 6: pinning the top keeps the chunk two levels down.
        registry.Upsert(DatasetRecord(FakeDatasetCid(30), FakeDatasetCid(31)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(31), FakeDatasetCid(32)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(32), FakeCid(6)) with { Pinned = true });
        registry.Upsert(BatchRecord(FakeCid(6)) with { Pinned = true });
        registry.Upsert(DatasetRecord(FakeDatasetCid(40), FakeCid(7)));

        // Its own pin does not count; the pinned parent does.
        Assert.Equal(FakeDatasetCid(32), registry.FindRetainingAncestor(FakeCid(6)));
        Assert.Null(registry.FindRetainingAncestor(FakeDatasetCid(32)));
        registry.Unpin(FakeDatasetCid(32));
        Assert.Null(registry.FindRetainingAncestor(FakeCid(6)));

        // A name at the top retains everything below it, however deep.
        registry.AddVersion("deep", FakeDatasetCid(30));
        Assert.Equal(FakeDatasetCid(30), registry.FindRetainingAncestor(FakeCid(6)));
        Assert.Equal(FakeDatasetCid(30), registry.FindRetainingAncestor(FakeDatasetCid(32)));
        Assert.Null(registry.FindRetainingAncestor(FakeDatasetCid(30)));

        // Unlinked or linked only by what nothing keeps: none; a cycle ends.
        Assert.Null(registry.FindRetainingAncestor(FakeCid(7)));
        Assert.Null(registry.FindRetainingAncestor(FakeCid(99)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(41), FakeDatasetCid(42)));
        registry.Upsert(DatasetRecord(FakeDatasetCid(42), FakeDatasetCid(41)));
        Assert.Null(registry.FindRetainingAncestor(FakeDatasetCid(41)));
    }

    [Fact]
    public void Change_feed_numbers_every_change_in_order_and_never_reuses_a_number()
    {
        var registry = NewRegistry();
        registry.Upsert(BatchRecord(FakeCid(1)));
        registry.Upsert(BatchRecord(FakeCid(1)));
        registry.Pin(FakeCid(1));
        registry.SetTag(FakeCid(1), "k", "v");
        registry.AddLocation(FakeCid(1), "x");
        registry.Delete(FakeCid(1));
        registry.Upsert(BatchRecord(FakeCid(2)));

        var all = registry.ChangesSince(0);
        Assert.Equal(
            [RegistryChangeKind.Registered, RegistryChangeKind.Updated, RegistryChangeKind.Pinned, RegistryChangeKind.Tagged, RegistryChangeKind.LocationAdded, RegistryChangeKind.Deleted, RegistryChangeKind.Registered],
            all.Select(c => c.Kind));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.Equal(all[^1].Sequence, registry.LatestSequence);
        Assert.Equal(FakeCid(2), all[^1].Cid);

        // Paging: a subscriber resumes from the last number it saw and misses nothing.
        var paged = new List<RegistryChange>();
        long cursor = 0;
        while (registry.ChangesSince(cursor, limit: 2) is { Count: > 0 } page)
        {
            paged.AddRange(page);
            cursor = page[^1].Sequence;
        }

        Assert.Equal(all, paged);
        Assert.Empty(registry.ChangesSince(registry.LatestSequence));
    }

    [Fact]
    public void Concurrent_registrations_are_all_kept_with_distinct_sequence_numbers()
    {
        var registry = NewRegistry();
        const int Threads = 4;
        const int PerThread = 25;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                registry.Upsert(BatchRecord(FakeCid((t * 1000) + i)));
            }
        });

        Assert.Equal(Threads * PerThread, registry.ListCids().Count);
        var changes = registry.ChangesSince(0, limit: 10_000);
        Assert.Equal(Threads * PerThread, changes.Select(c => c.Sequence).Distinct().Count());
    }

    [Fact]
    public void Arbitrary_text_in_every_field_round_trips()
    {
        var registry = NewRegistry();
        // Text is any well-formed UTF-16 without NUL (SQL text is NUL-terminated in some drivers).
        var text = ArbMap.Default.GeneratorFor<NonNull<string>>()
            .Select(s => new string(s.Get.Where(c => c != '\0' && !char.IsSurrogate(c)).ToArray()));
        var records =
            from schema in text
            from producer in text
            from key in text
            from value in text
            from location in text
            from rows in Gen.Choose(0, int.MaxValue)
            from n in Gen.Choose(0, int.MaxValue)
            select new BlockRecord
            {
                Cid = FakeCid(n),
                Kind = BlockKind.Batch,
                Schema = schema,
                Producer = producer,
                Provenance = "'; DROP TABLE blocks; --",
                Rows = rows,
                Tags = new Dictionary<string, string> { [key] = value },
                Locations = [location],
            };

        Prop.ForAll(records.ToArbitrary(), record =>
        {
            registry.Delete(record.Cid);
            var found = registry.Upsert(record);
            return found.Schema == record.Schema
                && found.Producer == record.Producer
                && found.Provenance == record.Provenance
                && found.Rows == record.Rows
                && found.Tags.Single().Equals(record.Tags.Single())
                && found.Locations.Single() == record.Locations[0]
                && registry.List(new RegistryQuery { Tags = record.Tags }).Any(r => r.Cid == record.Cid);
        }).QuickCheckThrowOnFailure();
    }
}
