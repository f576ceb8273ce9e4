using System.Globalization;
using System.Text;
using ArrowCid.Content.Multiformats;
using Npgsql;
using NpgsqlTypes;

namespace ArrowCid.Registry.Postgres;

/// <summary>
/// Parameterised statements (values never go into SQL text), the write lock, and the one query
/// that reads records with their tags, locations and links.
/// </summary>
internal static class PostgresCommands
{
    /// <summary>The channel every committed change is announced on; the payload is its sequence number.</summary>
    public const string Channel = "arrowcid_changes";

    /// <summary>
    /// The transaction-scoped advisory lock every write holds ("ArrowCid" in ASCII). Writers take
    /// their sequence numbers under it, so numbers commit in order: a change becomes visible only
    /// after every change with a smaller number, as the change feed promises.
    /// </summary>
    private const long WriteLockKey = 0x4172726F77436964;

    /// <summary>The record columns, then tag keys, tag values, locations and linked batches as arrays.</summary>
    private const string RecordSelect = """
        SELECT b.cid, b.kind, b.schema, b.rows, b.bytes, b.created, b.producer, b.provenance, b.pinned,
            ARRAY(SELECT t.key FROM tags t WHERE t.cid = b.cid ORDER BY t.key),
            ARRAY(SELECT t.value FROM tags t WHERE t.cid = b.cid ORDER BY t.key),
            ARRAY(SELECT l.location FROM locations l WHERE l.cid = b.cid ORDER BY l.location),
            ARRAY(SELECT k.child FROM links k WHERE k.parent = b.cid ORDER BY k.ordinal)
        FROM blocks b
        """;

    /// <summary>Waits for the registry's write lock; it is released when the transaction ends.</summary>
    public static void TakeWriteLock(NpgsqlConnection connection, NpgsqlTransaction transaction) =>
        SqlCommands.Execute(connection, transaction, "SELECT pg_advisory_xact_lock(@key);", ("key", WriteLockKey));

    /// <summary>Appends a change to the feed and announces it (delivered when the transaction commits).</summary>
    /// <summary>Appends a change and announces it; <paramref name="at"/> null records the server's time.</summary>
    public static void AddChange(NpgsqlConnection connection, NpgsqlTransaction transaction, string cid, RegistryChangeKind kind, DateTimeOffset? at) =>
        SqlCommands.Execute(
            connection,
            transaction,
            $"WITH c AS (INSERT INTO changes (cid, kind, at) VALUES (@cid, @kind, COALESCE(@at::timestamptz, now())) RETURNING seq) SELECT pg_notify('{Channel}', c.seq::text) FROM c;",
            ("cid", cid),
            ("kind", (int)kind),
            ("at", at is { } time ? Timestamp(time) : null));

    /// <summary>An instant as stored: UTC, truncated to the microsecond.</summary>
    public static DateTime Timestamp(DateTimeOffset time) => RegistryTime.Truncate(time).UtcDateTime;

    public static BlockRecord? ReadOne(NpgsqlConnection connection, NpgsqlTransaction? transaction, Cid cid)
    {
        var records = ReadAll(connection, transaction, RecordSelect + " WHERE b.cid = @cid;", ("cid", cid.ToString()));
        return records.Count == 0 ? null : records[0];
    }

    /// <summary>One SELECT with parameters for a <see cref="RegistryQuery"/>.</summary>
    public static List<BlockRecord> Query(NpgsqlConnection connection, NpgsqlTransaction? transaction, RegistryQuery query)
    {
        var sql = new StringBuilder(RecordSelect).Append(" WHERE TRUE");
        var parameters = new List<(string, object?)>();
        if (query.Kind is { } kind)
        {
            sql.Append(" AND b.kind = @kind");
            parameters.Add(("kind", (int)kind));
        }

        if (query.Pinned is { } pinned)
        {
            sql.Append(" AND b.pinned = @pinned");
            parameters.Add(("pinned", pinned));
        }

        if (query.Producer is { } producer)
        {
            sql.Append(" AND b.producer = @producer");
            parameters.Add(("producer", producer));
        }

        if (query.Name is { } name)
        {
            // The name's versions are read by their key (name, version); the records they point at by theirs.
            sql.Append(" AND b.cid IN (SELECT v.cid FROM versions v WHERE v.name = @name)");
            parameters.Add(("name", DatasetName.Validate(name)));
        }

        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND b.created >= @from");
            parameters.Add(("from", Timestamp(from)));
        }

        if (query.CreatedBefore is { } before)
        {
            sql.Append(" AND b.created < @before");
            parameters.Add(("before", Timestamp(before)));
        }

        if (query.TablesOnly)
        {
            // A record a table's manifest links is part of that table (a chunk or an inner node);
            // what only a foreign DAG links (an imported CAR's Arrow stream) is a table of its own.
            sql.Append(" AND NOT EXISTS (SELECT 1 FROM links l JOIN blocks p ON p.cid = l.parent WHERE l.child = b.cid AND p.kind IN (@datasetKind, @tableNodeKind))");
            parameters.Add(("datasetKind", (int)BlockKind.Dataset));
            parameters.Add(("tableNodeKind", (int)BlockKind.TableNode));

            // A version's node in its name's chain links the table; it is history, not a table.
            sql.Append(" AND b.kind <> @versionNodeKind");
            parameters.Add(("versionNodeKind", (int)BlockKind.VersionNode));
        }

        int index = 0;
        foreach (var (key, value) in query.Tags)
        {
            string k = "k" + index.ToString(CultureInfo.InvariantCulture);
            string v = "v" + index.ToString(CultureInfo.InvariantCulture);
            sql.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM tags t WHERE t.cid = b.cid AND t.key = @{k} AND t.value = @{v})");
            parameters.Add((k, key));
            parameters.Add((v, value));
            index++;
        }

        sql.Append(" ORDER BY b.created, b.cid");
        if (query.Limit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(query));
            sql.Append(" LIMIT @limit");
            parameters.Add(("limit", limit));
        }

        sql.Append(';');
        return ReadAll(connection, transaction, sql.ToString(), [.. parameters]);
    }

    private static List<BlockRecord> ReadAll(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = SqlCommands.Create(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var records = new List<BlockRecord>();
        while (reader.Read())
        {
            string[] keys = reader.GetFieldValue<string[]>(9);
            string[] values = reader.GetFieldValue<string[]>(10);
            var tags = new Dictionary<string, string>(keys.Length, StringComparer.Ordinal);
            for (int i = 0; i < keys.Length; i++)
            {
                tags[keys[i]] = values[i];
            }

            records.Add(new BlockRecord
            {
                Cid = Cid.Parse(reader.GetString(0)),
                Kind = (BlockKind)reader.GetInt32(1),
                Schema = reader.IsDBNull(2) ? null : reader.GetString(2),
                Rows = reader.GetInt64(3),
                Bytes = reader.GetInt64(4),
                Created = reader.GetFieldValue<DateTimeOffset>(5),
                Producer = reader.IsDBNull(6) ? null : reader.GetString(6),
                Provenance = reader.IsDBNull(7) ? null : reader.GetString(7),
                Pinned = reader.GetBoolean(8),
                Tags = tags,
                Locations = reader.GetFieldValue<string[]>(11),
                Links = Array.ConvertAll(reader.GetFieldValue<string[]>(12), Cid.Parse),
            });
        }

        return records;
    }
}
