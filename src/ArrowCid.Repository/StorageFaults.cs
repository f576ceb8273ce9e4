using Microsoft.Data.Sqlite;
using Npgsql;

namespace ArrowCid.Repository;

/// <summary>
/// What a storage failure means, read in one place for every caller (the CLI, the node's faces):
/// a full device or quota, whether the block store's file system or the registry's database says
/// so, and a registry file SQLite can no longer read. Each caller then says the cause and the way
/// out instead of the exception's text, which names paths.
/// </summary>
public static class StorageFaults
{
    // errno values, which .NET gives as an IOException's HResult on Unix.
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;

    // Windows: ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL (the low word of the HResult).
    private const int HandleDiskFull = 39;
    private const int DiskFull = 112;

    // SQLite's primary result codes.
    private const int SqliteFull = 13;
    private const int SqliteCorrupt = 11;
    private const int SqliteNotADatabase = 26;
    private const int SqliteIoError = 10;

    // PostgreSQL's SQLSTATE for a full disk on the server.
    private const string PostgresDiskFull = "53100";

    /// <summary>Whether <paramref name="error"/> (or what caused it) says the storage is full.</summary>
    public static bool IsFull(Exception? error) => error switch
    {
        null => false,
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteFull,
        PostgresException postgres => postgres.SqlState == PostgresDiskFull,
        IOException io when (io.HResult & 0xFFFF) is NoSpace or QuotaExceeded or HandleDiskFull or DiskFull => true,
        _ => IsFull(error.InnerException),
    };

    /// <summary>
    /// Whether giving space back could cure <paramref name="error"/>: a full storage, or SQLite's
    /// I/O error, which is what it reports when it cannot grow its shared-memory index or journal
    /// on a full disk (opening a database in WAL mode writes both).
    /// </summary>
    public static bool MayBeFull(Exception? error) => IsFull(error) || error switch
    {
        null => false,
        SqliteException sqlite => sqlite.SqliteErrorCode == SqliteIoError,
        _ => MayBeFull(error.InnerException),
    };

    /// <summary>Whether <paramref name="error"/> (or what caused it) says a registry database file is damaged or is not one.</summary>
    public static bool IsRegistryDamaged(Exception? error) => error switch
    {
        null => false,
        SqliteException sqlite => sqlite.SqliteErrorCode is SqliteCorrupt or SqliteNotADatabase,
        _ => IsRegistryDamaged(error.InnerException),
    };

    /// <summary>The one line a client of a full node is told (no path: that goes to the node's log).</summary>
    public const string FullMessage = "the node's storage is full: it takes no writes until space is freed (reads go on)";
}
