using System.Text.Json.Nodes;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Grpc;
using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Tests.Postgres;
using ArrowCid.Repository;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// Nodes as operators run them (`arrowcid serve --registry` children) on one PostgreSQL registry,
/// and the commands they run on a node's folder: what any node names or pins survives every
/// node's gc, a node's gc and deletes take only its own location from the shared records, a
/// folder remembers its registry, and one folder has one node.
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class SharedRegistryNodeTests(PostgresTestServer server, ITestOutputHelper output)
{
    [Fact]
    public async Task Gc_on_a_node_keeps_what_any_node_names_or_pins_and_releases_only_its_own_location()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        string registry = cluster.Registry;
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var onB = new FlightClient(b.Location);

        // A named table of several chunks, put on A, then unpinned there: its name keeps it.
        using var big = TestBatches.Large(3L << 20, seed: 36);
        var named = await onA.PutAsync(FlightClient.PutDescriptor(name: "u"), big.Schema, [big]);
        await onA.ActionAsync("unpin", named.Table.ToString());
        // A table put on A unpinned, and pinned through B (B holds no copy: the pin is in the shared registry).
        using var small = TestBatches.Small(7, rows: 50);
        var pinned = await onA.PutAsync(small.Schema, [small]);
        await onA.ActionAsync("unpin", pinned.Table.ToString());
        await onB.ActionAsync("pin", pinned.Table.ToString());
        // A table neither named nor pinned, which B fetches, so both hold it.
        using var loose = TestBatches.Small(8, rows: 50);
        var unkept = await onA.PutAsync(loose.Schema, [loose]);
        await onA.ActionAsync("unpin", unkept.Table.ToString());
        await onB.GetAsync(unkept.Table, null);

        var (exit, text) = await ServeProcess.RunCliAsync("gc", "--repo", a.Repository, "--json");
        output.WriteLine(text);
        Assert.Equal(0, exit);
        var report = JsonNode.Parse(text[..(text.LastIndexOf('}') + 1)])!.AsObject();
        var removed = report["removed_records"]!.AsArray().Select(n => (string)n!).ToHashSet();

        // Nothing of the named or the pinned table went; A still serves both from its own blocks.
        Assert.DoesNotContain(named.Table.ToString(), removed);
        Assert.DoesNotContain(named.Batches[0].Cid.ToString(), removed);
        Assert.DoesNotContain(pinned.Table.ToString(), removed);
        using (var repository = LocalRepository.Open(a.Repository))
        {
            Assert.True(repository.Blocks.Has(named.Table));
            Assert.All(named.Batches, batch => Assert.True(repository.Blocks.Has(batch.Cid)));
            Assert.True(repository.Blocks.Has(pinned.Table));
            Assert.False(repository.Blocks.Has(unkept.Table));
        }

        Assert.Equal(named.Batches.Sum(x => x.Rows), ServeCluster.Rows(await onA.GetByNameAsync("u", null)));
        Assert.Contains(unkept.Table.ToString(), removed);
        Assert.Equal(1, (int)report["locations_released"]!);

        // The loose table's shared record lost A's location only: B still holds and serves it.
        using var shared = new PostgresRegistry(registry);
        Assert.Equal([b.Location], shared.Find(unkept.Table)!.Locations);
        Assert.Contains(a.Location, shared.Find(named.Table)!.Locations);
        // The pins a put holds on its chunks while it writes are the node's own: none reached the shared registry.
        Assert.True(named.Batches.Count > 1);
        Assert.All(named.Batches, batch => Assert.False(shared.Find(batch.Cid)!.Pinned));
        Assert.Equal(50, ServeCluster.Rows(await onA.GetAsync(unkept.Table, null)));
    }

    [Fact]
    public async Task Gc_hands_a_named_table_over_only_to_nodes_that_serve_it_and_never_below_min_copies()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        var c = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var onB = new FlightClient(b.Location);
        using var shared = new PostgresRegistry(cluster.Registry);

        // "copied": put on A, fetched through B, so both hold it. "claimed": put on A, and the
        // registry also lists C (which lacks it) and a node that is gone.
        using var first = TestBatches.Small(41, rows: 30);
        var copied = await onA.PutAsync(FlightClient.PutDescriptor(name: "copied"), first.Schema, [first]);
        Assert.Equal(30, ServeCluster.Rows(await onB.GetAsync(copied.Table, null)));
        using var second = TestBatches.Small(42, rows: 30);
        var claimed = await onA.PutAsync(FlightClient.PutDescriptor(name: "claimed"), second.Schema, [second]);
        const string gone = "grpc+tcp://127.0.0.1:1";
        Assert.True(shared.AddLocation(claimed.Table, c.Location));
        Assert.True(shared.AddLocation(claimed.Table, gone));

        // Two copies asked for: A hands nothing over, since no two others serve either table.
        var strict = await GcAsync(a, "--min-copies", "2");
        Assert.Empty(strict["handed_over"]!.AsArray());
        Assert.Contains(gone, strict["unreachable_nodes"]!.AsArray().Select(n => (string)n!));

        // One copy: B serves "copied" verified, so A hands it over; nobody serves "claimed" but A.
        var relaxed = await GcAsync(a);
        Assert.Equal([copied.Table.ToString()], relaxed["handed_over"]!.AsArray().Select(n => (string)n!));
        using (var repository = LocalRepository.Open(a.Repository))
        {
            Assert.False(repository.Blocks.Has(copied.Table));
            Assert.Null(repository.GetRecord(copied.Table));
            Assert.True(repository.Blocks.Has(claimed.Table));
        }

        Assert.Equal([b.Location], shared.Find(copied.Table)!.Locations);
        Assert.Contains(a.Location, shared.Find(claimed.Table)!.Locations);

        // B is now the only holder: its gc keeps it, and says it is below three copies.
        var onlyHolder = await GcAsync(b, "--min-copies", "3");
        Assert.Empty(onlyHolder["handed_over"]!.AsArray());
        Assert.True((int)onlyHolder["below_min_copies"]! >= 1);
        Assert.Equal([b.Location], shared.Find(copied.Table)!.Locations);

        // The table reads back verified through every node.
        Assert.Equal(30, ServeCluster.Rows(await onA.GetByNameAsync("copied", null)));
        using var onC = new FlightClient(c.Location);
        Assert.Equal(30, ServeCluster.Rows(await onC.GetByNameAsync("claimed", null)));
    }

    [Fact]
    public async Task Two_nodes_collecting_at_once_never_both_hand_over_the_same_table()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var onB = new FlightClient(b.Location);
        using var shared = new PostgresRegistry(cluster.Registry);
        var tables = new List<Cid>();
        for (int i = 0; i < 6; i++)
        {
            using var batch = TestBatches.Small(50 + i, rows: 20);
            var put = await onA.PutAsync(FlightClient.PutDescriptor(name: $"both{i}"), batch.Schema, [batch]);
            Assert.Equal(20, ServeCluster.Rows(await onB.GetAsync(put.Table, null)));
            tables.Add(put.Table);
        }

        // Each verifies the other's copy, then both drop at once: the registry lets one go per table.
        var reports = await Task.WhenAll(GcAsync(a), GcAsync(b));
        int handedOver = reports.Sum(r => r["handed_over"]!.AsArray().Count);
        Assert.Equal(tables.Count, handedOver);
        foreach (var table in tables)
        {
            var holders = shared.Find(table)!.Locations;
            Assert.Single(holders);
            var holder = holders[0] == a.Location ? a : b;
            using var repository = LocalRepository.Open(holder.Repository);
            Assert.True(repository.Blocks.Has(table), $"{table}: {holder.Location} is recorded but lacks it");
        }

        for (int i = 0; i < tables.Count; i++)
        {
            Assert.Equal(20, ServeCluster.Rows(await onA.GetByNameAsync($"both{i}", null)));
            Assert.Equal(20, ServeCluster.Rows(await onB.GetByNameAsync($"both{i}", null)));
        }
    }

    [Fact]
    public async Task A_node_that_handed_chunks_over_stores_them_again_for_its_next_put_and_keeps_them_across_a_kill()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var common = TestBatches.Large(2L << 20, seed: 61);
        using var firstOwn = TestBatches.Large(64L << 10, seed: 62);
        using var secondOwn = TestBatches.Large(64L << 10, seed: 63);
        using (var onA = new FlightClient(a.Location))
        using (var onB = new FlightClient(b.Location))
        {
            var first = await onA.PutAsync(FlightClient.PutDescriptor(name: "v"), common.Schema, [common, firstOwn]);
            Assert.Equal(common.Length + firstOwn.Length, ServeCluster.Rows(await onB.GetByNameAsync("v@1", null)));
            var handed = await GcAsync(a);
            Assert.NotEmpty(handed["handed_over"]!.AsArray());

            // The next version shares the common chunks A no longer holds: A writes them again.
            var second = await onA.PutAsync(FlightClient.PutDescriptor(name: "v"), common.Schema, [common, secondOwn]);
            Assert.Equal(2, second.Version);
        }

        int port = new Uri(a.Location).Port;
        await a.KillAsync();
        a = await cluster.RestartOnAsync(a, "--listen", $"127.0.0.1:{port}", "--http", "127.0.0.1:0");
        using (var onA = new FlightClient(a.Location))
        {
            Assert.Equal(common.Length + secondOwn.Length, ServeCluster.Rows(await onA.GetByNameAsync("v@2", null)));
        }

        var (exit, text) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository);
        Assert.True(exit == 0, text);
        Assert.Contains("agree", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_table_whose_blocks_were_handed_over_to_different_nodes_reads_through_each_of_them()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var onB = new FlightClient(b.Location);
        using var common = TestBatches.Large(2L << 20, seed: 71);
        using var firstOwn = TestBatches.Large(64L << 10, seed: 72);
        using var secondOwn = TestBatches.Large(64L << 10, seed: 73);
        long rows = common.Length + firstOwn.Length;

        // B copies the first table, A hands all of it over; A's second table brings the common
        // chunks back to A, and B hands those over: the first table's root is now on B alone, its
        // common chunks on A alone.
        var first = await onA.PutAsync(FlightClient.PutDescriptor(name: "split"), common.Schema, [common, firstOwn]);
        Assert.Equal(rows, ServeCluster.Rows(await onB.GetByNameAsync("split@1", null)));
        Assert.Contains(first.Table.ToString(), (await GcAsync(a))["handed_over"]!.AsArray().Select(n => (string)n!));
        await onA.PutAsync(FlightClient.PutDescriptor(name: "split"), common.Schema, [common, secondOwn]);
        var fromB = (await GcAsync(b))["handed_over"]!.AsArray().Select(n => (string)n!).ToHashSet();
        using var shared = new PostgresRegistry(cluster.Registry);
        Assert.Equal([b.Location], shared.Find(first.Table)!.Locations);
        Assert.NotEmpty(fromB);
        Assert.DoesNotContain(first.Table.ToString(), fromB);

        // Each node fetches what it lacks block by block, from whichever node holds each: A asks B
        // for the root B holds (B sends it though it lacks the rest of the table), B asks A for the chunks.
        Assert.Equal(rows, ServeCluster.Rows(await onA.GetByNameAsync("split@1", null)));
        Assert.Equal(rows, ServeCluster.Rows(await onB.GetByNameAsync("split@1", null)));
    }

    private async Task<JsonObject> GcAsync(ServeProcess node, params string[] options)
    {
        var (exit, text) = await ServeProcess.RunCliAsync(["gc", "--repo", node.Repository, "--json", .. options]);
        output.WriteLine(text);
        Assert.Equal(0, exit);
        return JsonNode.Parse(text[..(text.LastIndexOf('}') + 1)])!.AsObject();
    }

    [Fact]
    public async Task A_delete_on_one_node_leaves_the_copies_of_the_others()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        string registry = cluster.Registry;
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var onB = new FlightClient(b.Location);
        using var batch = TestBatches.Small(9, rows: 20);
        var put = await onA.PutAsync(batch.Schema, [batch]);
        await onA.ActionAsync("unpin", put.Table.ToString());
        await onB.GetAsync(put.Table, null);

        await onA.ActionAsync("delete", put.Table.ToString());

        using var shared = new PostgresRegistry(registry);
        Assert.Equal([b.Location], shared.Find(put.Table)!.Locations);
        var info = await onB.GetInfoAsync(put.Table);
        Assert.Contains(b.Location, info.Endpoint.SelectMany(e => e.Location).Select(l => l.Uri));
        await onB.ActionAsync("delete", put.Table.ToString());
        Assert.Null(shared.Find(put.Table));
    }

    [Fact]
    public async Task Commands_on_a_node_folder_use_the_registry_it_shares()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        string registry = cluster.Registry;
        var a = await cluster.StartNodeAsync();
        var b = await cluster.StartNodeAsync();
        using var onB = new FlightClient(b.Location);
        using var batch = TestBatches.Small(10, rows: 20);
        var put = await onB.PutAsync(FlightClient.PutDescriptor(name: "from-b"), batch.Schema, [batch]);

        // A's folder knows the name B made, through the registry it remembers.
        var (exit, names) = await ServeProcess.RunCliAsync("names", "--repo", a.Repository);
        Assert.Equal(0, exit);
        Assert.Contains($"from-b 1 {put.Table}", names, StringComparison.Ordinal);
        var settings = NodeSettings.Read(a.Repository)!;
        Assert.Equal(registry, settings.Registry);
        Assert.Equal(a.Location, settings.Location);
        Assert.Equal(a.Id, settings.ProcessId);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(a.Repository, NodeSettings.FileName)));
        }
    }

    [Fact]
    public async Task A_registry_outage_is_unavailable_over_flight_and_503_over_http_and_reads_by_cid_go_on()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server, relayed: true);
        var relay = cluster.Relay!;
        var a = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var batch = TestBatches.Small(12, rows: 20);
        var put = await onA.PutAsync(batch.Schema, [batch]);

        relay.Cut();

        var names = await Assert.ThrowsAsync<RpcException>(() => onA.ActionAsync("names"));
        Assert.Equal(StatusCode.Unavailable, names.Status.StatusCode);
        Assert.Contains("the registry is unreachable", names.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", names.Status.Detail, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = a.Gateway };
        using var listing = await http.GetAsync("/api/v1/tables?limit=1");
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, listing.StatusCode);
        Assert.NotNull(listing.Headers.RetryAfter);
        string body = await listing.Content.ReadAsStringAsync();
        Assert.Contains("the registry is unreachable", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Npgsql", body, StringComparison.Ordinal);

        // What the node holds is still read by CID, verified.
        Assert.Equal(20, ServeCluster.Rows(await onA.GetAsync(put.Table, null)));
        Assert.False(a.HasExited);
    }

    [Fact]
    public async Task A_node_started_while_the_registry_is_down_serves_what_it_holds_and_then_everything()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server, relayed: true);
        string registry = cluster.Registry;
        var relay = cluster.Relay!;
        var a = await cluster.StartNodeAsync();
        using var held = TestBatches.Small(12, rows: 20);
        FlightPutSummary put;
        using (var onA = new FlightClient(a.Location))
        {
            put = await onA.PutAsync(FlightClient.PutDescriptor(name: "before-the-outage"), held.Schema, [held]);
        }

        // Restarted while the registry is away: the node starts, says it is retrying, and serves
        // what it holds by CID; what needs the registry answers UNAVAILABLE.
        int port = new Uri(a.Location).Port;
        await a.KillAsync();
        relay.Pause();
        a = await cluster.RestartOnAsync(a, "--listen", $"127.0.0.1:{port}", "--http", "127.0.0.1:0");
        Assert.Contains("the registry is unreachable", a.Output, StringComparison.Ordinal);
        Assert.Contains("retrying in", a.Output, StringComparison.Ordinal);
        using (var onA = new FlightClient(a.Location))
        {
            Assert.Equal(20, ServeCluster.Rows(await onA.GetAsync(put.Table, null)));
            var refused = await Assert.ThrowsAsync<RpcException>(() => onA.ActionAsync("names"));
            Assert.Equal(StatusCode.Unavailable, refused.Status.StatusCode);
            Assert.DoesNotContain("Npgsql", refused.Status.Detail, StringComparison.Ordinal);
        }

        // The registry comes back: the node says so and serves everything, names and puts too.
        relay.Resume();
        await a.WaitForOutputAsync("registry reached", TimeSpan.FromMinutes(2));
        using (var onA = new FlightClient(a.Location))
        {
            Assert.Contains("before-the-outage", string.Join('\n', await onA.ActionAsync("names")), StringComparison.Ordinal);
            using var batch = TestBatches.Small(13, rows: 20);
            var after = await onA.PutAsync(FlightClient.PutDescriptor(name: "after-the-outage"), batch.Schema, [batch]);
            using var shared = new PostgresRegistry(registry);
            Assert.Equal(after.Table, shared.FindVersion("after-the-outage")!.Cid);
        }
    }

    [Fact]
    public async Task Verify_finds_where_the_shared_registry_and_the_node_disagree_and_repair_sets_both_right()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        string registry = cluster.Registry;
        var a = await cluster.StartNodeAsync();
        using var onA = new FlightClient(a.Location);
        using var batch = TestBatches.Small(14, rows: 20);
        var held = await onA.PutAsync(batch.Schema, [batch]);
        using var shared = new PostgresRegistry(registry);
        // The registry forgets that A holds what it holds, and says A holds what it never had.
        shared.ReleaseLocation(held.Table, a.Location);
        var never = Cid.ForRaw("never stored on A"u8);
        shared.Upsert(new ArrowCid.Registry.BlockRecord { Cid = never, Kind = ArrowCid.Registry.BlockKind.Batch, Rows = 1, Locations = [a.Location] });

        var (found, text) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository, "--json");
        output.WriteLine(text);
        Assert.Equal(1, found);
        var report = JsonNode.Parse(text[..(text.LastIndexOf('}') + 1)])!.AsObject();
        Assert.Equal([never.ToString()], report["stale_locations"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([held.Table.ToString()], report["unrecorded_locations"]!.AsArray().Select(n => (string)n!));

        var (repaired, _) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository, "--repair");
        Assert.Equal(0, repaired);
        Assert.Null(shared.Find(never));
        Assert.Contains(a.Location, shared.Find(held.Table)!.Locations);
        var (clean, again) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository);
        Assert.Equal(0, clean);
        Assert.Contains("agree", again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_node_on_a_folder_and_a_node_in_another_registry_are_refused()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server);
        string registry = cluster.Registry;
        var a = await cluster.StartNodeAsync();

        var second = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RestartOnAsync(a, "--registry", registry));
        Assert.Contains($"already served by process {a.Id} at {a.Location}", second.Message, StringComparison.Ordinal);

        await a.KillAsync();
        var elsewhere = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.RestartOnAsync(a, "--registry", server.CreateDatabase()));
        Assert.Contains("this repository's node shares the registry", elsewhere.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Password=", elsewhere.Message.Replace("Password=***", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);

        // Started again without --registry, the node uses the one its folder remembers.
        var again = await cluster.RestartOnAsync(a);
        using var client = new FlightClient(again.Location);
        using var batch = TestBatches.Small(11, rows: 5);
        var put = await client.PutAsync(batch.Schema, [batch]);
        using var shared = new PostgresRegistry(registry);
        Assert.Contains(again.Location, shared.Find(put.Table)!.Locations);
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
