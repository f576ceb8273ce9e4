using System.Text.Json.Nodes;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Registry;
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
        await onA.ActionAsync("unpin", named.Dataset.ToString());
        // A table put on A unpinned, and pinned through B (B holds no copy: the pin is in the shared registry).
        using var small = TestBatches.Small(7, rows: 50);
        var pinned = await onA.PutAsync(small.Schema, [small]);
        await onA.ActionAsync("unpin", pinned.Dataset.ToString());
        await onB.ActionAsync("pin", pinned.Dataset.ToString());
        // A table neither named nor pinned, which B fetches, so both hold it.
        using var loose = TestBatches.Small(8, rows: 50);
        var unkept = await onA.PutAsync(loose.Schema, [loose]);
        await onA.ActionAsync("unpin", unkept.Dataset.ToString());
        await onB.GetAsync(unkept.Dataset, null);

        var (exit, text) = await ServeProcess.RunCliAsync("gc", "--repo", a.Repository, "--json");
        output.WriteLine(text);
        Assert.Equal(0, exit);
        var report = JsonNode.Parse(text[..(text.LastIndexOf('}') + 1)])!.AsObject();
        var removed = report["removed_records"]!.AsArray().Select(n => (string)n!).ToHashSet();

        // Nothing of the named or the pinned table went; A still serves both from its own blocks.
        Assert.DoesNotContain(named.Dataset.ToString(), removed);
        Assert.DoesNotContain(named.Batches[0].Cid.ToString(), removed);
        Assert.DoesNotContain(pinned.Dataset.ToString(), removed);
        using (var repository = LocalRepository.Open(a.Repository))
        {
            Assert.True(repository.Blocks.Has(named.Dataset));
            Assert.All(named.Batches, batch => Assert.True(repository.Blocks.Has(batch.Cid)));
            Assert.True(repository.Blocks.Has(pinned.Dataset));
            Assert.False(repository.Blocks.Has(unkept.Dataset));
        }

        Assert.Equal(named.Batches.Sum(x => x.Rows), ServeCluster.Rows(await onA.GetByNameAsync("u", null)));
        Assert.Contains(unkept.Dataset.ToString(), removed);
        Assert.Equal(1, (int)report["locations_released"]!);

        // The loose table's shared record lost A's location only: B still holds and serves it.
        using var shared = new PostgresRegistry(registry);
        Assert.Equal([b.Location], shared.Find(unkept.Dataset)!.Locations);
        Assert.Contains(a.Location, shared.Find(named.Dataset)!.Locations);
        // The pins a put holds on its chunks while it writes are the node's own: none reached the shared registry.
        Assert.True(named.Batches.Count > 1);
        Assert.All(named.Batches, batch => Assert.False(shared.Find(batch.Cid)!.Pinned));
        Assert.Equal(50, ServeCluster.Rows(await onA.GetAsync(unkept.Dataset, null)));
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
        await onA.ActionAsync("unpin", put.Dataset.ToString());
        await onB.GetAsync(put.Dataset, null);

        await onA.ActionAsync("delete", put.Dataset.ToString());

        using var shared = new PostgresRegistry(registry);
        Assert.Equal([b.Location], shared.Find(put.Dataset)!.Locations);
        var info = await onB.GetInfoAsync(put.Dataset);
        Assert.Contains(b.Location, info.Endpoint.SelectMany(e => e.Location).Select(l => l.Uri));
        await onB.ActionAsync("delete", put.Dataset.ToString());
        Assert.Null(shared.Find(put.Dataset));
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
        Assert.Contains($"from-b 1 {put.Dataset}", names, StringComparison.Ordinal);
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
        Assert.Equal(20, ServeCluster.Rows(await onA.GetAsync(put.Dataset, null)));
        Assert.False(a.HasExited);
    }

    [Fact]
    public async Task A_node_started_while_the_registry_is_down_waits_for_it_and_then_serves()
    {
        if (Skipped())
        {
            return;
        }

        await using var cluster = ServeCluster.Create(server, relayed: true);
        string registry = cluster.Registry;
        var relay = cluster.Relay!;
        relay.Pause();
        var starting = cluster.StartNodeAsync();
        // The node tried the registry and was turned away: it must wait, not exit.
        await relay.Refused.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.False(starting.IsCompleted);
        relay.Resume();

        var a = await starting;
        Assert.Contains("the registry is unreachable", a.Output, StringComparison.Ordinal);
        Assert.Contains("retrying in", a.Output, StringComparison.Ordinal);
        using var onA = new FlightClient(a.Location);
        using var batch = TestBatches.Small(13, rows: 20);
        var put = await onA.PutAsync(FlightClient.PutDescriptor(name: "after-the-outage"), batch.Schema, [batch]);
        using var shared = new PostgresRegistry(registry);
        Assert.Equal(put.Dataset, shared.FindVersion("after-the-outage")!.Cid);
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
        shared.ReleaseLocation(held.Dataset, a.Location);
        var never = Cid.ForRaw("never stored on A"u8);
        shared.Upsert(new ArrowCid.Registry.BlockRecord { Cid = never, Kind = ArrowCid.Registry.BlockKind.Batch, Rows = 1, Locations = [a.Location] });

        var (found, text) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository, "--json");
        output.WriteLine(text);
        Assert.Equal(1, found);
        var report = JsonNode.Parse(text[..(text.LastIndexOf('}') + 1)])!.AsObject();
        Assert.Equal([never.ToString()], report["stale_locations"]!.AsArray().Select(n => (string)n!));
        Assert.Equal([held.Dataset.ToString()], report["unrecorded_locations"]!.AsArray().Select(n => (string)n!));

        var (repaired, _) = await ServeProcess.RunCliAsync("verify", "--repo", a.Repository, "--repair");
        Assert.Equal(0, repaired);
        Assert.Null(shared.Find(never));
        Assert.Contains(a.Location, shared.Find(held.Dataset)!.Locations);
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
        Assert.Contains(again.Location, shared.Find(put.Dataset)!.Locations);
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
