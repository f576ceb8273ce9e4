using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Sqlite;

namespace ArrowCid.Registry;

/// <summary>Opens a registry named by a URL, as <c>arrowcid serve --registry</c> takes it.</summary>
public static class RegistryFactory
{
    /// <summary>
    /// Opens <c>sqlite:PATH</c> (a SQLite file, created if missing), a
    /// <c>postgres://user:password@host:port/database</c> or <c>postgresql://</c> URL, or an Npgsql
    /// connection string (<c>Host=…;Database=…</c>) as a <see cref="PostgresRegistry"/>.
    /// </summary>
    /// <param name="url">Which registry.</param>
    /// <returns>The open registry (the caller disposes it).</returns>
    /// <exception cref="FormatException">The text names no kind of registry this build knows.</exception>
    public static IRegistry Open(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        if (url.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            string path = url["sqlite:".Length..];
            if (path.StartsWith("//", StringComparison.Ordinal))
            {
                path = path[2..];
            }

            return path.Length == 0 ? throw new FormatException("sqlite: needs a file path, as in sqlite:/data/registry.db") : new SqliteRegistry(path);
        }

        if (PostgresConnectionString.IsUrl(url) || url.Contains('=', StringComparison.Ordinal))
        {
            return new PostgresRegistry(url);
        }

        throw new FormatException($"'{url}' is not a registry URL: use sqlite:PATH, postgres://user@host:port/database or Host=…;Database=…");
    }
}
