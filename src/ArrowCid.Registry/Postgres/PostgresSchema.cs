using Npgsql;

namespace ArrowCid.Registry.Postgres;

/// <summary>
/// The PostgreSQL registry's tables and their migrations. <c>arrowcid_schema_version</c> holds one
/// row, the number of migrations applied; opening a database applies the missing ones in one
/// transaction under the registry's advisory lock, so two processes opening a new database at once
/// cannot both migrate it. Text that is sorted (CIDs, tag keys, locations) uses the "C" collation:
/// the same byte order as SQLite, whatever the database's locale.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Each entry moves the schema from version i to i + 1. Append only; never edit a shipped one.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE blocks (
            cid TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            kind INTEGER NOT NULL,
            schema TEXT NULL,
            rows BIGINT NOT NULL,
            bytes BIGINT NOT NULL,
            created TIMESTAMPTZ NOT NULL,
            producer TEXT COLLATE "C" NULL,
            provenance TEXT NULL,
            pinned BOOLEAN NOT NULL);
        CREATE INDEX blocks_created ON blocks (created, cid);
        CREATE TABLE tags (
            cid TEXT COLLATE "C" NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            key TEXT COLLATE "C" NOT NULL,
            value TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (cid, key));
        CREATE INDEX tags_key_value ON tags (key, value);
        CREATE TABLE locations (
            cid TEXT COLLATE "C" NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            location TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (cid, location));
        CREATE TABLE links (
            parent TEXT COLLATE "C" NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            child TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (parent, ordinal));
        CREATE INDEX links_child ON links (child);
        CREATE TABLE changes (
            seq BIGSERIAL PRIMARY KEY,
            cid TEXT COLLATE "C" NOT NULL,
            kind INTEGER NOT NULL,
            at TIMESTAMPTZ NOT NULL);
        """,
        // 2: named datasets. No foreign key to blocks: a version is history and is never rewritten;
        // garbage collection keeps what versions name instead.
        """
        CREATE TABLE versions (
            name TEXT COLLATE "C" NOT NULL,
            version BIGINT NOT NULL,
            cid TEXT COLLATE "C" NOT NULL,
            created TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (name, version));
        CREATE INDEX versions_cid ON versions (cid);
        """,
        // 3: a durable tier's guards and deletions (IRegistry.GuardTierBlocks, MarkTierDeletions): a
        // put's blocks stay in the tier while it writes them, whatever a collection on another host
        // decides; times are microseconds since the Unix epoch, from the registry's clock.
        """
        CREATE TABLE tier_guards (
            cid TEXT COLLATE "C" NOT NULL,
            holder TEXT COLLATE "C" NOT NULL,
            since_us BIGINT NOT NULL,
            PRIMARY KEY (cid, holder));
        CREATE INDEX tier_guards_holder ON tier_guards (holder);
        CREATE TABLE tier_deletions (
            cid TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            since_us BIGINT NOT NULL);
        """,
        // 4: signed names (issue 68): each version's node in its name's hash-linked chain, set once
        // the node is stored (IRegistry.LinkVersion), and the latest IPNS record of each IPNS name.
        """
        ALTER TABLE versions ADD COLUMN node TEXT COLLATE "C" NULL;
        CREATE TABLE ipns_records (
            ipns TEXT COLLATE "C" NOT NULL PRIMARY KEY,
            sequence BIGINT NOT NULL,
            validity_us BIGINT NOT NULL,
            record BYTEA NOT NULL);
        CREATE INDEX versions_node ON versions (node);
        """,
    ];

    /// <summary>The version this code writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Brings the database to <see cref="CurrentVersion"/>.</summary>
    /// <exception cref="NotSupportedException">The database was written by a newer version.</exception>
    public static void Migrate(NpgsqlConnection connection)
    {
        using var transaction = connection.BeginTransaction();
        PostgresCommands.TakeWriteLock(connection, transaction);
        SqlMigrations.Apply(connection, transaction, "arrowcid_schema_version", Migrations);
        transaction.Commit();
    }
}
