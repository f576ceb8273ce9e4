using System.Data;
using System.Data.Common;
using ArrowCid.Content.Multiformats;
using Npgsql;

namespace ArrowCid.Registry.Postgres;

/// <summary>
/// The registry several hosts share: one PostgreSQL database. Every write is one transaction that
/// first takes a transaction-scoped advisory lock, so writers from any process queue (they cannot
/// deadlock, and the change feed's numbers commit in order); every read is one REPEATABLE READ
/// transaction, so a record and its tags, locations and links come from one snapshot. The schema
/// is created or migrated on open. Each change is announced with NOTIFY on
/// <c>arrowcid_changes</c> (payload: its sequence number); <see cref="Subscribe"/> hears them.
/// </summary>
public sealed class PostgresRegistry : SqlRegistry
{
    private static readonly TimeSpan ListenRetry = TimeSpan.FromSeconds(1);

    private readonly NpgsqlDataSource _dataSource;
    private readonly Lock _gate = new();
    private readonly List<Action> _subscribers = [];
    private readonly CancellationTokenSource _stop = new();
    private Task? _listener;
    private bool _disposed;

    /// <summary>
    /// How long a session may sit in an open transaction before the server ends it: every write
    /// holds the registry's lock for its transaction, so a node that dies mid-write (kill -9 behind
    /// a proxy, a host lost without a FIN) would otherwise stop every node's writes until TCP gave
    /// up on it, hours later. Our transactions take milliseconds.
    /// </summary>
    public const string IdleInTransactionTimeout = "30s";

