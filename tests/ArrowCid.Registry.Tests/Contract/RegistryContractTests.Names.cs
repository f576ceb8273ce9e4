using ArrowCid.Content.Multiformats;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Registry.Tests.Contract;

/// <summary>The named-dataset part of the contract: versions, lookups, retention, validation, concurrent writers.</summary>
public abstract partial class RegistryContractTests
{
    /// <summary>A second, independent registry instance (its own connections) on the database of <paramref name="registry"/>.</summary>
    protected abstract IRegistry OpenSameDatabase(IRegistry registry);

    [Fact]
    public void Versions_of_a_name_are_numbered_from_1_and_found_by_number_or_as_the_latest()
    {
        var registry = NewRegistry();
        var cids = Enumerable.Range(1, 3).Select(FakeDatasetCid).ToArray();
        foreach (var cid in cids)
        {
            registry.Upsert(DatasetRecord(cid));
        }

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var added = cids.Select(c => registry.AddVersion("sensors", c)!).ToArray();

        Assert.Equal([1L, 2L, 3L], added.Select(v => v.Version));
        Assert.All(added, v => Assert.Equal("sensors", v.Name));
        Assert.All(added, v => Assert.InRange(v.Created, before, DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Equal(added[2], registry.FindVersion("sensors"));
        Assert.Equal(added[0], registry.FindVersion("sensors", 1));
        Assert.Equal(cids[1], registry.FindVersion("sensors", 2)!.Cid);
        Assert.Null(registry.FindVersion("sensors", 4));
        Assert.Null(registry.FindVersion("sensors", 0));
        Assert.Null(registry.FindVersion("unknown"));
        Assert.Equal(added.Reverse(), registry.ListVersions("sensors"));
        Assert.Empty(registry.ListVersions("unknown"));
        Assert.Equal("sensors@2", added[1].ToString());
    }

    [Fact]
    public void A_versions_chain_node_is_linked_once_and_the_first_writer_wins()
    {
        var registry = NewRegistry();
        var other = OpenSameDatabase(registry);
        registry.Upsert(DatasetRecord(FakeDatasetCid(1)));
        var added = registry.AddVersion("sensors", FakeDatasetCid(1))!;
        Assert.Null(added.Node);

        Assert.Equal(FakeDatasetCid(7), other.LinkVersion("sensors", 1, FakeDatasetCid(7)));
        Assert.Equal(FakeDatasetCid(7), registry.LinkVersion("sensors", 1, FakeDatasetCid(8)));
        Assert.Equal(FakeDatasetCid(7), registry.FindVersion("sensors")!.Node);
        Assert.Equal(FakeDatasetCid(7), Assert.Single(registry.ListVersions("sensors")).Node);
        Assert.Equal(FakeDatasetCid(7), Assert.Single(registry.ListNames()).Node);
        Assert.Null(registry.LinkVersion("sensors", 2, FakeDatasetCid(8)));
        Assert.Null(registry.LinkVersion("unknown", 1, FakeDatasetCid(8)));
    }

    [Fact]
    public void A_record_handed_over_with_a_link_is_kept_only_when_that_node_is_the_one_linked()
    {
        var registry = NewRegistry();
        var other = OpenSameDatabase(registry);
        const string ipns = "k51qzi5uqu5dkf0dni3nkm9mrwoudm5t5shxutr3421dhtj2e1exggfo8x4e1y";
        var now = new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
        registry.Upsert(DatasetRecord(FakeDatasetCid(1)));
        registry.AddVersion("sensors", FakeDatasetCid(1));
        registry.AddVersion("sensors", FakeDatasetCid(1));

        Assert.Equal(FakeDatasetCid(7), other.LinkVersion("sensors", 1, FakeDatasetCid(7), new KeptIpnsRecord(ipns, 1, now, [1])));
        Assert.Equal([1], registry.FindIpnsRecord(ipns));
        // Another writer's node is the one linked: the record pointing at this one is not kept.
        Assert.Equal(FakeDatasetCid(7), registry.LinkVersion("sensors", 1, FakeDatasetCid(8), new KeptIpnsRecord(ipns, 1, now.AddDays(1), [2])));
        Assert.Equal([1], registry.FindIpnsRecord(ipns));
        // Linked and kept by the usual order: a lower sequence than the one kept stays out.
        Assert.True(registry.KeepIpnsRecord(new KeptIpnsRecord(ipns, 5, now, [5])));
        Assert.Equal(FakeDatasetCid(9), registry.LinkVersion("sensors", 2, FakeDatasetCid(9), new KeptIpnsRecord(ipns, 2, now, [3])));
        Assert.Equal([5], other.FindIpnsRecord(ipns));
        Assert.Null(registry.LinkVersion("sensors", 3, FakeDatasetCid(9), new KeptIpnsRecord(ipns, 9, now, [9])));
        Assert.Equal([5], other.FindIpnsRecord(ipns));
    }

    [Fact]
    public void An_ipns_record_is_kept_unless_the_one_kept_has_a_higher_sequence_or_a_later_validity()
    {
        var registry = NewRegistry();
        var other = OpenSameDatabase(registry);
        const string name = "k51qzi5uqu5dkf0dni3nkm9mrwoudm5t5shxutr3421dhtj2e1exggfo8x4e1y";
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        Assert.Null(registry.FindIpnsRecord(name));

        Assert.True(registry.KeepIpnsRecord(new KeptIpnsRecord(name, 2, now, [2])));
        Assert.Equal([2], other.FindIpnsRecord(name));
        Assert.False(other.KeepIpnsRecord(new KeptIpnsRecord(name, 1, now.AddDays(9), [1])));
        Assert.False(other.KeepIpnsRecord(new KeptIpnsRecord(name, 2, now, [3])));
        Assert.True(other.KeepIpnsRecord(new KeptIpnsRecord(name, 2, now.AddHours(1), [4])));
        Assert.True(registry.KeepIpnsRecord(new KeptIpnsRecord(name, 3, now.AddDays(-1), [5])));
        Assert.Equal([5], registry.FindIpnsRecord(name));
        Assert.Null(registry.FindIpnsRecord("k51other"));
    }

    [Fact]
    public void A_names_versions_are_listed_a_page_at_a_time_either_way_and_walked_whole()
    {
        // Seven versions of one name (two CIDs named twice), one of another name beside them.
        var registry = NewRegistry();
        var cids = Enumerable.Range(1, 5).Select(FakeDatasetCid).ToArray();
        foreach (var cid in cids)
        {
            registry.Upsert(DatasetRecord(cid));
        }

        foreach (var cid in cids.Concat(cids.Take(2)))
        {
            registry.AddVersion("feed", cid);
        }

        registry.AddVersion("other", cids[4]);
        var newestFirst = registry.ListVersions("feed");
        Assert.Equal([7L, 6, 5, 4, 3, 2, 1], newestFirst.Select(v => v.Version));

        Assert.Equal([7L, 6, 5], registry.ListVersions("feed", limit: 3).Select(v => v.Version));
        Assert.Equal([4L, 3, 2], registry.ListVersions("feed", after: 5, limit: 3).Select(v => v.Version));
        Assert.Equal([1L], registry.ListVersions("feed", after: 2, limit: 3).Select(v => v.Version));
        Assert.Empty(registry.ListVersions("feed", after: 1));
        Assert.Equal([1L, 2], registry.ListVersions("feed", limit: 2, oldestFirst: true).Select(v => v.Version));
        Assert.Equal([6L, 7], registry.ListVersions("feed", after: 5, oldestFirst: true).Select(v => v.Version));

        // Walked in pages of two: every version once, in order, whichever way.
        Assert.Equal(newestFirst, registry.WalkVersions("feed", window: 2));
        Assert.Equal(newestFirst.Reverse(), registry.WalkVersions("feed", oldestFirst: true, window: 2));
        Assert.Equal(newestFirst, registry.WalkVersions("feed", window: 7));
        Assert.Empty(registry.WalkVersions("nothing", window: 2));

        // The records a name's versions point at, each once, in listing order.
        Assert.Equal(cids, registry.List(new RegistryQuery { Name = "feed" }).Select(r => r.Cid));
        Assert.Equal([cids[4]], registry.List(new RegistryQuery { Name = "other" }).Select(r => r.Cid));
        Assert.Equal(cids.Take(2), registry.List(new RegistryQuery { Name = "feed", Limit = 2 }).Select(r => r.Cid));
        Assert.Empty(registry.List(new RegistryQuery { Name = "nothing" }));
        Assert.Throws<InvalidDatasetNameException>(() => registry.List(new RegistryQuery { Name = "/bad" }));
    }

    [Fact]
    public void One_cid_may_be_several_versions_and_names_list_with_their_latest_in_ordinal_order()
    {
        var registry = NewRegistry();
        var a = FakeDatasetCid(1);
        var b = FakeCid(2);
        registry.Upsert(DatasetRecord(a));
        registry.Upsert(BatchRecord(b));

        registry.AddVersion("plant-3/temps", a);
        registry.AddVersion("plant-3/temps", b);
        registry.AddVersion("plant-3/temps", a);
        registry.AddVersion("Zürich", b);
        registry.AddVersion("alpha", a);

        var names = registry.ListNames();
        Assert.Equal(["Zürich", "alpha", "plant-3/temps"], names.Select(n => n.Name));
        Assert.Equal([1L, 1L, 3L], names.Select(n => n.Version));
        Assert.Equal([b, a, a], names.Select(n => n.Cid));
        Assert.Equal(
            [("alpha", 1L), ("plant-3/temps", 1L), ("plant-3/temps", 3L)],
            registry.ListVersionsOf(a).Select(v => (v.Name, v.Version)));
        Assert.Empty(registry.ListVersionsOf(FakeCid(99)));
    }

    [Fact]
    public void The_composed_and_decomposed_spellings_of_a_name_are_one_history()
    {
        var registry = NewRegistry();
        var cids = Enumerable.Range(1, 2).Select(FakeDatasetCid).ToArray();
        foreach (var cid in cids)
        {
            registry.Upsert(DatasetRecord(cid));
        }

        var first = registry.AddVersion("caf\u00e9", cids[0])!;
        var second = registry.AddVersion("cafe\u0301", cids[1])!;

        Assert.Equal(2, second.Version);
        Assert.Equal(first.Name, second.Name);
        Assert.Equal("caf\u00e9", second.Name);
        Assert.Equal(second, registry.FindVersion("cafe\u0301"));
        Assert.Equal(2, registry.ListVersions("caf\u00e9").Count);
        Assert.Single(registry.ListNames());
    }

    [Fact]
    public void Naming_an_unregistered_cid_records_nothing()
    {
        var registry = NewRegistry();
        long sequence = registry.LatestSequence;

        Assert.Null(registry.AddVersion("sensors", FakeDatasetCid(1)));

        Assert.Empty(registry.ListNames());
        Assert.Equal(sequence, registry.LatestSequence);
    }

    [Fact]
    public void A_new_version_is_a_change_of_its_cid()
    {
        var registry = NewRegistry();
        var cid = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(cid));
        long start = registry.LatestSequence;

        registry.AddVersion("sensors", cid);

        var change = Assert.Single(registry.ChangesSince(start));
        Assert.Equal(RegistryChangeKind.Versioned, change.Kind);
        Assert.Equal(cid, change.Cid);
    }

    [Fact]
    public void Every_version_keeps_its_content_and_what_it_links_from_collection()
    {
        var registry = NewRegistry();
        var old = FakeDatasetCid(1);
        var current = FakeDatasetCid(2);
        registry.Upsert(DatasetRecord(old, FakeCid(10)));
        registry.Upsert(DatasetRecord(current, FakeCid(20)));
        registry.Upsert(BatchRecord(FakeCid(30)));

        registry.AddVersion("sensors", old);
        registry.AddVersion("sensors", current);

        using var retained = Retained(registry);
        AssertRetainedExactly(retained, old, current, FakeCid(10), FakeCid(20));
        Assert.False(retained.Contains(FakeCid(30)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/sensors")]
    [InlineData("sensors/")]
    [InlineData("plant-3//temps")]
    [InlineData("a/./b")]
    [InlineData("a/..")]
    [InlineData("sensors@2")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")]
    public void Invalid_names_are_refused_with_a_typed_error(string name)
    {
        var registry = NewRegistry();
        var cid = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(cid));

        Assert.Throws<InvalidDatasetNameException>(() => registry.AddVersion(name, cid));
        Assert.Throws<InvalidDatasetNameException>(() => registry.FindVersion(name));
        Assert.Throws<InvalidDatasetNameException>(() => registry.ListVersions(name));
        Assert.Empty(registry.ListNames());
    }

    [Fact]
    public void A_name_that_is_not_well_formed_unicode_is_refused()
    {
        // Built here: attribute arguments are stored as UTF-8, which would turn the lone surrogate into U+FFFD.
        string lone = new string([(char)0xD800, 'x']);
        var registry = NewRegistry();
        var cid = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(cid));

        Assert.Throws<InvalidDatasetNameException>(() => registry.AddVersion(lone, cid));
        Assert.Throws<InvalidDatasetNameException>(() => registry.AddVersion("x" + lone[0], cid));
        Assert.Empty(registry.ListNames());
    }

    [Fact]
    public void A_name_of_the_longest_length_is_kept_and_one_byte_more_refused()
    {
        var registry = NewRegistry();
        var cid = FakeDatasetCid(1);
        registry.Upsert(DatasetRecord(cid));

        // 'é' is two UTF-8 bytes: the limit counts bytes, not characters.
        string longest = new string('é', DatasetName.MaxBytes / 2);
        Assert.Equal(1, registry.AddVersion(longest, cid)!.Version);
        Assert.Equal(cid, registry.FindVersion(longest)!.Cid);
        Assert.Throws<InvalidDatasetNameException>(() => registry.AddVersion(longest + "x", cid));
    }

    [Fact]
    public void Concurrent_writers_on_separate_connections_lose_no_version_and_repeat_none()
    {
        var first = NewRegistry();
        const int Writers = 6;
        const int PerWriter = 15;
        var writers = Enumerable.Range(0, Writers).Select(w => w == 0 ? first : Track(OpenSameDatabase(first))).ToArray();
        var cids = Enumerable.Range(0, Writers * PerWriter).Select(FakeDatasetCid).ToArray();
        foreach (var cid in cids)
        {
            first.Upsert(DatasetRecord(cid));
        }

        var recorded = new System.Collections.Concurrent.ConcurrentBag<NamedVersion>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        using var start = new Barrier(Writers);
        var threads = Enumerable.Range(0, Writers).Select(w => new Thread(() =>
        {
            start.SignalAndWait();
            try
            {
                for (int i = 0; i < PerWriter; i++)
                {
                    recorded.Add(writers[w].AddVersion("shared/name", cids[(w * PerWriter) + i])!);
                }
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
            {
                failures.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(failures);

        // 1 … N exactly, each returned once, and the stored history agrees with what writers were told.
        var versions = first.ListVersions("shared/name");
        Assert.Equal(Enumerable.Range(1, Writers * PerWriter).Reverse().Select(v => (long)v), versions.Select(v => v.Version));
        Assert.Equal(recorded.OrderBy(v => v.Version).Select(v => (v.Version, v.Cid)), versions.Reverse().Select(v => (v.Version, v.Cid)));
        Assert.Equal(cids.ToHashSet(), versions.Select(v => v.Cid).ToHashSet());

        // Each writer's own versions are in the order it wrote them.
        for (int w = 0; w < Writers; w++)
        {
            var mine = cids.Skip(w * PerWriter).Take(PerWriter).ToList();
            Assert.Equal(mine, versions.Reverse().Select(v => v.Cid).Where(mine.Contains));
        }
    }
}
