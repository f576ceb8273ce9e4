using Microsoft.Data.Sqlite;

namespace ArrowCid.Registry.Sqlite;

/// <summary>
/// The registry's tables and their migrations. <c>schema_version</c> holds one row, the number of
/// migrations applied; opening a database applies the missing ones in one IMMEDIATE transaction,
/// so two processes opening a new file at once cannot both migrate it.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>Each entry moves the schema from version i to i + 1. Append only; never edit a shipped one.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE blocks (
            cid TEXT NOT NULL PRIMARY KEY,
            kind INTEGER NOT NULL,
            schema TEXT NULL,
            rows INTEGER NOT NULL,
            bytes INTEGER NOT NULL,
            created_us INTEGER NOT NULL,
            producer TEXT NULL,
            provenance TEXT NULL,
            pinned INTEGER NOT NULL);
        CREATE INDEX blocks_created ON blocks (created_us, cid);
        CREATE TABLE tags (
            cid TEXT NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (cid, key));
        CREATE INDEX tags_key_value ON tags (key, value);
        CREATE TABLE locations (
            cid TEXT NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            location TEXT NOT NULL,
            PRIMARY KEY (cid, location));
        CREATE TABLE links (
            parent TEXT NOT NULL REFERENCES blocks (cid) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            child TEXT NOT NULL,
            PRIMARY KEY (parent, ordinal));
        CREATE INDEX links_child ON links (child);
        CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            cid TEXT NOT NULL,
            kind INTEGER NOT NULL,
            at_us INTEGER NOT NULL);
        """,
        // 2: named datasets. No foreign key to blocks: a version is history and is never rewritten;
        // garbage collection keeps what versions name instead.
        """
        CREATE TABLE versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            cid TEXT NOT NULL,
            created_us INTEGER NOT NULL,
            PRIMARY KEY (name, version));
        CREATE INDEX versions_cid ON versions (cid);
        """,
        // 3: how far each pack's write-ahead log entries have been applied (ILoggedCommits); a
        // pack id is a u64 stored as its two's-complement i64.
        """
        CREATE TABLE log_applied (
            log INTEGER NOT NULL PRIMARY KEY,
            position INTEGER NOT NULL);
        """,
        // 4: a durable tier's guards and deletions (IRegistry.GuardTierBlocks, MarkTierDeletions): a
        // put's blocks stay in the tier while it writes them, whatever a collection on another host
        // decides; times are microseconds since the Unix epoch, from the registry's clock.
        """
        CREATE TABLE tier_guards (
            cid TEXT NOT NULL,
            holder TEXT NOT NULL,
            since_us BIGINT NOT NULL,
            PRIMARY KEY (cid, holder));
        CREATE INDEX tier_guards_holder ON tier_guards (holder);
        CREATE TABLE tier_deletions (
            cid TEXT NOT NULL PRIMARY KEY,
            since_us BIGINT NOT NULL);
        """,
        // 5: signed names (issue 68): each version's node in its name's hash-linked chain, set once
        // the node is stored (IRegistry.LinkVersion), and the latest IPNS record of each IPNS name.
        """
        ALTER TABLE versions ADD COLUMN node TEXT NULL;
        CREATE TABLE ipns_records (
            ipns TEXT NOT NULL PRIMARY KEY,
            sequence BIGINT NOT NULL,
            validity_us BIGINT NOT NULL,
            record BLOB NOT NULL);
        CREATE INDEX versions_node ON versions (node);
        """,
    ];

    /// <summary>The version this code writes.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>Brings the database to <see cref="CurrentVersion"/>.</summary>
    /// <exception cref="NotSupportedException">The database was written by a newer version.</exception>
    public static void Migrate(SqliteConnection connection)
    {
        // WAL lets readers run beside the one writer; the mode is stored in the file and cannot
        // change inside a transaction, so it is set first.
        SqlCommands.Execute(connection, null, "PRAGMA journal_mode = WAL;");
        using var transaction = connection.BeginTransaction(deferred: false);
        SqlMigrations.Apply(connection, transaction, "schema_version", Migrations);
        transaction.Commit();
    }
}
