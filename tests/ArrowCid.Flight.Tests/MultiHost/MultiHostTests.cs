using ArrowCid.Flight.Service;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Node;
using ArrowCid.Registry;
using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Tests.Postgres;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// Three Flight nodes in one process, each over its own repository (its own block store), all
/// sharing one PostgreSQL registry through a <see cref="PostgresRegistry"/> of their own, as
/// separate hosts would. Subscribers look at the change feed only when woken (the poll interval
/// is an hour), so a put on another node reaches them only through LISTEN/NOTIFY.
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class MultiHostTests(PostgresTestServer server, ITestOutputHelper output) : IAsyncLifetime
{
    // A hang guard only: a lost notification fails the test instead of blocking the run.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly List<(FlightNodeFixture Node, PostgresRegistry Registry, IDisposable Wake)> _nodes = [];

    private FlightNodeFixture A => _nodes[0].Node;

    private FlightNodeFixture B => _nodes[1].Node;

    private FlightNodeFixture C => _nodes[2].Node;

    public async Task InitializeAsync()
    {
        if (!server.Available)
        {
            return;
        }

        string database = server.CreateDatabase();
        for (int i = 0; i < 3; i++)
        {
            var registry = new PostgresRegistry(database);
            var node = await FlightNodeFixture.StartAsync(new NodeOptions
            {
                SharedRegistry = registry,
                ChangePollInterval = TimeSpan.FromHours(1),
            });
            _nodes.Add((node, registry, registry.Subscribe(node.Node.Node.Changes.Notify)));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var (node, registry, wake) in _nodes)
        {
            wake.Dispose();
            await node.DisposeAsync();
            registry.Dispose();
        }
    }

    [Fact]
    public async Task A_put_on_one_node_is_listed_fetched_by_cid_verified_and_kept_by_another()
    {
        if (Skipped())
        {
            return;
        }

        using var onA = A.Client();
        using var onB = B.Client();
        using var batch = TestBatches.Small(501);
        var put = await onA.PutAsync(batch.Schema, [batch]);
        var cid = put.Batches[0].Cid;
        byte[] canonical = A.Content.Repository.GetBlock(cid).ToArray();
        Assert.False(B.Content.Repository.Blocks.Has(cid));

        // B lists A's location for content it does not hold.
        var info = await onB.GetInfoAsync(cid);
        var locations = info.Endpoint.SelectMany(e => e.Location).Select(l => l.Uri).ToList();
        Assert.Contains(A.Location, locations);
        Assert.DoesNotContain(B.Location, locations);

        // DoGet on B: fetched from A by CID, hash-checked, kept, and served byte for byte.
        var fetched = await onB.GetAsync(cid);
        Assert.Equal(canonical, fetched.Batches.Single().CanonicalBytes.ToArray());
        Assert.True(B.Content.Repository.Blocks.Has(cid));
        Assert.Equal(canonical, B.Content.Repository.GetBlock(cid).ToArray());

        // B's copy is registered in the shared registry, so C now sees both holders.
        var record = _nodes[2].Registry.Find(cid)!;
        Assert.Contains(A.Location, record.Locations);
        Assert.Contains(B.Location, record.Locations);
        using var onC = C.Client();
        var fromC = (await onC.GetInfoAsync(cid)).Endpoint.SelectMany(e => e.Location).Select(l => l.Uri).ToList();
        Assert.Contains(A.Location, fromC);
        Assert.Contains(B.Location, fromC);
    }

    [Fact]
    public async Task A_dataset_put_on_one_node_is_fetched_whole_by_another()
    {
        if (Skipped())
        {
            return;
        }

        using var onA = A.Client();
        using var onB = B.Client();
        using var first = TestBatches.Small(901);
        using var second = TestBatches.Small(902);
        var put = await onA.PutAsync(first.Schema, [first, second]);
        Assert.False(B.Content.Repository.Blocks.Has(put.Table));

        var fetched = await onB.GetAsync(put.Table);
        Assert.Equal(put.Batches.Select(b => b.Cid), fetched.Batches.Select(b => b.Cid));
        Assert.True(B.Content.Repository.Blocks.Has(put.Table));
        Assert.All(put.Batches, b => Assert.True(B.Content.Repository.Blocks.Has(b.Cid)));
    }

    [Fact]
    public async Task Puts_to_one_name_on_three_nodes_at_once_get_distinct_versions_any_node_resolves()
    {
        if (Skipped())
        {
            return;
        }

        var clients = new[] { A.Client(), B.Client(), C.Client() };
        const int PerNode = 4;
        var puts = await Task.WhenAll(clients.SelectMany((client, n) => Enumerable.Range(0, PerNode).Select(async i =>
        {
            using var batch = TestBatches.Small(1100 + (n * 10) + i);
            return await client.PutAsync(new Protocol.FlightDescriptor { Type = Protocol.FlightDescriptor.Types.DescriptorType.Path, Path = { "fleet", "positions" } }, batch.Schema, [batch]);
        })));

        Assert.Equal(Enumerable.Range(1, 3 * PerNode).Select(v => (long?)v), puts.Select(p => p.Version).Order());
        Assert.All(puts, p => Assert.Equal("fleet/positions", p.Name));

        // Every node answers for every version from the shared registry, and fetches content another node holds.
        foreach (var put in puts)
        {
            var client = clients[(int)(put.Version!.Value % 3)];
            var info = await client.GetInfoAsync(Client.FlightClient.NameDescriptor($"fleet/positions@{put.Version}"));
            Assert.Equal(put.Table.ToString(), Assert.Single(info.Endpoint).Ticket.Ticket_.ToStringUtf8());
        }

        var latest = puts.Single(p => p.Version == 3 * PerNode);
        Assert.Equal(latest.Table, (await clients[0].GetByNameAsync("fleet/positions")).Cid);
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task A_subscriber_on_one_node_is_told_of_a_put_made_on_another()
    {
        if (Skipped())
        {
            return;
        }

        using var onA = A.Client();
        using var onB = B.Client();
        using var guard = new CancellationTokenSource(Guard);
        using var subscription = await onB.SubscribeAsync(cancellationToken: guard.Token);
        using var batch = TestBatches.Small(701);
        var put = await onA.PutAsync(batch.Schema, [batch]);

        // A small put is a one-chunk table, named by its chunk: one registration.
        Assert.Equal(put.Table, Assert.Single(put.Batches).Cid);
        var registered = new List<string>();
        while (registered.Count < 1)
        {
            var next = await subscription.NextAsync(guard.Token);
            Assert.NotNull(next);
            Assert.True(next.Sequence > subscription.StartSequence);
            if (next.Change == "registered")
            {
                registered.Add(next.Cid.ToString());
            }
        }

        Assert.Equal([put.Table.ToString()], registered);
    }

    private bool Skipped()
    {
        if (server.Available)
        {
            return false;
        }

        output.WriteLine(PostgresTestServer.SkipMessage);
        return true;
    }
}
