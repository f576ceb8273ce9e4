using System.Globalization;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.MultiHost;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Registry.Tests.Postgres;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Chaos;

/// <summary>
/// Three `arrowcid serve` nodes on one PostgreSQL registry (reached through a relay the test can
/// pause, as an outage) for a bounded time (ARROWCID_CHAOS_SECONDS, default 45): named and unnamed
/// puts of versions sharing chunks, gets through any node, pins and unpins, gc on every node,
/// kill -9 and restart of a node, and registry outages, in a seeded order. Afterwards every
/// acknowledged version of every name reads back verified through every node, and every node's
/// recorded locations match what it holds. Prints what it did and how many it lost (the goal: 0),
/// also to artifacts/stress/chaos.txt.
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class SharedRegistryChaosTests(PostgresTestServer server, ITestOutputHelper output)
{
    private const int Nodes = 3;

    [Fact]
    public async Task Nothing_acknowledged_is_lost_across_puts_gc_kills_and_registry_outages()
    {
        if (!server.Available)
        {
            output.WriteLine(PostgresTestServer.SkipMessage);
            return;
        }

        await RunAsync(store: null, bucket: null);
    }

    /// <summary>
    /// The same with every node keeping its blocks in one bucket of a real radosgw (issue 66), the
    /// third node's disk a small cache of it, gc collecting the bucket too (no grace period), and
    /// radosgw and the OSD killed and restarted under a put: 0 acknowledged versions lost, and
    /// verify finds the bucket clean against the registry.
    /// </summary>
    [Fact]
    public async Task Nothing_acknowledged_is_lost_with_blocks_in_a_bucket_across_radosgw_and_osd_restarts()
    {
        if (!server.Available)
        {
            output.WriteLine(PostgresTestServer.SkipMessage);
            return;
        }

        if (CephTestCluster.Unavailable() is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using var ceph = await CephTestCluster.StartAsync();
        string bucket = "chaos-" + Guid.NewGuid().ToString("N")[..12];
        using (var s3 = new ObjectStorage.S3BlockTierOptions { Endpoint = ceph.Endpoint, Credentials = new Amazon.Runtime.BasicAWSCredentials(ceph.AccessKey, ceph.SecretKey) }.CreateClient(out _))
        {
            await s3.PutBucketAsync(bucket);
        }

        await RunAsync(ceph, bucket);
    }

    private async Task RunAsync(CephTestCluster? store, string? bucket)
    {
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("ARROWCID_CHAOS_SECONDS"), CultureInfo.InvariantCulture, out int s) ? Math.Clamp(s, 5, 3600) : 45;
        // With a store: how every process reaches it (the AWS variables, never arguments), and each node's bucket.
        var environment = store?.AwsEnvironment() ?? [];
        string[] gcArguments = store is null ? [] : ["--grace", "0"];
        await using var cluster = ServeCluster.Create(server, relayed: true, environment, store is null ? [] : ["--blocks", $"s3://{bucket}/"]);
        var relay = cluster.Relay!;
        var nodes = new ServeProcess[Nodes];
        // With a store, the last node's disk is a cache of the bucket, smaller than what is put.
        string[] NodeArguments(int i) => store is not null && i == Nodes - 1 ? ["--cache-size", "4MiB"] : [];
        for (int i = 0; i < Nodes; i++)
        {
            nodes[i] = await cluster.StartNodeAsync(NodeArguments(i));
        }

        var random = new Random(36);
        // The part every version shares (many chunks), and what each version adds.
        using var shared = TestBatches.Large(2L << 20, seed: 1);
        var acknowledged = new List<(string Name, long Version, Cid Cid, long Rows)>();
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        int failedDuringChaos = 0;
        void Count(string what) => counts[what] = counts.GetValueOrDefault(what) + 1;

        // The registry goes away (every connection dropped, new ones refused) and comes back: the
        // node answers UNAVAILABLE meanwhile.
        async Task OutageAsync(ServeProcess node)
        {
            relay.Pause();
            try
            {
                using var client = new FlightClient(node.Location);
                var refused = await Assert.ThrowsAsync<ArrowCid.Grpc.RpcException>(() => client.ActionAsync("names"));
                Assert.Equal(ArrowCid.Grpc.StatusCode.Unavailable, refused.Status.StatusCode);
            }
            finally
            {
                relay.Resume();
            }

            Count("registry outage");
        }

        // A daemon of the store killed and started again while a put runs: the put is acknowledged
        // (its objects there, whatever the restart) or refused as UNAVAILABLE, never half-stored.
        async Task StoreRestartAsync(string daemon, int node, int seed)
        {
            using var own = TestBatches.Large(256L << 10, seed: seed);
            using var client = new FlightClient(nodes[node].Location);
            var during = client.PutAsync(FlightClient.PutDescriptor(name: "across-restarts"), shared.Schema, [shared, own]);
            await store!.RestartAsync(daemon);
            try
            {
                var put = await during;
                acknowledged.Add(("across-restarts", put.Version!.Value, put.Table, shared.Length + own.Length));
                Count($"put acknowledged across a {daemon} restart");
            }
            catch (ArrowCid.Grpc.RpcException e)
            {
                Assert.True(e.StatusCode == ArrowCid.Grpc.StatusCode.Unavailable, $"a put across a {daemon} restart: {e.StatusCode} {e.Message}");
                Count($"put refused across a {daemon} restart");
            }

            output.WriteLine($"restarted {daemon}");
            Count($"{daemon} restart");
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
        int step = 0;
        while (DateTime.UtcNow < deadline)
        {
            step++;
            int n = random.Next(Nodes);
            int roll = random.Next(100);
            try
            {
                if (roll < 40)
                {
                    using var own = TestBatches.Large(64L << 10, seed: 1000 + step);
                    string? name = roll < 30 ? $"t{random.Next(4)}" : null;
                    using var client = new FlightClient(nodes[n].Location);
                    var put = await client.PutAsync(FlightClient.PutDescriptor(name: name), shared.Schema, [shared, own]);
                    if (name is not null)
                    {
                        acknowledged.Add((name, put.Version!.Value, put.Table, shared.Length + own.Length));
                        output.WriteLine($"step {step}: put {name}@{put.Version} {put.Table} on {nodes[n].Location}");
                    }
                    else
                    {
                        await client.ActionAsync("unpin", put.Table.ToString());
                    }

                    Count(name is null ? "put (unnamed, then unpinned)" : "put (named)");
                }
                else if (roll < 65 && acknowledged.Count > 0)
                {
                    var (name, version, cid, rows) = acknowledged[random.Next(acknowledged.Count)];
                    using var client = new FlightClient(nodes[n].Location);
                    Assert.Equal(rows, ServeCluster.Rows(await client.GetByNameAsync($"{name}@{version}")));
                    Count("get by name, verified");
                }
                else if (roll < 75 && acknowledged.Count > 0)
                {
                    var cid = acknowledged[random.Next(acknowledged.Count)].Cid;
                    using var client = new FlightClient(nodes[n].Location);
                    string pinAction = random.Next(2) == 0 ? "unpin" : "pin";
                    await client.ActionAsync(pinAction, cid.ToString());
                    output.WriteLine($"step {step}: {pinAction} {cid} on {nodes[n].Location}");
                    Count("pin or unpin");
                }
                else if (roll < 87)
                {
                    var (exit, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, ["gc", "--repo", nodes[n].Repository, .. gcArguments]);
                    output.WriteLine($"step {step}: gc on {nodes[n].Location}: {text}");
                    Assert.True(exit == 0 || text.Contains("registry is unreachable", StringComparison.Ordinal), text);
                    Count(exit == 0 ? "gc" : "gc refused during an outage");
                }
                else if (roll < 95)
                {
                    // kill -9, then the same folder and port again: the registry it remembers. Half
                    // the time in the middle of a put, once the node's guard file shows it has stored chunks.
                    int port = new Uri(nodes[n].Location).Port;
                    // The first kill always lands mid-put, so every run, however few steps a loaded machine allows, tries it.
                    bool midPutTried = counts.ContainsKey("put killed halfway") || counts.ContainsKey("put finished before its node was killed");
                    using var big = random.Next(2) == 0 || !midPutTried ? TestBatches.Large(6L << 20, seed: 5000 + step) : null;
                    using var putter = big is null ? null : new FlightClient(nodes[n].Location);
                    var midPut = big is null ? null : putter!.PutAsync(FlightClient.PutDescriptor(name: "mid-put"), big.Schema, [big]);
                    if (midPut is not null)
                    {
                        await WhenHoldingOrDoneAsync(nodes[n].Repository, midPut);
                    }

                    await nodes[n].KillAsync();
                    output.WriteLine($"step {step}: killed {nodes[n].Location}{(midPut is null ? string.Empty : " in the middle of a put")}");
                    if (midPut is not null)
                    {
                        try
                        {
                            var put = await midPut;
                            acknowledged.Add(("mid-put", put.Version!.Value, put.Table, big!.Length));
                            Count("put finished before its node was killed");
                        }
                        catch (Exception e) when (e is ArrowCid.Grpc.RpcException or HttpRequestException)
                        {
                            Count("put killed halfway");
                        }
                    }

                    nodes[n] = await cluster.RestartOnAsync(nodes[n], ["--listen", $"127.0.0.1:{port}", "--http", "127.0.0.1:0", .. NodeArguments(n)]);
                    Count("kill -9 and restart");
                }
                else if (store is not null && roll >= 97)
                {
                    await StoreRestartAsync(random.Next(2) == 0 ? "rgw" : "osd", n, 9000 + step);
                }
                else
                {
                    await OutageAsync(nodes[n]);
                }
            }
            catch (Exception e) when (e is ArrowCid.Grpc.RpcException or HttpRequestException)
            {
                // A call that met a node being restarted or the registry being away: not acknowledged.
                failedDuringChaos++;
                output.WriteLine($"step {step}: {e.Message}");
            }
        }

        relay.Resume();
        if (!counts.ContainsKey("registry outage"))
        {
            // Every run meets the registry going away at least once, however few steps it made.
            await OutageAsync(nodes[0]);
        }

        // Every run with a store meets both restarts at least once, however few steps it made.
        foreach (string daemon in store is null ? [] : new[] { "rgw", "osd" })
        {
            if (!counts.ContainsKey($"{daemon} restart"))
            {
                await StoreRestartAsync(daemon, 0, daemon == "rgw" ? 8001 : 8002);
            }
        }

        // No put is in flight now: one more collection on every node leaves no guard file (nothing a
        // killed put stored stays held) and lists each node for what it holds that a killed put
        // never published; handing over may leave a table's blocks spread across the nodes.
        foreach (var node in nodes)
        {
            var (gcExit, gcText) = await ServeProcess.RunCliWithEnvironmentAsync(environment, ["gc", "--repo", node.Repository, .. gcArguments]);
            Assert.True(gcExit == 0, gcText);
            string guards = Path.Combine(node.Repository, "guards");
            Assert.Empty(Directory.Exists(guards) ? Directory.GetFiles(guards) : []);
        }

        // Every acknowledged version through every node, verified; and every node's locations true.
        int lost = 0;
        foreach (var node in nodes)
        {
            using var client = new FlightClient(node.Location);
            foreach (var (name, version, _, rows) in acknowledged)
            {
                try
                {
                    Assert.Equal(rows, ServeCluster.Rows(await client.GetByNameAsync($"{name}@{version}")));
                }
                catch (Exception e) when (e is ArrowCid.Grpc.RpcException or Xunit.Sdk.XunitException)
                {
                    lost++;
                    output.WriteLine($"LOST {name}@{version} through {node.Location}: {e.Message}");
                }
            }

            var (exit, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", node.Repository);
            Assert.True(exit == 0, $"verify on {node.Repository}:\n{text}");
            Assert.Contains("agree", text, StringComparison.Ordinal);
            if (store is not null)
            {
                // The bucket against the registry: every object re-hashed, every record's object there.
                Assert.Contains($"verify: s3://{bucket}/: ", text, StringComparison.Ordinal);
                Assert.Contains(" 0 corrupt, 0 missing,", text[text.IndexOf($"verify: s3://{bucket}/", StringComparison.Ordinal)..], StringComparison.Ordinal);
            }
        }

        string summary = $"chaos suite{(store is null ? string.Empty : " (blocks in a bucket)")}: {seconds} s, {step} operations ({string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))}), {failedDuringChaos} calls refused during kills and outages, {acknowledged.Count} acknowledged versions of {acknowledged.Select(a => a.Name).Distinct().Count()} names read back through {Nodes} nodes; lost: {lost}";
        output.WriteLine(summary);
        if (RepositoryPaths.Root is { } root)
        {
            string folder = Path.Combine(root, "artifacts", "stress");
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, store is null ? "chaos.txt" : "chaos-bucket.txt"), summary + "\n");
        }

        Assert.Equal(0, lost);
    }

    // The gate of a kill in the middle of a put: the node holds a guard file (it has stored
    // chunks of the put and not finished it), or the put ended first.
    private static async Task WhenHoldingOrDoneAsync(string repository, Task put)
    {
        string guards = Path.Combine(repository, "guards");
        while (!put.IsCompleted && !(Directory.Exists(guards) && Directory.EnumerateFiles(guards, "*.held").Any()))
        {
            await Task.WhenAny(put, Task.Delay(2));
        }
    }
}
