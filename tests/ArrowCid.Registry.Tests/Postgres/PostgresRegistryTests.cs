using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Sqlite;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using Npgsql;
using Xunit.Abstractions;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Registry.Tests.Postgres;

/// <summary>What PostgreSQL adds to the contract: schema versions, several processes on one database, NOTIFY.</summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresRegistryTests(PostgresTestServer server, ITestOutputHelper output)
{
    // A hang guard only: a lost notification fails the test instead of blocking the run.
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_server_that_goes_away_is_a_registry_unavailable_error_naming_it_without_driver_text()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var relay = TcpRelay.Start(server.Port);
        string throughRelay = new NpgsqlConnectionStringBuilder(database) { Port = relay.Port }.ConnectionString;
        using var registry = new PostgresRegistry(throughRelay);
        registry.Upsert(BatchRecord(FakeCid(1)));

        relay.Cut();

        foreach (Action call in new Action[] { () => registry.Upsert(BatchRecord(FakeCid(2))), () => registry.ListNames(), () => registry.Find(FakeCid(1)) })
        {
            var error = Assert.Throws<RegistryUnavailableException>(call);
            Assert.Contains($"PostgreSQL at 127.0.0.1:{relay.Port}", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Npgsql", error.Message, StringComparison.Ordinal);
            output.WriteLine(error.Message);
        }

        var starting = Assert.Throws<RegistryUnavailableException>(() => new PostgresRegistry(throughRelay));
        Assert.Contains("refused the connection", starting.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_writer_that_dies_inside_a_transaction_holds_the_write_lock_only_until_the_server_ends_its_session()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var registry = new PostgresRegistry(database);
        registry.Upsert(BatchRecord(FakeCid(1)));

        // Every session starts with the limits, unless the connection text sets one itself.
        using (var session = new NpgsqlConnection(PostgresRegistry.WithSessionLimits(database)))
        {
            session.Open();
            using var show = new NpgsqlCommand("SHOW idle_in_transaction_session_timeout;", session);
            Assert.Equal(PostgresRegistry.IdleInTransactionTimeout, (string)show.ExecuteScalar()!);
        }

        // A node that took the write lock and went silent mid-transaction (its socket still open),
        // with the limit shortened so the test does not wait 30 s.
        string shortLimit = new NpgsqlConnectionStringBuilder(database) { Options = "-c idle_in_transaction_session_timeout=1s" }.ConnectionString;
        using var silent = new NpgsqlConnection(PostgresRegistry.WithSessionLimits(shortLimit));
        silent.Open();
        var stuck = silent.BeginTransaction();
        PostgresCommands.TakeWriteLock(silent, stuck);

        // The registry's write waits for the lock, and gets it once the server ends the silent session.
        Assert.True(registry.Pin(FakeCid(1)));
        Assert.True(registry.Find(FakeCid(1))!.Pinned);
        Assert.ThrowsAny<NpgsqlException>(() => stuck.Commit());
    }

    [Fact]
    public void Versions_and_changes_take_the_servers_time_not_a_skewed_nodes()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        // Two nodes: one clock right, one two hours behind, as in the report.
        using var right = new PostgresRegistry(database);
        using var behind = new PostgresRegistry(database) { Clock = new SkewedClock(TimeSpan.FromHours(-2)) };
        right.Upsert(BatchRecord(FakeCid(1)));
        behind.Upsert(BatchRecord(FakeCid(2)));
        var first = right.AddVersion("skew", FakeCid(1))!;
        var second = behind.AddVersion("skew", FakeCid(2))!;

        var serverTime = Assert.IsType<DateTime>(Scalar(database, "SELECT now();"));
        var serverNow = new DateTimeOffset(DateTime.SpecifyKind(serverTime, DateTimeKind.Utc));
        Assert.InRange(second.Created, first.Created, serverNow);
        Assert.InRange(behind.Find(FakeCid(2))!.Created, serverNow.AddMinutes(-5), serverNow);
        Assert.All(behind.ChangesSince(0), c => Assert.InRange(c.At, serverNow.AddMinutes(-5), serverNow));
        // A filter on the last half hour finds both versions' records.
        Assert.Equal(2, right.List(new RegistryQuery { CreatedFrom = serverNow.AddMinutes(-30) }).Count);
    }

    [Fact]
    public void A_new_database_gets_the_tables_at_the_current_schema_version_and_reopening_keeps_everything()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using (var registry = new PostgresRegistry(database))
        {
            registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
        }

        Assert.Equal((long)PostgresRegistry.SchemaVersion, Scalar(database, "SELECT version::bigint FROM arrowcid_schema_version;"));
        Assert.Equal(1L, Scalar(database, "SELECT COUNT(*) FROM arrowcid_schema_version;"));
        using var reopened = new PostgresRegistry(database);
        Assert.True(reopened.Find(FakeCid(1))!.Pinned);
        Assert.Equal(1, reopened.LatestSequence);
        reopened.Upsert(BatchRecord(FakeCid(2)));
        Assert.Equal(2, reopened.LatestSequence);
    }

    [Fact]
    public void A_database_of_schema_version_1_is_migrated_and_keeps_its_records()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using (var registry = new PostgresRegistry(database))
        {
            registry.Upsert(BatchRecord(FakeCid(1)) with { Pinned = true });
        }

        // What a build before named datasets left behind: no versions table, version 1.
        Scalar(database, "DROP TABLE versions; DROP TABLE tier_guards; DROP TABLE tier_deletions; DROP TABLE ipns_records; UPDATE arrowcid_schema_version SET version = 1;");
        NpgsqlConnection.ClearAllPools();
        using (var migrated = new PostgresRegistry(database))
        {
            Assert.True(migrated.Find(FakeCid(1))!.Pinned);
            Assert.Equal(1, migrated.AddVersion("sensors", FakeCid(1))!.Version);
            Assert.Equal(FakeCid(1), migrated.FindVersion("sensors")!.Cid);
        }

        Assert.Equal((long)PostgresRegistry.SchemaVersion, Scalar(database, "SELECT version::bigint FROM arrowcid_schema_version;"));
        Assert.True(PostgresRegistry.SchemaVersion >= 2);
    }

    [Fact]
    public void A_database_from_a_newer_version_is_refused()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using (new PostgresRegistry(database))
        {
        }

        Scalar(database, "UPDATE arrowcid_schema_version SET version = 999 RETURNING version;");
        var error = Assert.Throws<NotSupportedException>(() => new PostgresRegistry(database));
        Assert.Contains("999", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_registries_registering_one_cid_concurrently_end_in_one_consistent_row()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var first = new PostgresRegistry(database);
        using var second = new PostgresRegistry(database);
        var created = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
        const int Rounds = 40;
        Parallel.For(0, 2 * Rounds, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            var registry = i % 2 == 0 ? first : second;
            registry.Upsert(BatchRecord(FakeCid(7)) with
            {
                Created = created.AddDays(i),
                Pinned = i == 13,
                Tags = new Dictionary<string, string> { ["writer" + (i % 2)] = "yes", ["round" + i] = "x" },
                Locations = ["node-" + (i % 2), "node-" + i],
            });
        });

        foreach (var registry in new[] { first, second })
        {
            var record = registry.Find(FakeCid(7))!;
            Assert.Equal([FakeCid(7)], registry.ListCids());
            Assert.True(record.Pinned);
            Assert.Equal(2 + (2 * Rounds), record.Tags.Count);
            Assert.Equal(Enumerable.Range(0, 2 * Rounds).Select(i => "node-" + i).Order(StringComparer.Ordinal), record.Locations);

            var changes = registry.ChangesSince(0, limit: 10_000);
            Assert.Equal(2 * Rounds, changes.Count);
            Assert.Equal(RegistryChangeKind.Registered, changes[0].Kind);
            Assert.All(changes.Skip(1), c => Assert.Equal(RegistryChangeKind.Updated, c.Kind));
            Assert.Equal(changes.Count, changes.Select(c => c.Sequence).Distinct().Count());

            // Created is the first registration's, whichever writer won the race.
            Assert.Contains(record.Created, Enumerable.Range(0, 2 * Rounds).Select(i => created.AddDays(i)));
        }

        Assert.Equal(first.Find(FakeCid(7)), second.Find(FakeCid(7)), new RecordComparer());
    }

    [Fact]
    public async Task A_subscriber_hears_a_change_committed_through_another_registry()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var writer = new PostgresRegistry(database);
        using var reader = new PostgresRegistry(database);
        using var woken = new SemaphoreSlim(0);
        using var subscription = reader.Subscribe(() => woken.Release());
        using var guard = new CancellationTokenSource(Guard);
        long seen = reader.LatestSequence;

        writer.Upsert(BatchRecord(FakeCid(21)));
        writer.Pin(FakeCid(21));

        // Each wake-up (a NOTIFY, or the listener's first connect) is followed by a read of the feed.
        var heard = new List<RegistryChange>();
        while (heard.Count < 2)
        {
            await woken.WaitAsync(guard.Token);
            var page = reader.ChangesSince(seen);
            heard.AddRange(page);
            seen = page.Count > 0 ? page[^1].Sequence : seen;
        }

        Assert.Equal([RegistryChangeKind.Registered, RegistryChangeKind.Pinned], heard.Select(c => c.Kind));
        Assert.All(heard, c => Assert.Equal(FakeCid(21), c.Cid));
    }

    [Fact]
    public async Task A_notification_carries_the_sequence_number_on_the_arrowcid_changes_channel()
    {
        if (Skipped())
        {
            return;
        }

        string database = server.CreateDatabase();
        using var registry = new PostgresRegistry(database);
        await using var listener = new NpgsqlConnection(database);
        await listener.OpenAsync();
        var payloads = new List<(string Channel, string Payload)>();
        listener.Notification += (_, e) => payloads.Add((e.Channel, e.Payload));
        await using (var listen = new NpgsqlCommand("LISTEN " + PostgresRegistry.NotificationChannel + ";", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        registry.Upsert(BatchRecord(FakeCid(31)));
        using var guard = new CancellationTokenSource(Guard);
        while (payloads.Count == 0)
        {
            await listener.WaitAsync(guard.Token);
        }

        Assert.Equal(("arrowcid_changes", registry.LatestSequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), payloads.Single());
    }

    [Fact]
    public void The_factory_opens_postgres_urls_keyword_strings_and_sqlite_paths()
    {
        using (var folder = new TempDirectory())
        using (var sqlite = RegistryFactory.Open("sqlite:" + Path.Combine(folder.Path, "r.db")))
        {
            Assert.IsType<SqliteRegistry>(sqlite);
            Assert.True(File.Exists(Path.Combine(folder.Path, "r.db")));
        }

        Assert.Throws<FormatException>(() => RegistryFactory.Open("mysql://somewhere/db"));
        Assert.Throws<FormatException>(() => RegistryFactory.Open("sqlite:"));
        if (Skipped())
        {
            return;
        }

        string keywords = server.CreateDatabase();
        string database = new NpgsqlConnectionStringBuilder(keywords).Database!;
        using (var byKeywords = RegistryFactory.Open(keywords))
        {
            Assert.IsType<PostgresRegistry>(byKeywords);
            byKeywords.Upsert(BatchRecord(FakeCid(41)));
        }

        using var byUrl = RegistryFactory.Open($"postgres://postgres@127.0.0.1:{server.Port}/{database}");
        Assert.IsType<PostgresRegistry>(byUrl);
        Assert.True(byUrl.Contains(FakeCid(41)));
    }

    [Fact]
    public void A_url_becomes_an_npgsql_connection_string_with_escapes_decoded()
    {
        var parsed = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse("postgresql://ann:p%40ss%3Aword@db.example:5433/reg%20istry?Timeout=7"));
        Assert.Equal("db.example", parsed.Host);
        Assert.Equal(5433, parsed.Port);
        Assert.Equal("ann", parsed.Username);
        Assert.Equal("p@ss:word", parsed.Password);
        Assert.Equal("reg istry", parsed.Database);
        Assert.Equal(7, parsed.Timeout);

        var bare = new NpgsqlConnectionStringBuilder(PostgresConnectionString.Parse("postgres://db.example/reg"));
        Assert.Equal("db.example", bare.Host);
        Assert.Null(bare.Username);
        Assert.Throws<FormatException>(() => PostgresConnectionString.Parse("postgres://db.example/reg?novalue"));
        Assert.Throws<FormatException>(() => PostgresConnectionString.Parse("NotAKeyword=1"));
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

    private static object? Scalar(string database, string sql)
    {
        using var connection = new NpgsqlConnection(database);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    private sealed class RecordComparer : IEqualityComparer<BlockRecord?>
    {
        public bool Equals(BlockRecord? x, BlockRecord? y) =>
            x is not null && y is not null && x.Cid == y.Cid && x.Created == y.Created && x.Pinned == y.Pinned
            && x.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).SequenceEqual(y.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            && x.Locations.SequenceEqual(y.Locations) && x.Rows == y.Rows && x.Producer == y.Producer;

        public int GetHashCode(BlockRecord? obj) => obj?.Cid.GetHashCode() ?? 0;
    }

    /// <summary>The system clock shifted by a fixed amount: a node whose clock is wrong.</summary>
    private sealed class SkewedClock(TimeSpan skew) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + skew;
    }
}
