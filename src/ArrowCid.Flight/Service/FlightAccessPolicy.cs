using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace ArrowCid.Flight.Service;

/// <summary>
/// Who may call the service. With no tokens and no users every call is allowed (a trusted local
/// node); otherwise every call but Handshake needs <c>authorization: Bearer TOKEN</c> naming a
/// configured token or one a Basic-auth handshake issued. Tokens are compared in constant time.
/// </summary>
public sealed class FlightAccessPolicy
{
    /// <summary>Handshake-issued tokens kept at most; the oldest go first, so a flood of logins cannot grow memory.</summary>
    public const int MaxSessions = 10_000;

    private readonly Dictionary<string, FlightRole> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Password, FlightRole Role)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FlightRole> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _sessionOrder = new();

    /// <summary>Whether any credential is configured (else the service is open).</summary>
    public bool IsEnforced => _tokens.Count > 0 || _users.Count > 0;

    /// <summary>Adds a bearer token.</summary>
    public FlightAccessPolicy AddToken(string token, FlightRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _tokens[token] = role;
        return this;
    }

    /// <summary>Adds a user who may exchange Basic credentials for a token through Handshake.</summary>
    public FlightAccessPolicy AddUser(string user, string password, FlightRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        _users[user] = (password, role);
        return this;
    }

    /// <summary>Parses <c>TOKEN:read|write</c> (as <c>--token</c> takes it).</summary>
    /// <exception cref="FormatException">Not TOKEN:read or TOKEN:write.</exception>
    public static (string Token, FlightRole Role) ParseTokenSpec(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int at = spec.LastIndexOf(':');
        if (at <= 0)
        {
            throw new FormatException($"'{spec}' is not TOKEN:read or TOKEN:write");
        }

        return (spec[..at], ParseRole(spec[(at + 1)..]));
    }

    /// <summary>Parses <c>USER:PASSWORD:read|write</c> (as <c>--user</c> takes it).</summary>
    /// <exception cref="FormatException">Not USER:PASSWORD:ROLE.</exception>
    public static (string User, string Password, FlightRole Role) ParseUserSpec(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int first = spec.IndexOf(':', StringComparison.Ordinal);
        int last = spec.LastIndexOf(':');
        if (first <= 0 || last == first)
        {
            throw new FormatException($"'{spec}' is not USER:PASSWORD:read or USER:PASSWORD:write");
        }

        return (spec[..first], spec[(first + 1)..last], ParseRole(spec[(last + 1)..]));
    }

    /// <summary>The role of a bearer token, or null when it is unknown.</summary>
    public FlightRole? RoleOfToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        FlightRole? found = null;

        // Every configured token is compared, so timing does not say which prefix matched.
        foreach (var (known, role) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(known), Encoding.UTF8.GetBytes(token)))
            {
                found = role;
            }
        }

        return found ?? (_sessions.TryGetValue(token, out var session) ? session : null);
    }

    /// <summary>Checks Basic credentials and issues a session token with the user's role; null when they are wrong.</summary>
    public string? IssueToken(string user, string password)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        if (!_users.TryGetValue(user, out var entry)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(entry.Password), Encoding.UTF8.GetBytes(password)))
        {
            return null;
        }

        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _sessions[token] = entry.Role;
        _sessionOrder.Enqueue(token);
        while (_sessionOrder.Count > MaxSessions && _sessionOrder.TryDequeue(out string? oldest))
        {
            _sessions.TryRemove(oldest, out _);
        }

        return token;
    }

    private static FlightRole ParseRole(string text) => text.ToUpperInvariant() switch
    {
        "READ" => FlightRole.Read,
        "WRITE" => FlightRole.Write,
        _ => throw new FormatException($"the role must be read or write, not '{text}'"),
    };
}
