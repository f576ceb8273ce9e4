using System.Globalization;
using ArrowCid.Content.Multiformats;
using Microsoft.Data.Sqlite;

namespace ArrowCid.Registry.Sqlite;

/// <summary>
/// The embedded registry: one SQLite file in WAL mode (readers never wait for the writer),
/// <c>synchronous = FULL</c> (a commit that returned survives power loss, not only a process
/// crash), a busy timeout so concurrent processes queue instead of failing, and every write in
/// an IMMEDIATE transaction (the write lock is taken up front, so two writers cannot deadlock
/// upgrading read locks). The schema is created or migrated on open.
/// </summary>
public sealed class SqliteRegistry : IRegistry
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;
    private bool _disposed;

    /// <summary>Opens (creating and migrating if needed) the registry database at <paramref name="path"/>.</summary>
    /// <param name="path">The database file; its folder is created if missing.</param>
    /// <param name="busyTimeout">How long a statement waits for another connection's lock; 30 s when null.</param>
    /// <exception cref="NotSupportedException">The file was written by a newer schema version.</exception>
    /// <exception cref="SqliteException">The file is not a usable SQLite database.</exception>
    public SqliteRegistry(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        DatabasePath = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        _busyTimeoutMilliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Clamp(timeout.TotalSeconds, 1, int.MaxValue),
        }.ToString();

        using var connection = Open();
        SqliteSchema.Migrate(connection);
    }

    /// <summary>The database file (absolute).</summary>
    public string DatabasePath { get; }

    /// <summary>The schema version this build creates and migrates to.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc/>
    public long LatestSequence => Read((c, t) => SqliteCommands.ScalarInt64(c, t, "SELECT COALESCE(MAX(seq), 0) FROM changes;") ?? 0);

    /// <inheritdoc/>
    public BlockRecord Upsert(BlockRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(record.Cid);
        return Write((c, t) =>
        {
            string cid = record.Cid.ToString();
            var existing = SqliteRecordReader.ReadOne(c, t, record.Cid);
            var now = DateTimeOffset.UtcNow;
            var created = existing?.Created ?? (record.Created == default ? now : record.Created);
            SqliteCommands.Execute(
                c,
                t,
                """
                INSERT INTO blocks (cid, kind, schema, rows, bytes, created_us, producer, provenance, pinned)
                VALUES ($cid, $kind, $schema, $rows, $bytes, $created, $producer, $provenance, $pinned)
                ON CONFLICT (cid) DO UPDATE SET kind = excluded.kind, schema = excluded.schema, rows = excluded.rows,
                    bytes = excluded.bytes, producer = excluded.producer, provenance = excluded.provenance,
                    pinned = MAX(blocks.pinned, excluded.pinned);
                """,
                ("$cid", cid),
                ("$kind", (int)record.Kind),
                ("$schema", record.Schema),
                ("$rows", record.Rows),
                ("$bytes", record.Bytes),
                ("$created", RegistryTime.ToMicroseconds(created)),
                ("$producer", record.Producer),
                ("$provenance", record.Provenance),
                ("$pinned", record.Pinned ? 1 : 0));
            foreach (var (key, value) in record.Tags)
            {
                UpsertTag(c, t, cid, key, value);
            }

            foreach (string location in record.Locations)
            {
                SqliteCommands.Execute(c, t, "INSERT INTO locations (cid, location) VALUES ($cid, $location) ON CONFLICT DO NOTHING;", ("$cid", cid), ("$location", location));
            }

            SqliteCommands.Execute(c, t, "DELETE FROM links WHERE parent = $cid;", ("$cid", cid));
            for (int i = 0; i < record.Batches.Count; i++)
            {
                SqliteCommands.Execute(c, t, "INSERT INTO links (parent, ordinal, child) VALUES ($cid, $ordinal, $child);", ("$cid", cid), ("$ordinal", i), ("$child", record.Batches[i].ToString()));
            }

            AddChange(c, t, cid, existing == null ? RegistryChangeKind.Registered : RegistryChangeKind.Updated, now);
            return SqliteRecordReader.ReadOne(c, t, record.Cid)!;
        });
    }

    /// <inheritdoc/>
    public BlockRecord? Find(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Read((c, t) => SqliteRecordReader.ReadOne(c, t, cid));
    }

    /// <inheritdoc/>
    public bool Contains(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Read((c, t) => Exists(c, t, cid.ToString()));
    }

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> List(RegistryQuery? query = null)
    {
        var (sql, parameters) = SqliteQueryBuilder.Build(query ?? new RegistryQuery());
        return Read((c, t) => SqliteRecordReader.ReadAll(c, t, sql, parameters));
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> ListCids() =>
        Read((c, t) => SqliteCommands.Strings(c, t, "SELECT cid FROM blocks ORDER BY cid;").ConvertAll(Cid.Parse));

    /// <inheritdoc/>
    public bool Pin(Cid cid) => SetPinned(cid, pinned: true);

    /// <inheritdoc/>
    public bool Unpin(Cid cid) => SetPinned(cid, pinned: false);

    /// <inheritdoc/>
    public bool SetTag(Cid cid, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (!Exists(c, t, text))
            {
                return false;
            }

            if (UpsertTag(c, t, text, key, value))
            {
                AddChange(c, t, text, RegistryChangeKind.Tagged, DateTimeOffset.UtcNow);
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public bool RemoveTag(Cid cid, string key)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(key);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            bool removed = SqliteCommands.Execute(c, t, "DELETE FROM tags WHERE cid = $cid AND key = $key;", ("$cid", text), ("$key", key)) > 0;
            if (removed)
            {
                AddChange(c, t, text, RegistryChangeKind.Tagged, DateTimeOffset.UtcNow);
            }

            return removed;
        });
    }

    /// <inheritdoc/>
    public bool AddLocation(Cid cid, string location)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(location);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            if (!Exists(c, t, text))
            {
                return false;
            }

            if (SqliteCommands.Execute(c, t, "INSERT INTO locations (cid, location) VALUES ($cid, $location) ON CONFLICT DO NOTHING;", ("$cid", text), ("$location", location)) > 0)
            {
                AddChange(c, t, text, RegistryChangeKind.LocationAdded, DateTimeOffset.UtcNow);
            }

            return true;
        });
    }

    /// <inheritdoc/>
    public bool Delete(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Write((c, t) =>
        {
            string text = cid.ToString();

            // Tags, locations and outgoing links go with the row (ON DELETE CASCADE).
            bool deleted = SqliteCommands.Execute(c, t, "DELETE FROM blocks WHERE cid = $cid;", ("$cid", text)) > 0;
            if (deleted)
            {
                AddChange(c, t, text, RegistryChangeKind.Deleted, DateTimeOffset.UtcNow);
            }

            return deleted;
        });
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GetLinkingDatasets(Cid batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return Read((c, t) => SqliteCommands.Strings(c, t, "SELECT DISTINCT parent FROM links WHERE child = $cid ORDER BY parent;", ("$cid", batch.ToString())).ConvertAll(Cid.Parse));
    }

    /// <inheritdoc/>
    public IReadOnlySet<Cid> ListRetained()
    {
        // UNION (not UNION ALL) drops repeats, so the walk ends even on a cycle.
        const string Sql = """
            WITH RECURSIVE kept (cid) AS (
                SELECT cid FROM blocks WHERE pinned = 1
                UNION
                SELECT l.child FROM links l JOIN kept k ON l.parent = k.cid)
            SELECT cid FROM kept;
            """;
        return Read((c, t) => SqliteCommands.Strings(c, t, Sql).Select(Cid.Parse).ToHashSet());
    }

    /// <inheritdoc/>
    public IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Read((c, t) =>
        {
            using var command = SqliteCommands.Create(c, t, "SELECT seq, cid, kind, at_us FROM changes WHERE seq > $seq ORDER BY seq LIMIT $limit;", ("$seq", sequence), ("$limit", limit));
            using var reader = command.ExecuteReader();
            var changes = new List<RegistryChange>();
            while (reader.Read())
            {
                changes.Add(new RegistryChange(reader.GetInt64(0), Cid.Parse(reader.GetString(1)), (RegistryChangeKind)reader.GetInt32(2), RegistryTime.FromMicroseconds(reader.GetInt64(3))));
            }

            return (IReadOnlyList<RegistryChange>)changes;
        });
    }

    /// <summary>Closes the pooled connections so the database files are released.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    private bool SetPinned(Cid cid, bool pinned)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return Write((c, t) =>
        {
            string text = cid.ToString();
            int changed = SqliteCommands.Execute(c, t, "UPDATE blocks SET pinned = $pinned WHERE cid = $cid AND pinned <> $pinned;", ("$cid", text), ("$pinned", pinned ? 1 : 0));
            if (changed > 0)
            {
                AddChange(c, t, text, pinned ? RegistryChangeKind.Pinned : RegistryChangeKind.Unpinned, DateTimeOffset.UtcNow);
                return true;
            }

            return Exists(c, t, text);
        });
    }

    private static bool Exists(SqliteConnection c, SqliteTransaction? t, string cid) =>
        SqliteCommands.ScalarInt64(c, t, "SELECT 1 FROM blocks WHERE cid = $cid;", ("$cid", cid)) != null;

    /// <summary>Sets a tag; true when it was added or its value changed.</summary>
    private static bool UpsertTag(SqliteConnection c, SqliteTransaction t, string cid, string key, string value) =>
        SqliteCommands.Execute(
            c,
            t,
            "INSERT INTO tags (cid, key, value) VALUES ($cid, $key, $value) ON CONFLICT (cid, key) DO UPDATE SET value = excluded.value WHERE tags.value <> excluded.value;",
            ("$cid", cid),
            ("$key", key),
            ("$value", value)) > 0;

    private static void AddChange(SqliteConnection c, SqliteTransaction t, string cid, RegistryChangeKind kind, DateTimeOffset at) =>
        SqliteCommands.Execute(c, t, "INSERT INTO changes (cid, kind, at_us) VALUES ($cid, $kind, $at);", ("$cid", cid), ("$kind", (int)kind), ("$at", RegistryTime.ToMicroseconds(at)));

    private SqliteConnection Open()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // Per-connection settings: pooled connections keep them, new ones need them.
        SqliteCommands.Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"));
        return connection;
    }

    private T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>Reads in one deferred transaction, so a record and its tags, locations and links come from one snapshot.</summary>
    private T Read<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }
}
