using System.Globalization;
using System.Text;

namespace ArrowCid.Registry.Sqlite;

/// <summary>Turns a <see cref="RegistryQuery"/> into one SELECT with parameters (never inlined values).</summary>
internal static class SqliteQueryBuilder
{
    public static (string Sql, (string Name, object? Value)[] Parameters) Build(RegistryQuery query)
    {
        var sql = new StringBuilder($"SELECT {SqliteRecordReader.Columns} FROM blocks b WHERE 1 = 1");
        var parameters = new List<(string, object?)>();
        if (query.Kind is { } kind)
        {
            sql.Append(" AND b.kind = $kind");
            parameters.Add(("$kind", (int)kind));
        }

        if (query.Pinned is { } pinned)
        {
            sql.Append(" AND b.pinned = $pinned");
            parameters.Add(("$pinned", pinned ? 1 : 0));
        }

        if (query.Producer is { } producer)
        {
            sql.Append(" AND b.producer = $producer");
            parameters.Add(("$producer", producer));
        }

        if (query.Name is { } name)
        {
            // The name's versions are read by their key (name, version); the records they point at by theirs.
            sql.Append(" AND b.cid IN (SELECT v.cid FROM versions v WHERE v.name = $name)");
            parameters.Add(("$name", DatasetName.Validate(name)));
        }

        if (query.CreatedFrom is { } from)
        {
            sql.Append(" AND b.created_us >= $from");
            parameters.Add(("$from", RegistryTime.ToMicroseconds(from)));
        }

        if (query.CreatedBefore is { } before)
        {
            sql.Append(" AND b.created_us < $before");
            parameters.Add(("$before", RegistryTime.ToMicroseconds(before)));
        }

        if (query.TablesOnly)
        {
            // A record a table's manifest links is part of that table (a chunk or an inner node);
            // what only a foreign DAG links (an imported CAR's Arrow stream) is a table of its own.
            sql.Append(" AND NOT EXISTS (SELECT 1 FROM links l JOIN blocks p ON p.cid = l.parent WHERE l.child = b.cid AND p.kind IN ($datasetKind, $tableNodeKind))");
            parameters.Add(("$datasetKind", (int)BlockKind.Dataset));
            parameters.Add(("$tableNodeKind", (int)BlockKind.TableNode));

            // A version's node in its name's chain links the table; it is history, not a table.
            sql.Append(" AND b.kind <> $versionNodeKind");
            parameters.Add(("$versionNodeKind", (int)BlockKind.VersionNode));
        }

        int index = 0;
        foreach (var (key, value) in query.Tags)
        {
            string k = "$k" + index.ToString(CultureInfo.InvariantCulture);
            string v = "$v" + index.ToString(CultureInfo.InvariantCulture);
            sql.Append(CultureInfo.InvariantCulture, $" AND EXISTS (SELECT 1 FROM tags t WHERE t.cid = b.cid AND t.key = {k} AND t.value = {v})");
            parameters.Add((k, key));
            parameters.Add((v, value));
            index++;
        }

        sql.Append(" ORDER BY b.created_us, b.cid");
        if (query.Limit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(limit, nameof(query));
            sql.Append(" LIMIT $limit");
            parameters.Add(("$limit", limit));
        }

        sql.Append(';');
        return (sql.ToString(), parameters.ToArray());
    }
}
