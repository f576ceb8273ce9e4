using System.Globalization;
using Npgsql;

namespace ArrowCid.Registry.Postgres;

/// <summary>
/// Turns what a user writes for a PostgreSQL database into an Npgsql connection string: either
/// Npgsql's own <c>Host=…;Port=…</c> form, or a URL
/// <c>postgres://user:password@host:port/database?option=value</c> (also <c>postgresql://</c>;
/// percent-escapes are decoded; query options are Npgsql keywords such as <c>sslmode</c>).
/// </summary>
public static class PostgresConnectionString
{
    /// <summary>Whether <paramref name="text"/> is a postgres:// or postgresql:// URL.</summary>
    /// <param name="text">The text.</param>
    /// <returns>True for a URL of either scheme.</returns>
    public static bool IsUrl(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The Npgsql connection string for a URL or a keyword string.</summary>
    /// <param name="text">A postgres:// URL or an Npgsql keyword string.</param>
    /// <returns>An Npgsql connection string.</returns>
    /// <exception cref="FormatException">The text is neither.</exception>
    public static string Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        try
        {
            return IsUrl(text) ? FromUrl(text) : new NpgsqlConnectionStringBuilder(text).ConnectionString;
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"not a PostgreSQL connection URL or string: {e.Message}", e);
        }
    }

    private static string FromUrl(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new FormatException($"'{Redact(text)}' is not a postgres://user@host:port/database URL");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host.Trim('[', ']') };
        if (uri.Port > 0)
        {
            builder.Port = uri.Port;
        }

        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0)
            {
                builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
        }

        string database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
        {
            builder.Database = database;
        }

        foreach (string pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"URL option '{pair}' is not NAME=VALUE"));
            }

            builder[Uri.UnescapeDataString(pair[..equals])] = Uri.UnescapeDataString(pair[(equals + 1)..]);
        }

        return builder.ConnectionString;
    }

    private static string Redact(string url)
    {
        int at = url.IndexOf('@', StringComparison.Ordinal);
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at > scheme && scheme >= 0 ? string.Concat(url.AsSpan(0, scheme + 3), "…", url.AsSpan(at)) : url;
    }
}
