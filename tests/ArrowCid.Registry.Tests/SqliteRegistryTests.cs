using ArrowCid.Registry.Sqlite;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using Microsoft.Data.Sqlite;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Registry.Tests;

/// <summary>What SQLite adds to the contract: the file, its mode and its schema version.</summary>
public sealed class SqliteRegistryTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    private string DatabasePath => Path.Combine(_folder.Path, "nested", "registry.db");

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void New_database_is_in_wal_mode_at_the_current_schema_version()
    {
        using (new SqliteRegistry(DatabasePath))
        {
        }

        using var connection = OpenRaw();
        Assert.Equal("wal", Scalar(connection, "PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteRegistry.SchemaVersion, Scalar(connection, "SELECT version FROM schema_version;"));
        Assert.Equal(1L, Scalar(connection, "SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public void Records_and_the_change_feed_survive_reopening()
    {
        using (var registry = new SqliteRegistry(DatabasePath))
        {
            registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
        }

        using var reopened = new SqliteRegistry(DatabasePath);
        Assert.True(reopened.Find(FakeCid(1))!.Pinned);
        Assert.Equal(1, reopened.LatestSequence);
        reopened.Upsert(BatchRecord(FakeCid(2)));
        Assert.Equal(2, reopened.LatestSequence);
    }

    [Fact]
    public void Two_instances_on_one_file_see_each_others_writes()
    {
        using var first = new SqliteRegistry(DatabasePath);
        using var second = new SqliteRegistry(DatabasePath);
        first.Upsert(BatchRecord(FakeCid(1)));
        Assert.True(second.Contains(FakeCid(1)));
        second.Pin(FakeCid(1));
        Assert.True(first.Find(FakeCid(1))!.Pinned);
    }

    [Fact]
    public void A_database_of_schema_version_1_is_migrated_and_keeps_its_records()
    {
        using (var registry = new SqliteRegistry(DatabasePath))
        {
            registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
        }

        // What a build before named datasets left behind: no versions table, version 1.
        using (var connection = OpenRaw())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "DROP TABLE versions; DROP TABLE log_applied; DROP TABLE tier_guards; DROP TABLE tier_deletions; DROP TABLE ipns_records; UPDATE schema_version SET version = 1;";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        using (var migrated = new SqliteRegistry(DatabasePath))
        {
            Assert.True(migrated.Find(FakeCid(1))!.Pinned);
            Assert.Equal(1, migrated.AddVersion("sensors", FakeCid(1))!.Version);
            Assert.Equal(FakeCid(1), migrated.FindVersion("sensors")!.Cid);
        }

        using var check = OpenRaw();
        Assert.Equal((long)SqliteRegistry.SchemaVersion, Scalar(check, "SELECT version FROM schema_version;"));
        Assert.True(SqliteRegistry.SchemaVersion >= 2);
    }

    [Fact]
    public void A_database_of_schema_version_2_is_migrated_to_logged_commits_and_keeps_its_records()
    {
        using (var registry = new SqliteRegistry(DatabasePath))
        {
            registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
            registry.AddVersion("sensors", FakeCid(1));
        }

        // What a build before logged commits left behind: no log_applied table, version 2.
        using (var connection = OpenRaw())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "DROP TABLE log_applied; DROP TABLE tier_guards; DROP TABLE tier_deletions; DROP TABLE ipns_records; DROP INDEX versions_node; ALTER TABLE versions DROP COLUMN node; UPDATE schema_version SET version = 2;";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        using var migrated = new SqliteRegistry(DatabasePath);
        Assert.True(migrated.Find(FakeCid(1))!.Pinned);
        Assert.Equal(FakeCid(1), migrated.FindVersion("sensors")!.Cid);
        var logged = migrated;
        Assert.Equal(-1, logged.AppliedThrough(7));
        logged.UpsertLogged(7, 128, [BatchRecord(FakeCid(2))], _ => []);
        Assert.Equal(128, logged.AppliedThrough(7));
    }

    [Fact]
    public void A_logged_commit_applies_the_missed_entries_first_and_its_position_never_moves_back()
    {
        using var registry = new SqliteRegistry(DatabasePath);
        var logged = registry;
        const ulong pack = 0xF00D_0000_0000_0001; // above long.MaxValue: stored as its two's complement
        long seen = -2;
        registry.Upsert(BatchRecord(FakeCid(3)) with { Pinned = true });
        var stored = logged.UpsertLogged(pack, 640, [BatchRecord(FakeCid(3))], applied =>
        {
            seen = applied;
            return [[BatchRecord(FakeCid(1))], [BatchRecord(FakeCid(2)) with { Pinned = true }]];
        });

        Assert.Equal(-1, seen);
        Assert.True(Assert.Single(stored).Pinned);
        Assert.Equal(FakeCid(3), Assert.Single(stored).Cid);
        Assert.True(registry.Contains(FakeCid(1)));
        Assert.True(registry.Find(FakeCid(2))!.Pinned);
        Assert.Equal(640, logged.AppliedThrough(pack));
        Assert.Equal(640, logged.ListApplied()[pack]);

        logged.UpsertLogged(pack, 64, [], applied =>
        {
            seen = applied;
            return [];
        });
        Assert.Equal(640, seen);
        Assert.Equal(640, logged.AppliedThrough(pack));

        logged.MakeDurable();
        logged.ForgetLog(pack);
        Assert.Equal(-1, logged.AppliedThrough(pack));
        Assert.Empty(logged.ListApplied());
    }

    [Fact]
    public void A_logged_entry_applied_already_is_not_applied_again()
    {
        // Another process replayed a pack this one had sealed before its applier got there.
        using var registry = new SqliteRegistry(DatabasePath);
        var logged = registry;
        logged.UpsertLogged(3, 256, [BatchRecord(FakeCid(1)) with { Pinned = true }], _ => []);
        long sequence = registry.LatestSequence;
        var stored = logged.UpsertLogged(3, 256, [BatchRecord(FakeCid(1), producer: "again"), BatchRecord(FakeCid(2))], _ => []);

        Assert.Equal(sequence, registry.LatestSequence);
        Assert.Equal("test", registry.Find(FakeCid(1))!.Producer);
        Assert.False(registry.Contains(FakeCid(2)));
        Assert.True(stored[0].Pinned);
        Assert.Equal("test", stored[0].Producer);
        Assert.Equal(256, logged.AppliedThrough(3));
    }

    [Fact]
    public void Logged_commits_in_a_row_store_each_row_as_given_whether_new_or_registered_before()
    {
        // The writer connection's statements are prepared once and bound afresh for each row:
        // nulls after values, values after nulls, and a CID seen before taking the merging path.
        using var registry = new SqliteRegistry(DatabasePath);
        var logged = registry;
        var tags = new Dictionary<string, string> { ["sensor"] = "7" };
        logged.UpsertLogged(1, 64, [BatchRecord(FakeCid(1), producer: "a"), BatchRecord(FakeCid(2), producer: null) with { Provenance = "p", Tags = tags }], _ => []);
        var stored = logged.UpsertLogged(
            1,
            128,
            [BatchRecord(FakeCid(1), producer: "b") with { Pinned = true }, BatchRecord(FakeCid(3), producer: null), BatchRecord(FakeCid(1), producer: "c")],
            _ => []);

        Assert.Equal([FakeCid(1), FakeCid(3), FakeCid(1)], stored.Select(r => r.Cid));
        var first = registry.Find(FakeCid(1))!;
        Assert.Equal("c", first.Producer);
        Assert.True(first.Pinned);
        var second = registry.Find(FakeCid(2))!;
        Assert.Null(second.Producer);
        Assert.Equal("p", second.Provenance);
        Assert.Equal(tags, second.Tags);
        var third = registry.Find(FakeCid(3))!;
        Assert.Null(third.Producer);
        Assert.Null(third.Provenance);
        Assert.Empty(third.Tags);
        Assert.Equal(
            [(FakeCid(1), RegistryChangeKind.Registered), (FakeCid(2), RegistryChangeKind.Registered), (FakeCid(1), RegistryChangeKind.Updated), (FakeCid(3), RegistryChangeKind.Registered), (FakeCid(1), RegistryChangeKind.Updated)],
            registry.ChangesSince(0).Select(c => (c.Cid, c.Kind)));
        Assert.Equal(128, logged.AppliedThrough(1));
    }

    [Fact]
    public void A_logged_commit_that_fails_records_neither_its_rows_nor_its_position()
    {
        using var registry = new SqliteRegistry(DatabasePath);
        var logged = registry;
        Assert.Throws<InvalidDataException>(() => logged.UpsertLogged(5, 64, [BatchRecord(FakeCid(1))], _ => throw new InvalidDataException("damaged entry")));
        Assert.False(registry.Contains(FakeCid(1)));
        Assert.Equal(-1, logged.AppliedThrough(5));
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused()
    {
        using (new SqliteRegistry(DatabasePath))
        {
        }

        using (var connection = OpenRaw())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE schema_version SET version = 999;";
            command.ExecuteNonQuery();
        }

        SqliteConnection.ClearAllPools();
        var error = Assert.Throws<NotSupportedException>(() => new SqliteRegistry(DatabasePath));
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_a_database_gives_a_sqlite_error()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var junk = new byte[8192];
        new Random(7).NextBytes(junk);
        File.WriteAllBytes(DatabasePath, junk);

        Assert.Throws<SqliteException>(() => new SqliteRegistry(DatabasePath));
    }

    [Fact]
    public void Disposed_registry_refuses_work()
    {
        var registry = new SqliteRegistry(DatabasePath);
        registry.Dispose();
        Assert.Throws<ObjectDisposedException>(() => registry.Contains(FakeCid(1)));
    }

    private SqliteConnection OpenRaw()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
