using ArrowCid.Content.Multiformats;
using Microsoft.Data.Sqlite;

namespace ArrowCid.Registry.Sqlite;

/// <summary>Assembles <see cref="BlockRecord"/>s from the blocks row and its tags, locations and links.</summary>
internal static class SqliteRecordReader
{
    /// <summary>The columns every record query selects, in the order <see cref="ReadAll"/> expects.</summary>
    public const string Columns = "b.cid, b.kind, b.schema, b.rows, b.bytes, b.created_us, b.producer, b.provenance, b.pinned";

    public static BlockRecord? ReadOne(SqliteConnection connection, SqliteTransaction? transaction, Cid cid)
    {
        var records = ReadAll(connection, transaction, $"SELECT {Columns} FROM blocks b WHERE b.cid = $cid;", ("$cid", cid.ToString()));
        return records.Count == 0 ? null : records[0];
    }

    public static List<BlockRecord> ReadAll(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var rows = new List<BlockRecord>();
        using (var command = SqlCommands.Create(connection, transaction, sql, parameters))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add(new BlockRecord
                {
                    Cid = Cid.Parse(reader.GetString(0)),
                    Kind = (BlockKind)reader.GetInt32(1),
                    Schema = reader.IsDBNull(2) ? null : reader.GetString(2),
                    Rows = reader.GetInt64(3),
                    Bytes = reader.GetInt64(4),
                    Created = RegistryTime.FromMicroseconds(reader.GetInt64(5)),
                    Producer = reader.IsDBNull(6) ? null : reader.GetString(6),
                    Provenance = reader.IsDBNull(7) ? null : reader.GetString(7),
                    Pinned = reader.GetInt64(8) != 0,
                });
            }
        }

        for (int i = 0; i < rows.Count; i++)
        {
            rows[i] = WithChildren(connection, transaction, rows[i]);
        }

        return rows;
    }

    private static BlockRecord WithChildren(SqliteConnection connection, SqliteTransaction? transaction, BlockRecord record)
    {
        string cid = record.Cid.ToString();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var command = SqlCommands.Create(connection, transaction, "SELECT key, value FROM tags WHERE cid = $cid ORDER BY key;", ("$cid", cid)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                tags[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var locations = SqlCommands.Strings(connection, transaction, "SELECT location FROM locations WHERE cid = $cid ORDER BY location;", ("$cid", cid));
        var links = SqlCommands.Strings(connection, transaction, "SELECT child FROM links WHERE parent = $cid ORDER BY ordinal;", ("$cid", cid));
        return record with
        {
            Tags = tags,
            Locations = locations,
            Links = links.ConvertAll(Cid.Parse),
        };
    }
}
