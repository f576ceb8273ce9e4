using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;


namespace ArrowCid.Node;

/// <summary>
/// Who may call the service. With no tokens and no users every call is allowed (a trusted local
/// node); otherwise every call but Handshake needs <c>authorization: Bearer TOKEN</c> naming a
/// configured token or one a Basic-auth handshake issued. Tokens are compared in constant time.
/// </summary>
public sealed class AccessPolicy
{
    /// <summary>
    /// Handshake-issued tokens kept at most per user (<c>max_sessions_per_user</c>); a user's
    /// oldest go first, so a flood of logins by one user evicts only that user's sessions.
    /// </summary>
    public const int MaxSessionsPerUser = 1_000;

    private readonly Dictionary<string, AccessRole> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Password, AccessRole Role)> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AccessRole> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Queue<string>> _sessionsOfUser = new(StringComparer.Ordinal);
    private readonly LoginThrottle _throttle = new();

    /// <summary>Whether any credential is configured (else the service is open).</summary>
    public bool IsEnforced => _tokens.Count > 0 || _users.Count > 0;

    /// <summary>Adds a bearer token.</summary>
    public AccessPolicy AddToken(string token, AccessRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        _tokens[token] = role;
        return this;
    }

    /// <summary>Adds a user who may exchange Basic credentials for a token through Handshake.</summary>
    public AccessPolicy AddUser(string user, string password, AccessRole role)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        _users[user] = (password, role);
        return this;
    }

    /// <summary>Parses <c>TOKEN:read|write</c> (as <c>--token</c> takes it).</summary>
    /// <exception cref="FormatException">Not TOKEN:read or TOKEN:write.</exception>
    public static (string Token, AccessRole Role) ParseTokenSpec(string spec)
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
    public static (string User, string Password, AccessRole Role) ParseUserSpec(string spec)
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
    public AccessRole? RoleOfToken(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        AccessRole? found = null;

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
    public string? IssueToken(string user, string password) => IssueToken(user, password, address: string.Empty);

    /// <summary>
    /// Checks Basic credentials sent from <paramref name="address"/> and issues a session token with
    /// the user's role; null when they are wrong. After a few failures in a row for the same user,
    /// or from the same address, further attempts are refused unchecked for a while that doubles
    /// with each failure (<see cref="LoginThrottledException"/>), so guessing is slowed to a crawl.
    /// </summary>
    /// <exception cref="LoginThrottledException">Too many recent failures for this user or address.</exception>
    public string? IssueToken(string user, string password, string address)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(address);
        _throttle.ThrowIfBlocked("user", user);
        _throttle.ThrowIfBlocked("address", address);
        if (!_users.TryGetValue(user, out var entry)
            || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(entry.Password), Encoding.UTF8.GetBytes(password)))
        {
            // An unknown user counts against the address only: the table of users stays bounded.
            if (_users.ContainsKey(user))
            {
                _throttle.Failed("user", user);
            }

            _throttle.Failed("address", address);
            return null;
        }

        _throttle.Succeeded("user", user);
        _throttle.Succeeded("address", address);
        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_sessionsOfUser)
        {
            if (!_sessionsOfUser.TryGetValue(user, out Queue<string>? mine))
            {
                _sessionsOfUser[user] = mine = new Queue<string>();
            }

            _sessions[token] = entry.Role;
            mine.Enqueue(token);
            while (mine.Count > MaxSessionsPerUser)
            {
                _sessions.TryRemove(mine.Dequeue(), out _);
            }
        }

        return token;
    }

    private static AccessRole ParseRole(string text) => text.ToUpperInvariant() switch
    {
        "READ" => AccessRole.Read,
        "WRITE" => AccessRole.Write,
        _ => throw new FormatException($"the role must be read or write, not '{text}'"),
    };
}

/// <summary>Logins refused unchecked for a while after failures (<see cref="AccessPolicy.IssueToken(string, string, string)"/>).</summary>
public sealed class LoginThrottledException : Exception
{
    /// <summary>Names what is throttled and for how long.</summary>
    public LoginThrottledException(string what, TimeSpan retryAfter)
        : base($"too many failed logins for this {what}; try again in {Math.Ceiling(retryAfter.TotalSeconds)} s") => RetryAfter = retryAfter;

    /// <summary>Creates the exception with a default message.</summary>
    public LoginThrottledException()
        : base("too many failed logins") { }

    /// <summary>Creates the exception with a message.</summary>
    public LoginThrottledException(string message)
        : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LoginThrottledException(string message, Exception innerException)
        : base(message, innerException) { }

    /// <summary>How long until the next attempt is checked.</summary>
    public TimeSpan RetryAfter { get; }
}

/// <summary>
/// Failed logins per user and per address: after <see cref="FreeFailures"/> in a row, the next
/// attempt waits 1 s, then 2, 4… up to a minute after the last failure; a success clears the count.
/// At most <see cref="MaxTracked"/> keys are kept (the stalest go), so a flood of addresses cannot grow memory.
/// </summary>
internal sealed class LoginThrottle
{
    public const int FreeFailures = 5;
    public const int MaxTracked = 100_000;
    private static readonly TimeSpan Longest = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (int Failures, long Last)> _failures = new(StringComparer.Ordinal);

    public void ThrowIfBlocked(string kind, string key)
    {
        TimeSpan wait;
        lock (_failures)
        {
            if (!_failures.TryGetValue(kind + ":" + key, out var seen) || seen.Failures < FreeFailures)
            {
                return;
            }

            TimeSpan blocked = TimeSpan.FromSeconds(Math.Min(Longest.TotalSeconds, Math.Pow(2, seen.Failures - FreeFailures)));
            wait = blocked - TimeSpan.FromMilliseconds(Environment.TickCount64 - seen.Last);
        }

        if (wait > TimeSpan.Zero)
        {
            throw new LoginThrottledException(kind, wait);
        }
    }

    public void Failed(string kind, string key)
    {
        lock (_failures)
        {
            string id = kind + ":" + key;
            int before = _failures.TryGetValue(id, out var seen) ? seen.Failures : 0;
            if (before == 0 && _failures.Count >= MaxTracked)
            {
                string stalest = _failures.MinBy(f => f.Value.Last).Key;
                _failures.Remove(stalest);
            }

            _failures[id] = (before + 1, Environment.TickCount64);
        }
    }

    public void Succeeded(string kind, string key)
    {
        lock (_failures)
        {
            _failures.Remove(kind + ":" + key);
        }
    }
}
