using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Names;
using ArrowCid.Registry;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>
/// Each version of a name a node of a signed, hash-linked chain: made as versions are added, made
/// the same way for a repository from before chains and for a rebuilt registry, and its record
/// signed again as it nears its end.
/// </summary>
public sealed class NameChainTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly string _root;
    private ContentRepository _content;

    public NameChainTests()
    {
        _root = Path.Combine(_temp.Path, "repo");
        _content = ContentRepository.Open(_root);
    }

    public void Dispose()
    {
        _content.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Named_puts_make_a_chain_whose_record_verifies_back_to_version_one()
    {
        var tables = Enumerable.Range(1, 3).Select(i => Put("plant-3/temps", i)).ToList();

        var versions = _content.Repository.Registry.ListVersions("plant-3/temps", oldestFirst: true);
        Assert.All(versions, v => Assert.NotNull(v.Node));
        var signer = _content.Names.SignerOf("plant-3/temps")!;
        var signed = Resolve(signer);
        Assert.Equal([3L, 2L, 1L], signed.Chain.Select(c => c.Node.Version));
        Assert.Equal(tables.AsEnumerable().Reverse(), signed.Chain.Select(c => c.Node.Table));
        Assert.Equal(versions.Reverse().Select(v => v.Node!), signed.Chain.Select(c => c.Cid));
        Assert.Equal(versions.Select(v => v.Created), signed.Chain.Reverse().Select(c => c.Node.Created));
        Assert.Equal(3UL, signed.Record.Sequence);

        // Signed by a key of its own, kept owner-only; the nodes are history, not tables.
        string keyName = NameChain.DefaultKeyName("plant-3/temps");
        Assert.StartsWith("name-", keyName, StringComparison.Ordinal);
        Assert.Equal(signer, _content.Names.Keys.List().Single(k => k.Name == keyName).IpnsName);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_root, "keys", keyName)));
        }
        Assert.Equal("sensors", NameChain.DefaultKeyName("sensors"));
        Assert.Equal(BlockKind.VersionNode, _content.Repository.GetRecord(signed.HeadCid)!.Kind);
        Assert.DoesNotContain(_content.Repository.Registry.List(new RegistryQuery { TablesOnly = true }), r => r.Kind == BlockKind.VersionNode);

        // Collection keeps every node (and so every version's table) with nothing pinned but them.
        foreach (var table in tables)
        {
            _content.Repository.Unpin(table);
        }

        _content.Repository.GcListed();
        Assert.Equal(3, Resolve(signer).Chain.Count);
    }

    [Fact]
    public async Task Puts_to_one_name_from_many_threads_make_one_chain_of_every_version()
    {
        const int Writers = 6;
        const int Each = 5;
        using var start = new Barrier(Writers);
        var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < Each; i++)
            {
                Put("busy", 100 + (w * Each) + i);
            }
        }));
        await Task.WhenAll(writers);

        var versions = _content.Repository.Registry.ListVersions("busy");
        Assert.Equal(Writers * Each, versions.Count);
        var signed = Resolve(_content.Names.SignerOf("busy")!);
        Assert.Equal(versions.Select(v => (v.Version, v.Cid, v.Node!)), signed.Chain.Select(c => (c.Node.Version, c.Node.Table, c.Cid)));
        Assert.Equal((ulong)(Writers * Each), signed.Record.Sequence);
    }

    [Fact]
    public void A_repository_from_before_chains_gets_them_linked_with_the_same_versions()
    {
        // Versions recorded as a build before chains recorded them: in the registry alone.
        var tables = Enumerable.Range(1, 4).Select(i => _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(i, 5 + i)]).Table.Cid).ToList();
        var before = tables.Select(t => _content.Repository.AddVersion("sensors", t)).ToList();
        Assert.All(before, v => Assert.Null(v.Node));
        Assert.Null(_content.Names.SignerOf("sensors"));

        Assert.Equal(4, _content.Names.LinkAll());
        Assert.Equal(0, _content.Names.LinkAll());
        var signed = Resolve(_content.Names.SignerOf("sensors")!);
        Assert.Equal(before.AsEnumerable().Reverse().Select(v => (v.Version, v.Cid, v.Created)), signed.Chain.Select(c => (c.Node.Version, c.Node.Table, c.Node.Created)));

        // The next version continues the chain.
        Put("sensors", 9);
        Assert.Equal(5, Resolve(_content.Names.SignerOf("sensors")!).Chain.Count);
    }

    [Fact]
    public void A_registry_rebuilt_from_the_repository_links_the_same_nodes_and_signs_the_latest_record()
    {
        Put("sensors", 1);
        Put("sensors", 2);
        var signer = _content.Names.SignerOf("sensors")!;
        var nodes = _content.Repository.Registry.ListVersions("sensors").Select(v => v.Node).ToList();
        _content.Dispose();

        LocalRepository.RebuildRegistry(_root);
        _content = ContentRepository.Open(_root);
        Assert.All(_content.Repository.Registry.ListVersions("sensors"), v => Assert.Null(v.Node));
        Assert.Null(_content.Names.Record(signer));

        Assert.Equal(2, _content.Names.LinkAll());
        Assert.Equal(nodes, _content.Repository.Registry.ListVersions("sensors").Select(v => v.Node));
        Assert.Equal(2, Resolve(signer).Chain.Count);
    }

    [Fact]
    public void Linking_from_what_is_held_stops_at_each_node_not_published_and_goes_on_from_there()
    {
        // Three versions recorded, none linked: what a writer that stopped short leaves.
        var tables = Enumerable.Range(1, 3).Select(i => _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(i, 5 + i)]).Table.Cid).ToList();
        var versions = tables.Select(t => _content.Repository.AddVersion("sensors", t)).ToList();
        var names = new NameChain(_content, _content.Repository.Registry);
        var published = new List<Cid>();
        var unpublished = new List<Cid>();
        while (true)
        {
            try
            {
                var head = names.PublishFromHeld(versions[^1], published.Contains);
                Assert.Equal(3, head.Node.Version);
                break;
            }
            catch (UnpublishedNodeException e)
            {
                // Not linked while not published: the registry names no node the bucket lacks.
                var linked = _content.Repository.Registry.ListVersions("sensors", oldestFirst: true).Count(v => v.Node is not null);
                Assert.Equal(published.Count, linked);
                unpublished.Add(e.Node!);
                published.Add(e.Node!);
            }

            Assert.True(unpublished.Count <= 3, "a node published is asked for again");
        }

        // One stop a version, oldest first, and the nodes linked are the ones published, as Publish makes them.
        Assert.Equal(3, unpublished.Count);
        Assert.Equal(unpublished, _content.Repository.Registry.ListVersions("sensors", oldestFirst: true).Select(v => v.Node!));
        names.Dispose();

        // A table the repository lacks stops it too, naming the table, with nothing fetched.
        var elsewhere = ContentRepository.Open(Path.Combine(_temp.Path, "elsewhere"));
        using (elsewhere)
        {
            var table = elsewhere.PutStream(SampleBatches.Schema, [SampleBatches.Build(9, 9)]).Table.Cid;
            using var registry = RegistryFactory.Open("sqlite:" + Path.Combine(_temp.Path, "shared.db"));
            registry.Upsert(elsewhere.Repository.GetRecord(table)!);
            var fetched = new List<Cid>();
            using var sharing = new NameChain(_content, registry, fetchMissing: cid => { fetched.Add(cid); return null; });
            var missing = Assert.Throws<BlockNotFoundException>(() => sharing.PublishFromHeld(registry.AddVersion("other", table)!, _ => true));
            Assert.Equal(table, missing.Cid);
            Assert.Empty(fetched);
        }
    }

    [Fact]
    public void A_record_near_its_end_is_signed_again_with_the_same_value_and_sequence()
    {
        var names = new NameChain(_content, _content.Repository.Registry) { RecordLifetime = TimeSpan.FromMinutes(2) };
        Put("sensors", 1);
        var version = _content.Repository.Registry.FindVersion("sensors")!;
        var signer = _content.Names.SignerOf("sensors")!;
        var first = IpnsRecord.Verify(names.Record(signer)!, signer, DateTimeOffset.UtcNow);

        // Kept for 48 hours by the repository's chain: more than half of a 2-minute lifetime is left.
        Assert.True(first.Validity > DateTimeOffset.UtcNow.AddHours(47));
        names.Publish(version);
        var shortLived = IpnsRecord.Verify(_content.Repository.Registry.FindIpnsRecord(signer.ToString())!, signer, DateTimeOffset.UtcNow);
        Assert.Equal(first.Validity, shortLived.Validity);

        // A record that is itself near its end: signed again on the way out, same value and sequence.
        byte[] old;
        using (var key = _content.Names.Keys.Load("sensors"))
        {
            old = IpnsRecord.Create(key, first.Value, first.Sequence + 1, DateTimeOffset.UtcNow.AddSeconds(30), TimeSpan.Zero);
        }

        Assert.True(_content.Repository.Registry.KeepIpnsRecord(new KeptIpnsRecord(signer.ToString(), (long)first.Sequence + 1, DateTimeOffset.UtcNow.AddSeconds(30), old)));
        var renewed = IpnsRecord.Verify(names.Record(signer)!, signer, DateTimeOffset.UtcNow);
        Assert.Equal((first.Value, first.Sequence + 1), (renewed.Value, renewed.Sequence));
        Assert.True(renewed.Validity > DateTimeOffset.UtcNow.AddSeconds(90));
        names.Dispose();
    }

    [Fact]
    public void A_record_from_elsewhere_is_kept_only_when_it_verifies_and_is_newer()
    {
        Put("sensors", 1);
        var signer = _content.Names.SignerOf("sensors")!;
        var head = _content.Repository.Registry.FindVersion("sensors")!.Node!;
        Assert.True(_content.Names.Follows(signer));
        using var stranger = NameKey.Generate();
        Assert.False(_content.Names.Follows(stranger.Name));

        using var key = _content.Names.Keys.Load("sensors");
        Assert.False(_content.Names.Accept(signer, IpnsRecord.Create(key, "/ipfs/" + head, 1, DateTimeOffset.UtcNow.AddHours(1), TimeSpan.Zero)));
        Assert.Throws<IpnsRecordException>(() => _content.Names.Accept(signer, IpnsRecord.Create(stranger, "/ipfs/" + head, 7, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero)));
        Assert.True(_content.Names.Accept(signer, IpnsRecord.Create(key, "/ipfs/" + head, 1, DateTimeOffset.UtcNow.AddDays(30), TimeSpan.Zero)));
    }

    [Fact]
    public void A_record_accepted_from_elsewhere_is_kept_again_in_a_rebuilt_registry()
    {
        Put("sensors", 1);
        var head = _content.Repository.Registry.FindVersion("sensors")!.Node!;
        using var publisher = NameKey.Generate();
        byte[] older = IpnsRecord.Create(publisher, "/ipfs/" + head, 1, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero);
        byte[] newer = IpnsRecord.Create(publisher, "/ipfs/" + head, 2, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero);
        Assert.True(_content.Names.Accept(publisher.Name, newer));
        Assert.False(_content.Names.Accept(publisher.Name, older));
        _content.Dispose();

        LocalRepository.RebuildRegistry(_root);
        _content = ContentRepository.Open(_root);
        Assert.Null(_content.Repository.Registry.FindIpnsRecord(publisher.Name.ToString()));

        _content.Names.LinkAll();
        Assert.Equal(newer, _content.Repository.Registry.FindIpnsRecord(publisher.Name.ToString()));
        Assert.True(_content.Names.Follows(publisher.Name));
    }

    private Cid Put(string name, int seed) =>
        _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(seed, 5 + seed)], new PutOptions { Name = name }).Table.Cid;

    private SignedName Resolve(IpnsName name) =>
        SignedName.Verify(name, _content.Names.Record(name)!, cid => _content.Repository.Blocks.Has(cid) ? _content.GetBytes(cid).ToArray() : null, DateTimeOffset.UtcNow);
}
