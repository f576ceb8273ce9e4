using System.Data.Common;
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
/// <para>
/// Logged commits (<see cref="ILoggedCommits"/>, the repository's group commit) run on a second
/// connection with <c>synchronous = NORMAL</c>: in WAL mode its commit appends to the WAL without
/// an fsync, so the caller's one log sync is the group's only one. Power loss may drop such a
/// commit, with every later unsynced one (the WAL is replayed in order and cut at the first frame
/// not written), never an earlier synced one; the table <c>log_applied</c>, written in the same
/// transaction, tells the caller where to replay from. The next synced commit makes them durable too.
/// </para>
/// </summary>
public sealed class SqliteRegistry : SqlRegistry, ILoggedCommits
{
    private readonly string _connectionString;
    private readonly int _busyTimeoutMilliseconds;
    private readonly Lock _writeGate = new();
    private WriterConnection? _writer;
    private WriterConnection? _unsyncedWriter;

    // The writer connection whose transaction is running (set under the write gate), whose prepared statements the writes reuse.
    private WriterConnection? _writing;
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
        Arrow.IO.PrivateFiles.CreateFolder(Path.GetDirectoryName(DatabasePath)!);

        // Made 0600 before SQLite opens it, which gives its journal and WAL files the same mode.
        Arrow.IO.PrivateFiles.CreateEmpty(DatabasePath);
        var timeout = busyTimeout ?? TimeSpan.FromSeconds(30);
        _busyTimeoutMilliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Clamp(timeout.TotalSeconds, 1, int.MaxValue),
        }.ToString();

        try
        {
            using var connection = Open(synced: true);
            SqliteSchema.Migrate(connection);
        }
        catch
        {
            // A pooled connection would keep the damaged file open for the next registry on this path (one rebuilt after it is moved aside, say).
            using var pooled = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(pooled);
            throw;
        }
    }

    /// <summary>The database file (absolute).</summary>
    public string DatabasePath { get; }

    /// <summary>The schema version this build creates and migrates to.</summary>
    public static int SchemaVersion => SqliteSchema.CurrentVersion;

    /// <inheritdoc/>
    protected override BlockRecord UpsertIn(DbConnection connection, DbTransaction transaction, BlockRecord record, out bool wasPinned)
    {
        var c = (SqliteConnection)connection;
        var t = (SqliteTransaction)transaction;
        string cid = record.Cid.ToString();
        // Every put registers new blocks: an insert that does nothing for a CID already there, and
        // the record as stored built from what was written (no read-back). A block seen before
        // takes the general path.
        if (TryInsertNew(c, t, cid, record) is { } inserted)
        {
            wasPinned = false;
            return inserted;
        }

        var existing = SqliteRecordReader.ReadOne(c, t, record.Cid);
        wasPinned = existing?.Pinned == true;
        var now = Now(c, t);
        var created = existing?.Created ?? (record.Created == default ? now : record.Created);
        SqlCommands.Execute(
            c,
            t,
            """
            INSERT INTO blocks (cid, kind, schema, rows, bytes, created_us, producer, provenance, pinned)
            VALUES ($cid, $kind, $schema, $rows, $bytes, $created, $producer, $provenance, $pinned)
            ON CONFLICT (cid) DO UPDATE SET kind = excluded.kind, schema = excluded.schema, rows = excluded.rows,
                bytes = excluded.bytes, producer = excluded.producer, provenance = excluded.provenance,
                pinned = MAX(blocks.pinned, excluded.pinned);
            """,
            BlockRowValues(cid, record, created));
        foreach (var (key, value) in record.Tags)
        {
            UpsertTag(c, t, cid, key, value);
        }

        foreach (string location in record.Locations)
        {
            InsertLocation(c, t, cid, location);
        }

        ReplaceLinks(c, t, cid, record.Links);

        AddChange(c, t, cid, existing == null ? RegistryChangeKind.Registered : RegistryChangeKind.Updated, now);
        return SqliteRecordReader.ReadOne(c, t, record.Cid)!;
    }

    // The values of a block's row, named as the INSERTs into blocks name them.
    private static (string Name, object? Value)[] BlockRowValues(string cid, BlockRecord record, DateTimeOffset created) =>
    [
        ("$cid", cid),
        ("$kind", (int)record.Kind),
        ("$schema", record.Schema),
        ("$rows", record.Rows),
        ("$bytes", record.Bytes),
        ("$created", RegistryTime.ToMicroseconds(created)),
        ("$producer", record.Producer),
        ("$provenance", record.Provenance),
        ("$pinned", record.Pinned ? 1 : 0),
    ];

    // A block not registered yet: its row, tags, locations and links inserted, and the record as a
    // read would return it (creation time at the stored precision, tags and locations in key
    // order); null, with nothing written, when the CID has a row already.
    private BlockRecord? TryInsertNew(SqliteConnection c, SqliteTransaction t, string cid, BlockRecord record)
    {
        var now = Now(c, t);
        var created = RegistryTime.Truncate(record.Created == default ? now : record.Created);
        int inserted = Execute(
            c,
            t,
            """
            INSERT INTO blocks (cid, kind, schema, rows, bytes, created_us, producer, provenance, pinned)
            VALUES ($cid, $kind, $schema, $rows, $bytes, $created, $producer, $provenance, $pinned)
            ON CONFLICT (cid) DO NOTHING;
            """,
            BlockRowValues(cid, record, created));
        if (inserted == 0)
        {
            return null;
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in record.Tags.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            UpsertTag(c, t, cid, key, value);
            tags[key] = value;
        }

        var locations = record.Locations.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (string location in locations)
        {
            InsertLocation(c, t, cid, location);
        }

        InsertLinks(c, t, cid, record.Links);
        AddChangeRow(c, t, cid, RegistryChangeKind.Registered, now);
        return record with
        {
            Created = created,
            Tags = tags,
            Locations = locations,
            Links = [.. record.Links],
        };
    }

    /// <inheritdoc/>
    public long AppliedThrough(ulong log) =>
        ReadSqlite((c, t) => SqlCommands.ScalarInt64(c, t, "SELECT position FROM log_applied WHERE log = $log;", ("$log", unchecked((long)log))) ?? -1);

    /// <inheritdoc/>
    public IReadOnlyDictionary<ulong, long> ListApplied() => ReadSqlite((c, t) =>
    {
        using var command = SqlCommands.Create(c, t, "SELECT log, position FROM log_applied;");
        using var reader = command.ExecuteReader();
        var applied = new Dictionary<ulong, long>();
        while (reader.Read())
        {
            applied[unchecked((ulong)reader.GetInt64(0))] = reader.GetInt64(1);
        }

        return (IReadOnlyDictionary<ulong, long>)applied;
    });

    /// <inheritdoc/>
    public void MakeDurable()
    {
        // Rewriting the positions puts pages in the WAL, so the synced commit fsyncs it, and with it
        // every unsynced commit before (every logged commit writes a position, so none is missed).
        WriteSqlite(synced: true, (c, t) => SqlCommands.Execute(c, t, "UPDATE log_applied SET position = position;"));
    }

    /// <inheritdoc/>
    public void ForgetLog(ulong log) =>
        WriteSqlite(synced: true, (c, t) => SqlCommands.Execute(c, t, "DELETE FROM log_applied WHERE log = $log;", ("$log", unchecked((long)log))));

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> UpsertLogged(ulong log, long position, IReadOnlyList<BlockRecord> records, Func<long, IReadOnlyList<IReadOnlyList<BlockRecord>>> missed)
    {
        CheckUpsertArguments(records);
        ArgumentNullException.ThrowIfNull(missed);
        long key = unchecked((long)log);
        return WriteSqlite(synced: false, (c, t) =>
        {
            long applied = ScalarInt64(c, t, "SELECT position FROM log_applied WHERE log = $log;", ("$log", key)) ?? -1;
            foreach (var group in missed(applied))
            {
                UpsertEachIn(c, t, group);
            }

            if (applied >= position)
            {
                // Applied already (another process replayed the entry): the rows as stored.
                var current = new BlockRecord[records.Count];
                for (int i = 0; i < records.Count; i++)
                {
                    current[i] = SqliteRecordReader.ReadOne(c, t, records[i].Cid) ?? records[i];
                }

                return (IReadOnlyList<BlockRecord>)current;
            }

            var stored = UpsertEachIn(c, t, records);
            Execute(
                c,
                t,
                "INSERT INTO log_applied (log, position) VALUES ($log, $position) ON CONFLICT (log) DO UPDATE SET position = MAX(position, excluded.position);",
                ("$log", key),
                ("$position", position));
            return stored;
        });
    }

    /// <inheritdoc/>
    public override BlockRecord? Find(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return ReadSqlite((c, t) => SqliteRecordReader.ReadOne(c, t, cid));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<BlockRecord> List(RegistryQuery? query = null)
    {
        var (sql, parameters) = SqliteQueryBuilder.Build(query ?? new RegistryQuery());
        return ReadSqlite((c, t) => SqliteRecordReader.ReadAll(c, t, sql, parameters));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return ReadSqlite((c, t) =>
        {
            using var command = SqlCommands.Create(c, t, "SELECT seq, cid, kind, at_us FROM changes WHERE seq > $seq ORDER BY seq LIMIT $limit;", ("$seq", sequence), ("$limit", limit));
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
    protected override void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        lock (_writeGate)
        {
            _disposed = true;
            _writer?.Dispose();
            _writer = null;
            _unsyncedWriter?.Dispose();
            _unsyncedWriter = null;
        }

        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    /// <inheritdoc/>
    protected override object PinnedValue(bool pinned) => pinned ? 1 : 0;

    /// <inheritdoc/>
    protected override string PinnedCondition => "pinned = 1";

    /// <inheritdoc/>
    protected override void AddChange(DbConnection connection, DbTransaction transaction, string cid, RegistryChangeKind kind, DateTimeOffset at) =>
        AddChangeRow(connection, transaction, cid, kind, at);

    private void AddChangeRow(DbConnection connection, DbTransaction transaction, string cid, RegistryChangeKind kind, DateTimeOffset at) =>
        Execute(connection, transaction, "INSERT INTO changes (cid, kind, at_us) VALUES ($cid, $kind, $at);", ("$cid", cid), ("$kind", (int)kind), ("$at", RegistryTime.ToMicroseconds(at)));

    /// <inheritdoc/>
    protected override string VersionTimeColumn => "created_us";

    /// <inheritdoc/>
    protected override object StoredTime(DateTimeOffset time) => RegistryTime.ToMicroseconds(time);

    /// <inheritdoc/>
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => RegistryTime.FromMicroseconds(reader.GetInt64(ordinal));

    private SqliteConnection Open(bool synced)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        connection.Open();

        // Per-connection settings: pooled connections keep them, new ones need them (a pooled
        // connection may have been opened unsynced, so the level is always set). Temporary tables
        // and indexes go to a file: the set gc keeps is built in one (the UNION of a recursive
        // query), as large as the registry, and the build of SQLite we ship keeps them in memory.
        string synchronous = synced ? "FULL" : "NORMAL";
        SqlCommands.Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {_busyTimeoutMilliseconds}; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON; PRAGMA temp_store = FILE;"));
        return connection;
    }

    /// <inheritdoc/>
    protected override T Write<T>(Func<DbConnection, DbTransaction, T> work) => WriteSqlite<T>(synced: true, (c, t) => work(c, t));

    /// <inheritdoc/>
    protected override T Read<T>(Func<DbConnection, DbTransaction, T> work) => ReadSqlite<T>((c, t) => work(c, t));

    // Writes take turns on one connection kept open: SQLite runs one writer at a time anyway, so
    // in-process writers queue on a lock instead of SQLite's busy back-off, and each write skips
    // the pool, the per-connection settings and, for the statements of a put, their preparing.
    // Logged commits have a connection of their own that does not sync at commit.
    private T WriteSqlite<T>(bool synced, Func<SqliteConnection, SqliteTransaction, T> work)
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var writer = synced ? (_writer ??= new WriterConnection(Open(synced: true))) : (_unsyncedWriter ??= new WriterConnection(Open(synced: false)));
            _writing = writer;
            try
            {
                using var transaction = writer.Connection.BeginTransaction(deferred: false);
                T result = work(writer.Connection, transaction);

                // The commit is where SQLite writes (and, synced, fsyncs) its WAL: the fault seam's point for the registry.
                Arrow.IO.FileFaults.Check(synced ? Arrow.IO.FileOperation.Sync : Arrow.IO.FileOperation.Write, DatabasePath);
                transaction.Commit();
                return result;
            }
            catch (SqliteException)
            {
                // The transaction was rolled back; a fresh connection for the next write, whatever state this one is in.
                writer.Dispose();
                if (synced)
                {
                    _writer = null;
                }
                else
                {
                    _unsyncedWriter = null;
                }

                throw;
            }
            finally
            {
                _writing = null;
            }
        }
    }

    // A statement run on the writer connection prepared once (the same SQL again only binds new
    // values), or, on any other connection, prepared for this one run.
    private int Execute(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters) =>
        _writing is { } writer && ReferenceEquals(writer.Connection, connection)
            ? writer.Prepared(sql, (SqliteTransaction)transaction, parameters).ExecuteNonQuery()
            : SqlCommands.Execute(connection, transaction, sql, parameters);

    // As Execute, for a statement whose first column of the first row is a long (null when there is no row).
    private long? ScalarInt64(DbConnection connection, DbTransaction transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        if (_writing is not { } writer || !ReferenceEquals(writer.Connection, connection))
        {
            return SqlCommands.ScalarInt64(connection, transaction, sql, parameters);
        }

        object? value = writer.Prepared(sql, (SqliteTransaction)transaction, parameters).ExecuteScalar();
        return value is null or DBNull ? null : Convert.ToInt64(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Reads in one deferred transaction, so a record and its tags, locations and links come from one snapshot.</summary>
    private T ReadSqlite<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open(synced: true);
        using var transaction = connection.BeginTransaction(deferred: true);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    /// <summary>A connection kept open for writes, with the statements run on it prepared once and kept until it closes.</summary>
    private sealed class WriterConnection(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

        public SqliteConnection Connection => connection;

        // The statement for sql, its parameters (always the same names in the same order for one
        // SQL text) bound to the values given, in the transaction given.
        public SqliteCommand Prepared(string sql, SqliteTransaction transaction, (string Name, object? Value)[] parameters)
        {
            if (!_statements.TryGetValue(sql, out var command))
            {
                command = connection.CreateCommand();
#pragma warning disable CA2100 // Every caller passes constant SQL; values travel as parameters.
                command.CommandText = sql;
#pragma warning restore CA2100
                foreach (var (name, _) in parameters)
                {
                    command.Parameters.Add(new SqliteParameter { ParameterName = name });
                }

                command.Transaction = transaction;
                command.Prepare();
                _statements[sql] = command;
            }

            command.Transaction = transaction;
            for (int i = 0; i < parameters.Length; i++)
            {
                command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
            }

            return command;
        }

        public void Dispose()
        {
            foreach (var command in _statements.Values)
            {
                command.Dispose();
            }

            _statements.Clear();
            connection.Dispose();
        }
    }
}
