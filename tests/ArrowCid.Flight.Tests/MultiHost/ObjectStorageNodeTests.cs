using Amazon.Runtime;
using Amazon.S3;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Service;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Registry.Tests.Postgres;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// Nodes over one PostgreSQL registry and one bucket of a real object store (Ceph's radosgw, started
/// here): a table put through one node is in the bucket before its name, and a new node with an
/// empty folder serves it, verified, after the first node and its folder are gone (issue 66).
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class ObjectStorageNodeTests(PostgresTestServer server, ITestOutputHelper output) : IAsyncLifetime
{
    private CephTestCluster? _ceph;

    private CephTestCluster Ceph => _ceph ?? throw new InvalidOperationException("no Ceph cluster here");

    public async Task InitializeAsync()
    {
        if (CephTestCluster.Unavailable() is null)
        {
            _ceph = await CephTestCluster.StartAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_ceph is not null)
        {
            await _ceph.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_table_put_through_one_node_is_served_verified_by_a_new_node_after_the_first_and_its_folder_are_gone()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        var environment = StoreEnvironment();
        string registry = server.CreateDatabase();
        string[] arguments = ["--registry", registry, "--blocks", $"s3://{bucket}/nodes/"];

        var first = await ServeProcess.StartWithEnvironmentAsync(environment, arguments);
        FlightPutSummary put;
        FlightPutSummary unnamed;
        long rows;
        await using (first)
        {
            // Printed after the line the start waits for: a gate on it, the guard only against a hang.
            await first.WaitForOutputAsync($"blocks also in s3://{bucket}/nodes/ at {Ceph.Endpoint}; conditional puts: honoured (If-None-Match: *); payload digests: checked", TimeSpan.FromMinutes(2));
            Assert.DoesNotContain(Ceph.SecretKey, first.Output, StringComparison.Ordinal);
            using var writer = new FlightClient(first.Location);
            using var table = TestBatches.Large(3L << 20, seed: 66);
            rows = table.Length;
            put = await writer.PutAsync(FlightClient.PutDescriptor(name: "kept"), table.Schema, [table]);
            Assert.True(put.Batches.Count > 1, $"{put.Batches.Count} chunks");

            // A table without a name is published too, once its uploads are done (the put's flush).
            using var loose = TestBatches.Large(1L << 20, seed: 67);
            unnamed = await writer.PutAsync(loose.Schema, [loose]);

            // Every block of the table is in the bucket before the put was acknowledged: a large one
            // an object of its own, a small one (the tables' roots) in a pack.
            using var s3 = RawClient();
            var stored = await ContentsAsync(s3, bucket, "nodes/");
            Assert.Contains(unnamed.Table.ToString(), stored.Cids);
            Assert.All(put.Batches, chunk => Assert.Contains(chunk.Cid.ToString(), stored.Cids));
            Assert.Contains(put.Table.ToString(), stored.Cids);
            Assert.NotEmpty(stored.Objects);
            Assert.NotEmpty(stored.Packs);

            // The node's /metrics counts each of those puts, and their latency.
            using var http = new HttpClient { BaseAddress = first.Gateway };
            string metrics = await http.GetStringAsync("/metrics");
            Assert.Equal(stored.Objects.Count, MetricValue(metrics, "arrowcid_object_store_requests_total", "operation=\"put\",outcome=\"ok\""));
            Assert.Equal(stored.Packs.Count, MetricValue(metrics, "arrowcid_object_store_requests_total", "operation=\"put_pack\",outcome=\"ok\""));
            Assert.True(MetricValue(metrics, "arrowcid_object_store_request_duration_seconds_count", "operation=\"put\"") >= stored.Objects.Count);
            await first.KillAsync();
        }

        // The first node is gone, and its folder with it (disposing it deleted the folder).
        Assert.False(Directory.Exists(first.Folder));
        var second = await ServeProcess.StartWithEnvironmentAsync(environment, arguments);
        await using (second)
        {
            using var reader = new FlightClient(second.Location);

            // A pin through a node that holds no copy is the shared registry's: it writes nothing to the tier.
            await reader.ActionAsync("pin", unnamed.Table.ToString());

            // Before any DoGet here: the trustless gateway answers from the bucket (the node's own storage, never another node).
            var chunk = put.Batches[^1].Cid;
            using var http = new HttpClient { BaseAddress = second.Gateway };
            using (var raw = await http.GetAsync($"/ipfs/{chunk}?format=raw"))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, raw.StatusCode);
                Assert.True(chunk.Verify(await raw.Content.ReadAsByteArrayAsync()));
            }

            using (var car = await http.GetAsync($"/ipfs/{put.Table}?format=car"))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, car.StatusCode);
                Assert.True((await car.Content.ReadAsByteArrayAsync()).Length > put.Batches.Sum(b => b.Bytes));
            }

            var fetched = await reader.GetByNameAsync("kept", null);
            Assert.Equal(put.Table, fetched.Cid);
            Assert.Equal(rows, ServeCluster.Rows(fetched));
            var byCid = await reader.GetAsync(unnamed.Table, null);
            Assert.Equal(unnamed.Batches.Sum(b => b.Rows), ServeCluster.Rows(byCid));
            output.WriteLine(second.Output);
        }
    }

    [Fact]
    public async Task A_put_on_a_node_s_folder_goes_to_the_bucket_and_the_shared_registry_and_a_new_node_serves_it_by_name()
    {
        if (Skipped())
        {
            return;
        }

        var environment = StoreEnvironment();
        var (bucket, arguments) = await NewStoreAsync();
        var first = await StartNodeAsync(bucket, arguments);
        string table;
        string imported;
        long rows;
        await using (first)
        {
            string input = Path.Combine(first.Folder, "input.arrows");
            using (var large = TestBatches.Large(3L << 20, seed: 166))
            {
                rows = large.Length;
                WriteStream(input, large);
            }

            // A bucket that is not there: refused before anything is stored, naming the option.
            var (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "put", input, "--repo", first.Repository, "--blocks", "s3://no-such-bucket-66/x/");
            Assert.True(code == 1, text);
            Assert.Contains("--blocks:", text, StringComparison.Ordinal);
            Assert.Contains("no-such-bucket-66", text, StringComparison.Ordinal);

            // The folder remembers its node's registry and bucket: the CLI's put goes where the node's own puts go.
            (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "put", input, "--repo", first.Repository, "--name", "from-cli", "--json");
            Assert.True(code == 0, text);
            using var report = System.Text.Json.JsonDocument.Parse(text);
            var put = report.RootElement[0];
            table = put.GetProperty("table").GetProperty("cid").GetString()!;
            var chunks = put.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("cid").GetString()!).ToList();
            Assert.True(chunks.Count > 1, text);
            Assert.Equal(1, put.GetProperty("version").GetInt64());

            // Every block in the bucket, read by a plain S3 client and hashed against its CID.
            using var s3 = RawClient();
            var stored = await ContentsAsync(s3, bucket, "nodes/");
            Assert.Contains(table, stored.Cids);
            Assert.All(chunks, chunk => Assert.Contains(chunk, stored.Cids));

            // A CAR exported from a repository of its own, imported into the node's folder: published the same way.
            string plain = Path.Combine(first.Folder, "plain");
            string car = Path.Combine(first.Folder, "other.car");
            using (var other = TestBatches.Large(1L << 20, seed: 167))
            {
                WriteStream(Path.Combine(first.Folder, "other.arrows"), other);
            }

            (code, text) = await ServeProcess.RunCliAsync("put", Path.Combine(first.Folder, "other.arrows"), "--repo", plain, "--name", "other", "--json");
            Assert.True(code == 0, text);
            using (var otherPut = System.Text.Json.JsonDocument.Parse(text))
            {
                imported = otherPut.RootElement[0].GetProperty("table").GetProperty("cid").GetString()!;
            }

            (code, text) = await ServeProcess.RunCliAsync("export", "car", "other", "-o", car, "--repo", plain);
            Assert.True(code == 0, text);
            (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "import", "car", car, "--repo", first.Repository);
            Assert.True(code == 0, text);
            stored = await ContentsAsync(s3, bucket, "nodes/");
            Assert.Contains(imported, stored.Cids);

            // A table pulled from the node into a folder with a bucket of its own: the pulled blocks go there, as a put's would.
            (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "flight", "pull", "--server", first.Location, "from-cli", "--repo", Path.Combine(first.Folder, "pulled"), "--blocks", $"s3://{bucket}/pulled/");
            Assert.True(code == 0, text);
            var pulled = await ContentsAsync(s3, bucket, "pulled/");
            Assert.Contains(table, pulled.Cids);
            Assert.All(chunks, chunk => Assert.Contains(chunk, pulled.Cids));

            // The put's pin is in the shared registry (what info on a node's folder reads): it keeps the table on every host.
            (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "info", table, "--repo", first.Repository, "--json");
            Assert.True(code == 0, text);
            using (var info = System.Text.Json.JsonDocument.Parse(text))
            {
                Assert.True(info.RootElement.GetProperty("pinned").GetBoolean(), text);
            }

            await first.KillAsync();
        }

        // A node with an empty folder serves the table by its name, from the registry and the bucket alone.
        var second = await StartNodeAsync(bucket, arguments);
        await using (second)
        {
            // Its folder holds neither table yet: diff reads their manifests from the bucket, and no chunk.
            var (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "diff", "from-cli", imported, "--repo", second.Repository, "--json");
            Assert.True(code == 0, text);
            using (var diff = System.Text.Json.JsonDocument.Parse(text))
            {
                Assert.Equal(table, diff.RootElement.GetProperty("a").GetProperty("cid").GetString());
                Assert.Equal(imported, diff.RootElement.GetProperty("b").GetProperty("cid").GetString());
                Assert.True(diff.RootElement.GetProperty("a").GetProperty("blocks").GetInt32() > 1, text);
            }

            Assert.Equal(0, BlockFileBytes(second.Folder));

            using var reader = new FlightClient(second.Location);
            var fetched = await reader.GetByNameAsync("from-cli", null);
            Assert.Equal(table, fetched.Cid.ToString());
            Assert.Equal(rows, ServeCluster.Rows(fetched));
            Assert.True(ServeCluster.Rows(await reader.GetAsync(ArrowCid.Content.Multiformats.Cid.Parse(imported), null)) > 0);

            // And the CLI on this node's folder finds the name in the shared registry, and the blocks in the bucket.
            string exported = Path.Combine(second.Folder, "from-cli.arrows");
            (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "get", "from-cli", "--repo", second.Repository, "-o", exported);
            Assert.True(code == 0, text);
            using var file = File.OpenRead(exported);
            using var stream = new Arrow.Ipc.ArrowStreamReader(file);
            long read = 0;
            while (stream.ReadNext() is { } batch)
            {
                using (batch)
                {
                    read += batch.Length;
                }
            }

            Assert.Equal(rows, read);
        }
    }

    [Fact]
    public async Task A_damaged_copy_on_a_node_s_disk_is_set_aside_and_read_from_the_bucket_again_over_flight_and_http()
    {
        if (Skipped())
        {
            return;
        }

        var (bucket, arguments) = await NewStoreAsync();
        await using var node = await StartNodeAsync(bucket, arguments);
        using var client = new FlightClient(node.Location);
        using var table = TestBatches.Large(3L << 20, seed: 266);
        var put = await client.PutAsync(table.Schema, [table]);
        var large = put.Batches.Where(b => b.Bytes > new ObjectStorage.S3BlockTierOptions().PackThreshold).ToList();
        Assert.True(large.Count >= 2, $"{large.Count} chunks with files of their own");

        // Two chunks' files damaged in place (a bit flipped mid-file: the length stays, as after a crash that lost a write).
        var (overFlight, overHttp) = (large[0].Cid, large[^1].Cid);
        foreach (var cid in new[] { overFlight, overHttp })
        {
            using var file = new FileStream(BlockFile(node.Repository, cid), FileMode.Open, FileAccess.ReadWrite);
            file.Position = file.Length / 2;
            int b = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(b ^ 0x10));
        }

        // A DoGet of the table reads the damaged chunk: set aside, read from the bucket, sent verified.
        var fetched = await client.GetAsync(put.Table, null);
        Assert.Equal(table.Length, ServeCluster.Rows(fetched));

        // The trustless gateway the same: the block's bytes, not an error.
        using var http = new HttpClient { BaseAddress = node.Gateway };
        using (var raw = await http.GetAsync($"/ipfs/{overHttp}?format=raw"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, raw.StatusCode);
            Assert.True(overHttp.Verify(await raw.Content.ReadAsByteArrayAsync()));
        }

        // Each file is whole again, the damaged copies are in quarantine/, and /metrics counts both.
        foreach (var cid in new[] { overFlight, overHttp })
        {
            Assert.True(cid.Verify(await File.ReadAllBytesAsync(BlockFile(node.Repository, cid))), $"{cid} on disk");
        }

        Assert.Equal(2, Directory.GetFiles(Path.Combine(node.Repository, "quarantine")).Length);
        Assert.Equal(2, MetricValue(await http.GetStringAsync("/metrics"), "arrowcid_store_restored_total", ""));
        Assert.Contains("set aside in quarantine/ and read from", node.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sql_on_a_node_with_an_empty_disk_reads_a_table_another_node_put_by_name_and_any_node_serves_its_answer()
    {
        if (Skipped())
        {
            return;
        }

        var (bucket, arguments) = await NewStoreAsync();
        await using var writer = await StartNodeAsync(bucket, arguments);
        await using var reader = await StartNodeAsync(bucket, arguments);
        using (var client = new FlightClient(writer.Location))
        using (var table = TestBatches.Large(1L << 20, seed: 366))
        {
            await client.PutAsync(FlightClient.PutDescriptor(name: "kept"), table.Schema, [table]);
        }

        // The reader never stored it: the name is the shared registry's, the blocks the bucket's.
        using var http = new HttpClient { BaseAddress = reader.Gateway };
        using var query = new StringContent("SELECT count(*) AS n FROM kept", System.Text.Encoding.UTF8, "text/plain");
        using var answer = await http.PostAsync("/api/v1/sql?format=json", query);
        string text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == System.Net.HttpStatusCode.OK, text);
        using var document = System.Text.Json.JsonDocument.Parse(text);
        string result = document.RootElement.GetProperty("cid").GetString()!;
        Assert.True(document.RootElement.GetProperty("rows")[0].GetProperty("n").GetInt64() > 0, text);

        // The answer is a table any node serves: the writer, which neither ran the query nor read its answer, sends it verified.
        using var writerClient = new FlightClient(writer.Location);
        var fetched = await writerClient.GetAsync(ArrowCid.Content.Multiformats.Cid.Parse(result), null);
        Assert.Equal(1, ServeCluster.Rows(fetched));
    }

    [Fact]
    public async Task Gc_writes_a_mostly_dead_pack_again_with_what_only_it_holds_and_leaves_a_mostly_kept_one_whole()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        using var tier = await ObjectStorage.S3BlockTier.OpenAsync(new ObjectStorage.S3Location(bucket, ""), StoreOptions());
        using var registry = ArrowCid.Registry.RegistryFactory.Open(server.CreateDatabase());
        // Blocks of one size, so a pack's kept share is a count.
        var a = Blocks(10, seed: 1);
        var b = Blocks(4, seed: 2);
        var c = Blocks(3, seed: 3);
        byte[] journal = "the records of pack A's blocks"u8.ToArray();
        var packA = await tier.PutPackAsync(a, journal);
        var packB = await tier.PutPackAsync(b);
        // Pack C: a kept block that is an object of its own too, and two blocks nothing keeps.
        var packC = await tier.PutPackAsync(c);
        Assert.True(await tier.PutAsync(c[0]));
        foreach (var entry in packA.Concat(packB).Concat(packC))
        {
            string at = tier.LocationOf(entry.At);
            registry.Upsert(new ArrowCid.Registry.BlockRecord { Cid = entry.Cid, Kind = ArrowCid.Registry.BlockKind.Batch, Bytes = entry.At.Length, Locations = entry.Cid == c[0].Cid ? [tier.Location.ToString(), at] : [at] });
        }

        // Kept: one block of A's ten, three of B's four, and C's own-object one.
        foreach (var kept in new[] { a[0], b[0], b[1], b[2], c[0] })
        {
            Assert.True(registry.Pin(kept.Cid));
        }

        // What a collection killed after writing A's new pack, before listing it, leaves: a pack no record lists.
        var orphan = await tier.PutPackAsync([a[0]], journal);

        var report = await CollectAsync(tier, registry);

        // A: its kept block written into a new pack with A's journal (the same bytes as the one left
        // behind: that pack, now listed), and A gone. C: deleted, its kept block being an object of
        // its own. B: kept whole, its dead block and all.
        Assert.Equal((4, 2, 1), (report.Packs, report.PacksDeleted, report.PacksRewritten));
        Assert.Equal(a[0].Bytes.Length, report.BytesRewritten);
        var packs = await ListPacksAsync(tier);
        Assert.Equal(2, packs.Count);
        Assert.Contains(packB[0].At.Pack, packs.Select(p => p.Id));
        var rewritten = packs.Single(p => p.Id != packB[0].At.Pack);
        Assert.Equal(orphan[0].At.Pack, rewritten.Id);
        var tail = await tier.ReadPackTailAsync(rewritten);
        Assert.Equal([a[0].Cid], tail.Entries.Select(e => e.Cid));
        Assert.Equal(journal, tail.Journal);

        // Each kept block's record lists where it is now, and is read from there, verified.
        var moved = registry.Find(a[0].Cid)!;
        Assert.Equal([tier.LocationOf(tail.Entries[0].At)], moved.Locations);
        Assert.True((await tier.GetAsync(a[0].Cid, moved.Locations)).Bytes.Span.SequenceEqual(a[0].Bytes.Span));
        Assert.Equal([tier.LocationOf(packB[0].At)], registry.Find(b[0].Cid)!.Locations);
        Assert.NotNull(registry.Find(b[3].Cid));
        Assert.Equal([tier.Location.ToString()], registry.Find(c[0].Cid)!.Locations);
        Assert.True((await tier.GetAsync(c[0].Cid, registry.Find(c[0].Cid)!.Locations)).Bytes.Span.SequenceEqual(c[0].Bytes.Span));
        Assert.All(a.Skip(1).Concat(c.Skip(1)), gone => Assert.Null(registry.Find(gone.Cid)));

        // Done once: the new pack is all kept, and a second collection leaves both packs.
        var again = await CollectAsync(tier, registry);
        Assert.Equal((2, 0, 0), (again.Packs, again.PacksDeleted, again.PacksRewritten));
        Assert.Equal(packs.Select(p => p.Id).Order(), (await ListPacksAsync(tier)).Select(p => p.Id).Order());

        static async Task<Node.TierGcReport> CollectAsync(ObjectStorage.S3BlockTier tier, ArrowCid.Registry.IRegistry registry)
        {
            using var retained = new ArrowCid.Content.Multiformats.CidKeySet();
            return await Node.TierGc.CollectAsync(tier, registry, retained, TimeSpan.Zero);
        }

        static async Task<List<ObjectStorage.StoredPack>> ListPacksAsync(ObjectStorage.S3BlockTier tier)
        {
            var packs = new List<ObjectStorage.StoredPack>();
            await foreach (var pack in tier.EnumeratePacksAsync())
            {
                packs.Add(pack);
            }

            return packs;
        }

        static List<ArrowCid.Content.HashedBlock> Blocks(int count, int seed)
        {
            var random = new Random(seed);
            return [.. Enumerable.Range(0, count).Select(_ =>
            {
                byte[] bytes = new byte[2000];
                random.NextBytes(bytes);
                return ArrowCid.Content.HashedBlock.Verify(ArrowCid.Content.Multiformats.Cid.ForRaw(bytes), bytes);
            })];
        }
    }

    [Fact]
    public async Task Small_tables_put_at_once_go_in_packs_a_new_node_reads_each_from_its_pack_and_gc_keeps_a_pack_while_one_block_is_named()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        var environment = StoreEnvironment();
        string registry = server.CreateDatabase();
        string[] arguments = ["--registry", registry, "--blocks", $"s3://{bucket}/"];
        const int Tables = 24;
        var puts = new FlightPutSummary[Tables];
        var first = await ServeProcess.StartWithEnvironmentAsync(environment, arguments);
        await using (first)
        {
            // Many one-block tables from many clients at once: each is acknowledged once its pack is in the bucket.
            var clients = Enumerable.Range(0, 8).Select(_ => new FlightClient(first.Location)).ToList();
            await Task.WhenAll(Enumerable.Range(0, Tables).Select(async i =>
            {
                using var table = TestBatches.Small(100 + i, rows: 10 + i);
                var descriptor = i == Tables - 1 ? FlightClient.PutDescriptor(name: "small") : FlightClient.PutDescriptor();
                puts[i] = await clients[i % clients.Count].PutAsync(descriptor, table.Schema, [table]);
            }));
            clients.ForEach(c => c.Dispose());

            using var s3 = RawClient();
            var stored = await ContentsAsync(s3, bucket);
            Assert.Empty(stored.Objects);
            Assert.InRange(stored.Packs.Count, 1, Tables);
            Assert.All(puts, put => Assert.Contains(put.Table.ToString(), stored.Cids));
            using var http = new HttpClient { BaseAddress = first.Gateway };
            Assert.Equal(stored.Packs.Count, MetricValue(await http.GetStringAsync("/metrics"), "arrowcid_object_store_requests_total", "operation=\"put_pack\",outcome=\"ok\""));

            // Stopped as an operator stops it: the packs' guards, let go of in the background, are
            // released before it exits (killed, they would keep every pack from gc for a day).
            await first.TerminateAsync();
            Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromMinutes(2)));
        }

        // A node with an empty folder reads each table through the location its record lists (a range of a pack).
        var second = await ServeProcess.StartWithEnvironmentAsync(environment, arguments);
        await using (second)
        {
            using var reader = new FlightClient(second.Location);
            for (int i = 0; i < Tables; i++)
            {
                var fetched = await reader.GetAsync(puts[i].Table, null);
                Assert.Equal(puts[i].Table, fetched.Cid);
                Assert.Equal(10 + i, ServeCluster.Rows(fetched));
            }

            using var http = new HttpClient { BaseAddress = second.Gateway };
            using var raw = await http.GetAsync($"/ipfs/{puts[0].Table}?format=raw");
            Assert.Equal(System.Net.HttpStatusCode.OK, raw.StatusCode);
            Assert.True(puts[0].Table.Verify(await raw.Content.ReadAsByteArrayAsync()));

            // Every table but the named one unpinned: a pack goes once nothing keeps any of its blocks, the named table's pack stays.
            for (int i = 0; i < Tables - 1; i++)
            {
                await reader.ActionAsync("unpin", puts[i].Table.ToString());
            }

            await second.KillAsync();
            var (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", Path.Combine(second.Folder, "repo"), "--grace", "0", "--json");
            Assert.True(code == 0, output);
            using var s3 = RawClient();
            var after = await ContentsAsync(s3, bucket);
            Assert.Contains(puts[^1].Table.ToString(), after.Cids);

            // Two packs stay: the named table's, and the one its version node (published after the
            // table) went into; each written again, kept blocks alone, when it was mostly others' dead ones.
            Assert.True(after.Packs.Count == 2, $"{after.Packs.Count} packs after gc: {output}");
            using var json = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf('}') + 1)]);
            var report = json.RootElement.GetProperty("bucket");
            long rewritten = report.GetProperty("packs_rewritten").GetInt64();
            Assert.Equal(report.GetProperty("packs").GetInt64() - 2 + rewritten, report.GetProperty("packs_deleted").GetInt64());
            Assert.InRange(rewritten, 0, 2);

            // verify: the bucket and the registry agree.
            (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(second.Folder, "repo"));
            Assert.True(code == 0, output);
            Assert.Contains($"verify: s3://{bucket}/: 2 objects re-hashed; 0 corrupt, 0 missing, 0 damaged packs", output, StringComparison.Ordinal);

            // The pack overwritten behind the node's back: verify finds it damaged, and repair deletes it and
            // takes its locations off the records, so no reader is sent there.
            using var shared = ArrowCid.Registry.RegistryFactory.Open(registry);
            string packKey = after.Packs.Single(pack => shared.Find(puts[^1].Table)!.Locations.Any(location => location.Contains(pack, StringComparison.Ordinal)));
            await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = packKey, ContentBody = "not a pack" });
            (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(second.Folder, "repo"));
            Assert.Equal(1, code);
            Assert.Contains($"damaged pack {packKey[(packKey.LastIndexOf('/') + 1)..]} in s3://{bucket}/", output, StringComparison.Ordinal);
            (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(second.Folder, "repo"), "--repair");
            Assert.True(code == 0, output);
            Assert.DoesNotContain(packKey, (await ContentsAsync(s3, bucket)).Packs);
            Assert.DoesNotContain(shared.Find(puts[^1].Table)?.Locations ?? [], location => location.Contains("/packs/", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_registry_lost_with_every_folder_is_rebuilt_from_the_bucket_log_names_versions_tags_and_pins_included()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        var environment = StoreEnvironment();
        FlightPutSummary big;
        FlightPutSummary loose;
        var small = new List<FlightPutSummary>();
        await using (var first = await ServeProcess.StartWithEnvironmentAsync(environment, "--registry", server.CreateDatabase(), "--blocks", $"s3://{bucket}/"))
        {
            using var client = new FlightClient(first.Location);
            using (var table = TestBatches.Large(2L << 20, seed: 71))
            {
                big = await client.PutAsync(FlightClient.PutDescriptor(name: "big"), table.Schema, [table]);
            }

            for (int version = 1; version <= 2; version++)
            {
                using var table = TestBatches.Small(70 + version, rows: 10 * version);
                small.Add(await client.PutAsync(FlightClient.PutDescriptor(new Dictionary<string, string> { ["team"] = "data" }, name: "small"), table.Schema, [table]));
            }

            using (var table = TestBatches.Small(79, rows: 7))
            {
                loose = await client.PutAsync(table.Schema, [table]);
            }

            await client.ActionAsync("unpin", loose.Table.ToString());
            await client.ActionAsync("tag", $$"""{"cid":"{{big.Table}}","key":"stage","value":"gold"}""");
            await client.ActionAsync("tag", $$"""{"cid":"{{big.Table}}","key":"draft","value":"yes"}""");
            await client.ActionAsync("tag", $$"""{"cid":"{{big.Table}}","key":"draft","value":null}""");
            await client.ActionAsync("tag", $$"""{"cid":"{{small[1].Table}}","key":"team","value":null}""");
            await first.KillAsync();

            // gc compacts the journal in the bucket to the registry as it stands (within the grace
            // period, nothing is deleted): the unpin and the tags taken off are in no object left,
            // and the packs that carry the loose table's and the second small one's records from
            // their puts still say pinned, and tagged.
            using var s3 = RawClient();
            var journal = (await ContentsAsync(s3, bucket)).Journal;
            Assert.True(journal.Count > 2, string.Join(", ", journal));
            var (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", first.Repository, "--json");
            Assert.True(code == 0, output);
            using var json = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf('}') + 1)]);
            var report = json.RootElement.GetProperty("bucket");
            Assert.Equal(journal.Count, report.GetProperty("journal_objects_replaced").GetInt64());
            Assert.Equal(0, report.GetProperty("deleted").GetInt64());
            var compacted = (await ContentsAsync(s3, bucket)).Journal;
            Assert.Equal(report.GetProperty("journal_objects_written").GetInt64(), compacted.Count);
            Assert.EndsWith(".compacted", Assert.Single(compacted), StringComparison.Ordinal);
            Assert.Empty(compacted.Intersect(journal));

            // Changes after it are journaled beside it, and weigh too little for the next gc to compact again.
            foreach (string change in new[] { "pin", "unpin" })
            {
                (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, change, loose.Table.ToString(), "--repo", first.Repository);
                Assert.True(code == 0, output);
            }

            Assert.True((await ContentsAsync(s3, bucket)).Journal.Count > 1);
            (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", first.Repository, "--json");
            Assert.True(code == 0, output);
            using var again = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf('}') + 1)]);
            Assert.Equal(0, again.RootElement.GetProperty("bucket").GetProperty("journal_objects_replaced").GetInt64());
        }

        // The registry is lost, and the first node's folder with it: a new, empty database.
        string lost = server.CreateDatabase();
        await using (var second = await ServeProcess.StartWithEnvironmentAsync(environment, "--registry", lost, "--blocks", $"s3://{bucket}/"))
        {
            using (var client = new FlightClient(second.Location))
            {
                await Assert.ThrowsAsync<ArrowCid.Grpc.RpcException>(() => client.GetByNameAsync("big", null));
            }

            await second.KillAsync();
            var (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(second.Folder, "repo"), "--repair", "--rebuild-shared-registry", "--json");
            Assert.True(code == 0, output);
            using var json = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf('}') + 1)]);
            var rebuilt = json.RootElement.GetProperty("bucket_rebuilt");
            Assert.Equal(3, rebuilt.GetProperty("versions").GetInt64());
            Assert.True(json.RootElement.GetProperty("bucket").GetProperty("missing").GetArrayLength() == 0, output);
        }

        // What the log held is the registry again: every version with its number, the tags, the pins.
        using (var registry = ArrowCid.Registry.RegistryFactory.Open(lost))
        {
            Assert.Equal([2L, 1L], registry.ListVersions("small").Select(v => v.Version));
            Assert.Equal(small[1].Table, registry.FindVersion("small")!.Cid);
            Assert.Equal("gold", registry.Find(big.Table)!.Tags["stage"]);
            Assert.False(registry.Find(big.Table)!.Tags.ContainsKey("draft"));
            Assert.Equal("data", registry.Find(small[0].Table)!.Tags["team"]);
            Assert.False(registry.Find(small[1].Table)!.Tags.ContainsKey("team"));
            Assert.True(registry.Find(small[0].Table)!.Pinned);
            Assert.False(registry.Find(loose.Table)!.Pinned);
        }

        await using (var third = await ServeProcess.StartWithEnvironmentAsync(environment, "--registry", lost, "--blocks", $"s3://{bucket}/"))
        {
            using var client = new FlightClient(third.Location);
            var fetched = await client.GetByNameAsync("big", null);
            Assert.Equal(big.Table, fetched.Cid);
            Assert.Equal(big.Batches.Sum(b => b.Rows), ServeCluster.Rows(fetched));
            var latest = await client.GetByNameAsync("small", null);
            Assert.Equal(20, ServeCluster.Rows(latest));
        }
    }

    [Fact]
    public async Task With_the_object_store_gone_a_put_is_refused_as_unavailable_naming_it_and_what_the_node_holds_is_still_served()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        await using var node = await ServeProcess.StartWithEnvironmentAsync(StoreEnvironment(), "--registry", server.CreateDatabase(), "--blocks", $"s3://{bucket}/");
        using var client = new FlightClient(node.Location);
        using var held = TestBatches.Small(3, rows: 100);
        var before = await client.PutAsync(FlightClient.PutDescriptor(name: "held"), held.Schema, [held]);
        using (var http = new HttpClient { BaseAddress = node.Gateway })
        {
            string body = await http.GetStringAsync("/readyz");
            Assert.Contains("\"object_store\":\"ok\"", body, StringComparison.Ordinal);
        }

        // radosgw killed: connections refused, as a store that is down.
        Ceph.Kill("rgw");
        using var more = TestBatches.Small(4, rows: 100);
        var refused = await Assert.ThrowsAsync<ArrowCid.Grpc.RpcException>(() => client.PutAsync(FlightClient.PutDescriptor(name: "later"), more.Schema, [more]));
        Assert.Equal(ArrowCid.Grpc.StatusCode.Unavailable, refused.StatusCode);
        Assert.Contains($"s3://{bucket}/", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Ceph.SecretKey, node.Output, StringComparison.Ordinal);

        // Readiness says so, naming the store, from that failed request: the probe waits on nothing.
        using (var http = new HttpClient { BaseAddress = node.Gateway })
        {
            using var ready = await http.GetAsync("/readyz");
            string body = await ready.Content.ReadAsStringAsync();
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            using var json = System.Text.Json.JsonDocument.Parse(body);
            string objectStore = json.RootElement.GetProperty("object_store").GetString()!;
            Assert.StartsWith("unavailable: ", objectStore, StringComparison.Ordinal);
            Assert.Contains($"s3://{bucket}/", objectStore, StringComparison.Ordinal);
        }

        // What the node holds is served from its own disk all the same, and it did not die.
        var fetched = await client.GetByNameAsync("held", null);
        Assert.Equal(before.Table, fetched.Cid);
        Assert.Equal(100, ServeCluster.Rows(fetched));
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task A_cache_never_evicts_a_block_the_bucket_does_not_hold()
    {
        if (Skipped())
        {
            return;
        }

        // A table a node put before it kept a bucket, named in the shared registry and pinned nowhere:
        // the folder's copy is its only one, and nothing in the folder's own registry retains it.
        string registry = server.CreateDatabase();
        FlightPutSummary put;
        long rows;
        await using var earlier = await ServeProcess.StartWithEnvironmentAsync(StoreEnvironment(), "--registry", registry);
        using (var client = new FlightClient(earlier.Location))
        using (var table = TestBatches.Large(3L << 20, seed: 466))
        {
            rows = table.Length;
            put = await client.PutAsync(FlightClient.PutDescriptor(name: "only-here"), table.Schema, [table]);
            await client.ActionAsync("unpin", put.Table.ToString());
        }

        await earlier.KillAsync();

        // Served again with a bucket and a cache of a third of it: nothing of it goes, and it is served by name.
        string bucket = await NewBucketAsync();
        await using var node = await ServeProcess.StartOnWithEnvironmentAsync(
            earlier, StoreEnvironment(), "--registry", registry, "--blocks", $"s3://{bucket}/", "--cache-size", "1MiB");
        Assert.All(put.Batches, chunk => Assert.True(HoldsFile(node.Folder, chunk.Cid.ToString()), $"{chunk.Cid} evicted"));
        using var reader = new FlightClient(node.Location);
        var fetched = await reader.GetByNameAsync("only-here", null);
        Assert.Equal(rows, ServeCluster.Rows(fetched));
        using var http = new HttpClient { BaseAddress = node.Gateway };
        Assert.True(MetricValue(await http.GetStringAsync("/metrics"), "arrowcid_cache_held_bytes", string.Empty) >= put.Batches.Sum(b => b.Bytes));
    }

    [Fact]
    public async Task With_a_cache_size_the_disk_keeps_within_it_what_is_evicted_is_read_back_from_the_bucket_and_a_pinned_table_stays()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        const long capacity = 1L << 20;
        string registry = server.CreateDatabase();
        await using var earlier = await ServeProcess.StartWithEnvironmentAsync(
            StoreEnvironment(), "--registry", registry, "--blocks", $"s3://{bucket}/", "--cache-size", "2MiB");
        using (var warm = new FlightClient(earlier.Location))
        using (var early = TestBatches.Large(2L << 20, seed: 659))
        {
            await warm.PutAsync(FlightClient.PutDescriptor(name: "early"), early.Schema, [early]);
        }

        // Started again with a smaller cache: what the disk holds beyond it goes before the node serves.
        await earlier.KillAsync();
        await using var node = await ServeProcess.StartOnWithEnvironmentAsync(
            earlier, StoreEnvironment(), "--registry", registry, "--blocks", $"s3://{bucket}/", "--cache-size", "1MiB");
        Assert.True(BlockFileBytes(node.Folder) <= capacity, $"{BlockFileBytes(node.Folder)} bytes of block files after a restart with a 1 MiB cache");
        using var client = new FlightClient(node.Location);
        using var http = new HttpClient { BaseAddress = node.Gateway };
        var tables = new List<(FlightPutSummary Put, long Rows)>();
        for (int i = 0; i < 3; i++)
        {
            using var table = TestBatches.Large(3L << 20, seed: 660 + i);
            tables.Add((await client.PutAsync(FlightClient.PutDescriptor(name: $"table-{i}"), table.Schema, [table]), table.Length));
        }

        // Nine MiB put through a cache of one: the block files on disk stay within it.
        Assert.True(BlockFileBytes(node.Folder) <= capacity, $"{BlockFileBytes(node.Folder)} bytes of block files");
        string metrics = await http.GetStringAsync("/metrics");
        Assert.True(MetricValue(metrics, "arrowcid_cache_evictions_total", string.Empty) > 0);
        Assert.True(MetricValue(metrics, "arrowcid_cache_held_bytes", string.Empty) <= capacity);
        Assert.Equal(capacity, MetricValue(metrics, "arrowcid_cache_capacity_bytes", string.Empty));

        // Small tables too: on a node with a cache each block is a file of its own (not packed),
        // so the bound covers them as it covers chunks.
        FlightPutSummary? small = null;
        for (int i = 0; i < 32; i++)
        {
            using var table = TestBatches.Small(700 + i, rows: 200);
            small = await client.PutAsync(table.Schema, [table]);
            Assert.InRange(small.Batches.Single().Bytes, 1, 64 << 10);
        }

        Assert.True(HoldsFile(node.Folder, small!.Table.ToString()), "a small table's block is not a file of its own");
        Assert.True(BlockFileBytes(node.Folder) <= capacity, $"{BlockFileBytes(node.Folder)} bytes of block files after small puts");

        // The first table's chunks were evicted: read back through the bucket, verified, as misses.
        var (first, firstRows) = tables[0];
        Assert.Contains(first.Batches, chunk => !HoldsFile(node.Folder, chunk.Cid.ToString()));

        // A command reading the node's folder finds what the cache evicted: read back from the bucket the folder remembers.
        var second = tables[1].Put;
        Assert.Contains(second.Batches, chunk => !HoldsFile(node.Folder, chunk.Cid.ToString()));
        string exported = Path.Combine(node.Folder, "second.arrows");
        var (code, text) = await ServeProcess.RunCliWithEnvironmentAsync(StoreEnvironment(), "get", second.Table.ToString(), "--repo", Path.Combine(node.Folder, "repo"), "-o", exported);
        Assert.True(code == 0, text);
        long exportedRows = 0;
        using (var reader = new ArrowCid.Arrow.Ipc.ArrowStreamReader(File.ReadAllBytes(exported)))
        {
            while (reader.ReadNext() is { } batch)
            {
                using (batch)
                {
                    exportedRows += batch.Length;
                }
            }
        }

        Assert.Equal(tables[1].Rows, exportedRows);
        var fetched = await client.GetByNameAsync("table-0", null);
        Assert.Equal(first.Table, fetched.Cid);
        Assert.Equal(firstRows, ServeCluster.Rows(fetched));
        metrics = await http.GetStringAsync("/metrics");
        Assert.True(MetricValue(metrics, "arrowcid_cache_misses_total", string.Empty) > 0);

        // Pinned into the cache: every chunk of the second table is on disk, beyond the bound, and stays as more is put.
        var (pinned, pinnedRows) = tables[1];
        await client.ActionAsync("pin", pinned.Table.ToString());
        using (var more = TestBatches.Large(3L << 20, seed: 669))
        {
            await client.PutAsync(FlightClient.PutDescriptor(name: "more"), more.Schema, [more]);
        }

        Assert.All(pinned.Batches, chunk => Assert.True(HoldsFile(node.Folder, chunk.Cid.ToString()), $"pinned chunk {chunk.Cid} evicted"));

        // With the bucket gone, the pinned table is served from the cache all the same.
        Ceph.Kill("rgw");
        var served = await client.GetByNameAsync("table-1", null);
        Assert.Equal(pinned.Table, served.Cid);
        Assert.Equal(pinnedRows, ServeCluster.Rows(served));
        Assert.False(node.HasExited);
    }

    [Fact]
    public async Task Gc_deletes_from_the_bucket_only_what_no_name_or_pin_reaches_and_verify_rehashes_the_bucket_against_the_registry()
    {
        if (Skipped())
        {
            return;
        }

        string bucket = await NewBucketAsync();
        var environment = StoreEnvironment();
        string registry = server.CreateDatabase();
        await using var node = await ServeProcess.StartWithEnvironmentAsync(environment, "--registry", registry, "--blocks", $"s3://{bucket}/");
        using var client = new FlightClient(node.Location);
        using var table = TestBatches.Large(2L << 20, seed: 661);
        var kept = await client.PutAsync(FlightClient.PutDescriptor(name: "kept"), table.Schema, [table]);
        using var small = TestBatches.Small(5, rows: 50);
        var loose = await client.PutAsync(small.Schema, [small]);
        using var pinnedBatch = TestBatches.Small(6, rows: 60);
        var pinned = await client.PutAsync(pinnedBatch.Schema, [pinnedBatch]);

        // Unpinned, the loose table is garbage: nothing names or pins it on any node.
        await client.ActionAsync("unpin", loose.Table.ToString());
        await node.KillAsync();
        using var s3 = RawClient();
        var before = await ContentsAsync(s3, bucket);
        Assert.Contains(loose.Table.ToString(), before.Cids);

        // Within the grace period, nothing goes; with none, the garbage goes and nothing else.
        var (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", Path.Combine(node.Folder, "repo"), "--json");
        Assert.True(code == 0, output);
        using (var json = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf('}') + 1)]))
        {
            Assert.True(json.RootElement.TryGetProperty("bucket", out var report), output);
            Assert.Equal(before.Objects.Count + before.Packs.Count, report.GetProperty("listed").GetInt64());
            Assert.Equal(before.Packs.Count, report.GetProperty("packs").GetInt64());
            Assert.Equal(0, report.GetProperty("deleted").GetInt64());
            Assert.True(report.GetProperty("within_grace").GetInt64() > 0);
        }

        // A put on another host guarding the loose table's block (as one that stored it again would): gc leaves it.
        using (var shared = ArrowCid.Registry.RegistryFactory.Open(registry))
        {
            Assert.Empty(shared.GuardTierBlocks("put/elsewhere", [loose.Table], TimeSpan.FromMinutes(10)));
            (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", Path.Combine(node.Folder, "repo"), "--grace", "0");
            Assert.True(code == 0, output);
            Assert.DoesNotContain($"deleted {loose.Table}", output, StringComparison.Ordinal);
            Assert.Contains(loose.Table.ToString(), (await ContentsAsync(s3, bucket)).Cids);
            shared.ReleaseTierGuards(["put/elsewhere"]);
        }

        (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "gc", "--repo", Path.Combine(node.Folder, "repo"), "--grace", "0");
        Assert.True(code == 0, output);
        Assert.Contains($"deleted {loose.Table} from s3://{bucket}/", output, StringComparison.Ordinal);
        var after = await ContentsAsync(s3, bucket);
        Assert.Equal(before.Cids.Where(k => k != loose.Table.ToString()).Order(StringComparer.Ordinal), after.Cids.Order(StringComparer.Ordinal));
        Assert.Contains(pinned.Table.ToString(), after.Cids);
        Assert.All(kept.Batches, chunk => Assert.Contains(chunk.Cid.ToString(), after.Cids));

        // verify re-hashes every object against the registry: clean, then a damaged one found and repaired.
        (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(node.Folder, "repo"));
        Assert.True(code == 0, output);
        Assert.Contains($"verify: s3://{bucket}/: {after.Objects.Count + after.Packs.Count} objects re-hashed; 0 corrupt, 0 missing, 0 damaged packs, 0 no record names: clean", output, StringComparison.Ordinal);

        string damaged = kept.Batches[0].Cid.ToString();
        string key = (await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket })).S3Objects!.Single(o => o.Key.EndsWith("/" + damaged, StringComparison.Ordinal)).Key;
        await s3.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "not the block" });
        (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(node.Folder, "repo"));
        Assert.Equal(1, code);
        Assert.Contains($"corrupt {damaged} in s3://{bucket}/", output, StringComparison.Ordinal);
        Assert.Contains("DAMAGED", output, StringComparison.Ordinal);
        (code, output) = await ServeProcess.RunCliWithEnvironmentAsync(environment, "verify", "--repo", Path.Combine(node.Folder, "repo"), "--repair", "--json");
        Assert.True(code == 0, output);
        Assert.DoesNotContain(damaged, (await ContentsAsync(s3, bucket)).Cids);
        Assert.DoesNotContain(Ceph.SecretKey, output, StringComparison.Ordinal);
    }

    // What a bucket holds under a prefix, as a plain S3 client reads it: the keys of block objects
    // and of packs, and the CIDs of every block in them (a pack's from its own index, each block
    // checked against its CID).
    private static async Task<(List<string> Objects, List<string> Packs, List<string> Cids, List<string> Journal)> ContentsAsync(AmazonS3Client s3, string bucket, string prefix = "")
    {
        var listed = (await s3.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket, Prefix = prefix })).S3Objects ?? [];
        var objects = listed.Select(o => o.Key).Where(k => k.StartsWith(prefix + "blocks/", StringComparison.Ordinal)).ToList();
        var packs = listed.Select(o => o.Key).Where(k => k.StartsWith(prefix + "packs/", StringComparison.Ordinal)).ToList();
        var journal = listed.Select(o => o.Key).Where(k => k.StartsWith(prefix + "journal/", StringComparison.Ordinal)).ToList();
        var cids = objects.Select(k => k[(k.LastIndexOf('/') + 1)..]).ToList();
        foreach (string key in packs)
        {
            using var response = await s3.GetObjectAsync(bucket, key);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes);
            byte[] pack = bytes.ToArray();
            foreach (var entry in ArrowCid.ObjectStorage.BucketPack.ReadIndex(pack, pack.Length, key[(key.LastIndexOf('/') + 1)..]))
            {
                Assert.True(entry.Cid.Verify(pack.AsSpan((int)entry.At.Offset, entry.At.Length)), $"{entry.Cid} in {key}");
                cids.Add(entry.Cid.ToString());
            }
        }

        return (objects, packs, cids, journal);
    }

    /// <summary>The bytes of the block files (not packs) under a node's folder.</summary>
    private static long BlockFileBytes(string folder) =>
        Directory.EnumerateFiles(folder, "b*", SearchOption.AllDirectories)
            .Where(path => ArrowCid.Content.Multiformats.Cid.TryParse(Path.GetFileName(path), out _))
            .Sum(path => new FileInfo(path).Length);

    // A block's own file in a node's folder.
    private static string BlockFile(string folder, ArrowCid.Content.Multiformats.Cid cid) =>
        Directory.EnumerateFiles(folder, cid.ToString(), SearchOption.AllDirectories).Single();

    private static bool HoldsFile(string folder, string cid) =>
        Directory.EnumerateFiles(folder, cid, SearchOption.AllDirectories).Any();

    /// <summary>A new bucket and a new registry database, and the arguments of a node that keeps its blocks and records there: every node started with them shares both.</summary>
    private async Task<(string Bucket, string[] Arguments)> NewStoreAsync()
    {
        string bucket = await NewBucketAsync();
        return (bucket, ["--registry", server.CreateDatabase(), "--blocks", $"s3://{bucket}/nodes/"]);
    }

    /// <summary>A node started with <paramref name="arguments"/>, once it has opened and probed the bucket (a gate on its line; the time only a guard against a hang).</summary>
    private async Task<ServeProcess> StartNodeAsync(string bucket, string[] arguments)
    {
        var node = await ServeProcess.StartWithEnvironmentAsync(StoreEnvironment(), arguments);
        try
        {
            await node.WaitForOutputAsync($"blocks also in s3://{bucket}/nodes/ at {Ceph.Endpoint}", TimeSpan.FromMinutes(2));
            return node;
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }
    }

    /// <summary>One batch as an Arrow IPC stream file, as a user hands it to the CLI.</summary>
    private static void WriteStream(string path, Arrow.Arrays.RecordBatch batch)
    {
        using var file = File.Create(path);
        using var writer = new Arrow.Ipc.ArrowStreamWriter(file, batch.Schema);
        writer.Write(batch);
        writer.Finish();
    }

    /// <summary>A new, empty bucket of the test's cluster.</summary>
    private async Task<string> NewBucketAsync()
    {
        string bucket = "n-" + Guid.NewGuid().ToString("N")[..16];
        using var s3 = RawClient();
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    /// <summary>How a node reaches the cluster: the standard AWS variables, as an operator sets them (never arguments).</summary>
    private Dictionary<string, string> StoreEnvironment() => Ceph.AwsEnvironment();

    /// <summary>The value of one Prometheus sample whose labels include <paramref name="labels"/> (0 when absent).</summary>
    private static double MetricValue(string exposition, string name, string labels)
    {
        foreach (string line in exposition.Split('\n'))
        {
            if ((line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains(labels, StringComparison.Ordinal)) || (labels.Length == 0 && line.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    // The AWS SDK configured as the tier configures it, without the tier: for what a test does behind its back.
    private AmazonS3Client RawClient() => StoreOptions().CreateClient(out _);

    private ObjectStorage.S3BlockTierOptions StoreOptions() =>
        new() { Endpoint = Ceph.Endpoint, Credentials = new BasicAWSCredentials(Ceph.AccessKey, Ceph.SecretKey) };

    private bool Skipped()
    {
        if (!server.Available)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("PostgreSQL binaries not found"));
            return true;
        }

        if (CephTestCluster.Unavailable() is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return true;
        }

        return false;
    }
}
