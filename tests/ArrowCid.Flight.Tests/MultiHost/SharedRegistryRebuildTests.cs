using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Tests.Postgres;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using Npgsql;
using Xunit.Abstractions;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// A PostgreSQL registry shared by nodes loses its tables: what a node wrote there (its rows with
/// their location, names' versions, tags, pins and unpins, through the journaled registry a node
/// opens) is written again by <see cref="LocalRepository.RebuildShared"/> from the node's folder,
/// and lists as it did.
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class SharedRegistryRebuildTests(PostgresTestServer server, ITestOutputHelper output) : IDisposable
{
    private const string Location = "grpc://node-a:5005";
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_shared_registry_whose_tables_were_dropped_is_written_again_from_the_journal()
    {
        if (!server.Available)
        {
            output.WriteLine(PostgresTestServer.SkipMessage);
            return;
        }

        string url = server.CreateDatabase();
        var random = new Random(11);
        string before;
        using (var repository = new LocalRepository(_folder.Path))
        using (var opened = new PostgresRegistry(url))
        {
            var shared = repository.Journaled(opened);
            var cids = new List<Cid>();
            for (int i = 0; i < 4; i++)
            {
                var (cid, bytes) = RandomBatch(random);
                repository.PutBlock(cid, bytes, BatchRecord(cid) with { Pinned = i % 2 == 0 });
                // As a node publishes what it stored (ServiceRegistry.Registered).
                shared.Upsert(repository.GetRecord(cid)!.PublishedFrom(Location, pinned: i % 2 == 0));
                cids.Add(cid);
            }

            Assert.NotNull(shared.AddVersion("sales", cids[0]));
            Assert.NotNull(shared.AddVersion("sales", cids[1]));
            Assert.NotNull(shared.AddVersion("other", cids[2]));
            Assert.True(shared.SetTag(cids[1], "team", "north"));
            Assert.True(shared.SetTag(cids[2], "team", "south"));
            Assert.True(shared.RemoveTag(cids[2], "team"));
            Assert.True(shared.Pin(cids[3]));
            Assert.True(shared.Unpin(cids[0]));
            before = Snapshot(opened);
        }

        using (var connection = new NpgsqlConnection(url))
        {
            connection.Open();
            using var drop = new NpgsqlCommand("DROP SCHEMA public CASCADE; CREATE SCHEMA public;", connection);
            drop.ExecuteNonQuery();
        }

        NpgsqlConnection.ClearAllPools();
        using (var repository = new LocalRepository(_folder.Path))
        using (var empty = new PostgresRegistry(url))
        {
            Assert.Empty(empty.ListNames());
            var rebuilt = repository.RebuildShared(empty, Location);
            Assert.Equal(3, rebuilt.Versions);
            Assert.Equal(4, rebuilt.Rows);
            string after = Snapshot(empty);
            output.WriteLine(after);
            Assert.Equal(before, after);
        }
    }

    private static string Snapshot(PostgresRegistry registry)
    {
        var rows = registry.List().OrderBy(r => r.Cid.ToString(), StringComparer.Ordinal)
            .Select(r => $"{r.Cid} {r.Rows} {r.Created:O} pinned={r.Pinned} at={string.Join(',', r.Locations)} {string.Join(',', r.Tags.Select(t => $"{t.Key}={t.Value}"))}");
        var versions = registry.ListNames().SelectMany(n => registry.ListVersions(n.Name)).Select(v => $"{v.Name}@{v.Version} {v.Cid} {v.Created:O}");
        return string.Join('\n', [.. rows, .. versions]);
    }
}