    /// <summary>Connects (creating and migrating the tables if needed) to a PostgreSQL database.</summary>
    /// <param name="connection">A <c>postgres://user@host:port/database</c> URL or an Npgsql connection string.</param>
    /// <exception cref="FormatException">The connection text is neither.</exception>
    /// <exception cref="NotSupportedException">The database was written by a newer schema version.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached or refused the login.</exception>
    public PostgresRegistry(string connection)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connection);
        _dataSource = NpgsqlDataSource.Create(WithSessionLimits(PostgresConnectionString.Parse(connection)));
        try
        {
            Reached(() =>
            {
                using var open = _dataSource.OpenConnection();
                PostgresSchema.Migrate(open);
                return 0;
            });
        }
        catch
        {
            _dataSource.Dispose();
            _stop.Dispose();
            throw;
        }
    }

    /// <summary>The schema version this build creates and migrates to.</summary>
    public static int SchemaVersion => PostgresSchema.CurrentVersion;

    /// <summary>The NOTIFY channel changes are announced on.</summary>
    public static string NotificationChannel => PostgresCommands.Channel;

    /// <summary>
    /// Calls <paramref name="onChange"/> whenever a change is committed by any process (this one
    /// included), and once each time the listening connection is (re)established, since
    /// notifications sent while it was down are lost: the callback should re-read the change feed
    /// from the last sequence number it saw. The callback runs on the listener's thread and must
    /// return quickly without throwing (a Flight node passes <c>ChangeNotifier.Notify</c>).
    /// </summary>
    /// <param name="onChange">What to call.</param>
    /// <returns>Disposing it stops the calls.</returns>
    public IDisposable Subscribe(Action onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _subscribers.Add(onChange);
            _listener ??= Task.Run(() => ListenAsync(_stop.Token));
        }

        return new Subscription(this, onChange);
    }

    /// <inheritdoc/>
    protected override BlockRecord UpsertIn(DbConnection connection, DbTransaction transaction, BlockRecord record, out bool wasPinned)
    {
        var c = (NpgsqlConnection)connection;
        var t = (NpgsqlTransaction)transaction;
        string cid = record.Cid.ToString();
        bool? pinned = PinnedOf(c, t, cid);
        bool existed = pinned is not null;
        wasPinned = pinned == true;
        SqlCommands.Execute(
            c,
            t,
            """
            INSERT INTO blocks (cid, kind, schema, rows, bytes, created, producer, provenance, pinned)
            VALUES (@cid, @kind, @schema, @rows, @bytes, COALESCE(@created::timestamptz, now()), @producer, @provenance, @pinned)
            ON CONFLICT (cid) DO UPDATE SET kind = EXCLUDED.kind, schema = EXCLUDED.schema, rows = EXCLUDED.rows,
                bytes = EXCLUDED.bytes, producer = EXCLUDED.producer, provenance = EXCLUDED.provenance,
                pinned = blocks.pinned OR EXCLUDED.pinned;
            """,
            ("cid", cid),
            ("kind", (int)record.Kind),
            ("schema", record.Schema),
            ("rows", record.Rows),
            ("bytes", record.Bytes),
            ("created", record.Created == default ? null : PostgresCommands.Timestamp(record.Created)),
            ("producer", record.Producer),
            ("provenance", record.Provenance),
            ("pinned", record.Pinned));
        foreach (var (key, value) in record.Tags)
        {
            UpsertTag(c, t, cid, key, value);
        }

        foreach (string location in record.Locations)
        {
            InsertLocation(c, t, cid, location);
        }

        ReplaceLinks(c, t, cid, record.Links);
        PostgresCommands.AddChange(c, t, cid, existed ? RegistryChangeKind.Updated : RegistryChangeKind.Registered, at: null);
        return PostgresCommands.ReadOne(c, t, record.Cid)!;
    }

    // Whether a CID is registered pinned, unpinned, or not at all (null).
    private static bool? PinnedOf(NpgsqlConnection connection, NpgsqlTransaction transaction, string cid)
    {
        using var command = SqlCommands.Create(connection, transaction, "SELECT pinned FROM blocks WHERE cid = @cid;", ("cid", cid));
        return command.ExecuteScalar() is bool pinned ? pinned : null;
    }

    /// <inheritdoc/>
    public override BlockRecord? Find(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        return ReadPostgres((c, t) => PostgresCommands.ReadOne(c, t, cid));
    }

    /// <inheritdoc/>
    public override IReadOnlyList<BlockRecord> List(RegistryQuery? query = null) =>
        ReadPostgres((c, t) => PostgresCommands.Query(c, t, query ?? new RegistryQuery()));

    /// <inheritdoc/>
    public override IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return ReadPostgres((c, t) =>
        {
            using var command = SqlCommands.Create(c, t, "SELECT seq, cid, kind, at FROM changes WHERE seq > @seq ORDER BY seq LIMIT @limit;", ("seq", sequence), ("limit", limit));
            using var reader = command.ExecuteReader();
            var changes = new List<RegistryChange>();
            while (reader.Read())
            {
                changes.Add(new RegistryChange(reader.GetInt64(0), Cid.Parse(reader.GetString(1)), (RegistryChangeKind)reader.GetInt32(2), reader.GetFieldValue<DateTimeOffset>(3)));
            }

            return (IReadOnlyList<RegistryChange>)changes;
        });
    }

    /// <summary>Stops listening and closes every connection.</summary>
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        Task? listener;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            listener = _listener;
            _subscribers.Clear();
        }

        _stop.Cancel();
        listener?.GetAwaiter().GetResult();
        _stop.Dispose();
        _dataSource.Dispose();
    }

    /// <inheritdoc/>
    protected override object PinnedValue(bool pinned) => pinned;

    /// <inheritdoc/>
    protected override string PinnedCondition => "pinned";

    /// <inheritdoc/>
    protected override void AddChange(DbConnection connection, DbTransaction transaction, string cid, RegistryChangeKind kind, DateTimeOffset at) =>
        PostgresCommands.AddChange((NpgsqlConnection)connection, (NpgsqlTransaction)transaction, cid, kind, at);

    /// <summary>The server's clock (the transaction's start): one clock for every node.</summary>
    protected override DateTimeOffset Now(DbConnection connection, DbTransaction transaction)
    {
        using var command = SqlCommands.Create(connection, transaction, "SELECT now();");
        return command.ExecuteScalar() is DateTime time
            ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc))
            : throw new InvalidOperationException("PostgreSQL gave no time for now()");
    }

    /// <inheritdoc/>
    protected override string VersionTimeColumn => "created";

    /// <inheritdoc/>
    protected override object StoredTime(DateTimeOffset time) => PostgresCommands.Timestamp(time);

    /// <inheritdoc/>
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal);

    /// <inheritdoc/>
    protected override T Write<T>(Func<DbConnection, DbTransaction, T> work) => WritePostgres<T>((c, t) => work(c, t));

    /// <inheritdoc/>
    protected override T Read<T>(Func<DbConnection, DbTransaction, T> work) => ReadPostgres<T>((c, t) => work(c, t));

    private T WritePostgres<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reached(() =>
        {
            using var connection = _dataSource.OpenConnection();
            using var transaction = connection.BeginTransaction(IsolationLevel.ReadCommitted);
            PostgresCommands.TakeWriteLock(connection, transaction);
            T result = work(connection, transaction);
            transaction.Commit();
            return result;
        });
    }

    private T ReadPostgres<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Reached(() =>
        {
            using var connection = _dataSource.OpenConnection();
            using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
            T result = work(connection, transaction);
            transaction.Commit();
            return result;
        });
    }

    /// <summary>Runs a step against the server; losing the server is a <see cref="RegistryUnavailableException"/>, not the driver's error.</summary>
    private T Reached<T>(Func<T> step)
    {
        try
        {
            return step();
        }
        catch (Exception e) when ((Outage(e) ?? BrokenConnection(e)) is { } what)
        {
            var server = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
            throw new RegistryUnavailableException($"the registry is unreachable: PostgreSQL at {server.Host}:{server.Port} {what}; try again", e);
        }
    }

    // The driver can fail a connection the server dropped while it was being opened with an
    // ObjectDisposedException of its own; this registry disposes nothing while it is in use, so
    // while it lives such an exception means the connection broke.
    private string? BrokenConnection(Exception e) => e is ObjectDisposedException && !_disposed ? "dropped the connection" : null;

    /// <summary>What an exception says of the server when it means the server cannot be reached now; null for any other failure.</summary>
    private static string? Outage(Exception e) => e switch
    {
        // Errors the server reports: only those that mean it is going away or not taking connections.
        PostgresException { SqlState: "57P01" or "57P02" } => "is shutting down",
        PostgresException { SqlState: "57P03" } => "is starting up",
        PostgresException { SqlState: "53300" } => "has no connection left",
        PostgresException { SqlState: var state } when state.StartsWith("08", StringComparison.Ordinal) => "lost the connection",
        PostgresException => null,
        NpgsqlException { InnerException: System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused } } => "refused the connection",
        NpgsqlException { InnerException: TimeoutException } => "did not answer in time",
        NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException or EndOfStreamException } => "dropped the connection",
        NpgsqlException => "could not be reached",
        _ => null,
    };

    /// <summary>Holds one connection in LISTEN, reconnecting after failures, until disposal.</summary>
    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var connection = await _dataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    connection.Notification += (_, _) => Raise();
                    await using (var command = SqlCommands.Create(connection, null, $"LISTEN {PostgresCommands.Channel};"))
                    {
                        await command.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    }

                    // Whatever was committed before LISTEN took effect announced itself to nobody.
                    Raise();
                    while (true)
                    {
                        await connection.WaitAsync(stop).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                // The server went away or refused us: try again shortly.
                try
                {
                    await Task.Delay(ListenRetry, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Raise()
    {
        Action[] subscribers;
        lock (_gate)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber();
        }
    }

    private void Unsubscribe(Action onChange)
    {
        lock (_gate)
        {
            _subscribers.Remove(onChange);
        }
    }

    private sealed class Subscription(PostgresRegistry owner, Action onChange) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(onChange);
            }
        }
    }

    // The session settings every connection starts with, unless the connection text sets them:
    // the idle-in-transaction limit above, and server-side TCP keepalives (30 s idle, then 3 probes
    // 10 s apart), so a session whose client vanished is ended and its lock released.
    internal static string WithSessionLimits(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        string options = builder.Options ?? string.Empty;
        var added = new List<string>();
        foreach (var (setting, value) in new[]
        {
            ("idle_in_transaction_session_timeout", IdleInTransactionTimeout),
            ("tcp_keepalives_idle", "30"),
            ("tcp_keepalives_interval", "10"),
            ("tcp_keepalives_count", "3"),
        })
        {
            if (!options.Contains(setting, StringComparison.OrdinalIgnoreCase))
            {
                added.Add($"-c {setting}={value}");
            }
        }

        builder.Options = string.Join(' ', added.Prepend(options).Where(o => o.Length > 0));
        return builder.ConnectionString;
    }
}
