using System.Data.Common;

namespace ArrowCid.Registry;

/// <summary>
/// Schema versioning shared by the SQL registries: a one-row version table, append-only migration
/// scripts applied in order inside the caller's transaction, and refusal of a database written by a
/// newer build.
/// </summary>
internal static class SqlMigrations
{
    /// <summary>Brings the database to <paramref name="migrations"/>.Count, recording it in <paramref name="versionTable"/>.</summary>
    /// <exception cref="NotSupportedException">The database was written by a newer version.</exception>
    public static void Apply(DbConnection connection, DbTransaction transaction, string versionTable, IReadOnlyList<string> migrations)
    {
        int current = migrations.Count;
        SqlCommands.Execute(connection, transaction, $"CREATE TABLE IF NOT EXISTS {versionTable} (version INTEGER NOT NULL);");
        long? stored = SqlCommands.ScalarInt64(connection, transaction, $"SELECT version FROM {versionTable} LIMIT 1;");
        int version = (int)(stored ?? 0);
        if (version > current)
        {
            throw new NotSupportedException($"The registry database is at schema version {version}; this build knows versions up to {current}.");
        }

        for (int next = version; next < current; next++)
        {
            SqlCommands.Execute(connection, transaction, migrations[next]);
        }

        if (stored == null)
        {
            SqlCommands.Execute(connection, transaction, $"INSERT INTO {versionTable} (version) VALUES (@v);", ("@v", current));
        }
        else if (version != current)
        {
            SqlCommands.Execute(connection, transaction, $"UPDATE {versionTable} SET version = @v;", ("@v", current));
        }
    }
}
