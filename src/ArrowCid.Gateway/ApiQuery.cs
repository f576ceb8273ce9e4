using System.Globalization;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// The query parameters of the JSON API, read strictly: a value that is malformed, out of range or
/// given twice where one is expected is a 400 naming the parameter, never a silent default.
/// </summary>
internal static class ApiQuery
{
    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest page.</summary>
    public const int MaxLimit = 1000;

    /// <summary>The value of a parameter given at most once; null when absent.</summary>
    public static string? Single(HttpRequest request, string name)
    {
        var values = request.Query[name];
        return values.Count switch
        {
            0 => null,
            1 => values[0] ?? string.Empty,
            _ => throw BadRequest($"'{name}' is given {values.Count} times; give it once"),
        };
    }

    /// <summary>An integer parameter in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public static long Integer(HttpRequest request, string name, long fallback, long min, long max)
    {
        string? text = Single(request, name);
        if (text is null)
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : throw BadRequest($"'{name}' must be an integer from {min} to {max}, not '{Shorten(text)}'");
    }

    /// <summary><c>limit</c>: 1 to <see cref="MaxLimit"/>, <see cref="DefaultLimit"/> when absent.</summary>
    public static int Limit(HttpRequest request) => (int)Integer(request, "limit", DefaultLimit, 1, MaxLimit);

    /// <summary>Every <c>tag=KEY=VALUE</c> (repeatable; all must match).</summary>
    public static Dictionary<string, string> Tags(HttpRequest request)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string? value in request.Query["tag"])
        {
            int equals = value?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (equals <= 0)
            {
                throw BadRequest($"'tag' must be KEY=VALUE, not '{Shorten(value ?? string.Empty)}'");
            }

            string key = value![..equals];
            string tagValue = value[(equals + 1)..];
            if (tags.TryGetValue(key, out string? other) && other != tagValue)
            {
                throw BadRequest($"tag '{Shorten(key)}' is asked to be both '{Shorten(other)}' and '{Shorten(tagValue)}'");
            }

            tags[key] = tagValue;
        }

        return tags;
    }

    /// <summary>Whether <paramref name="tags"/> carry every one of <paramref name="wanted"/>.</summary>
    public static bool HasTags(IReadOnlyDictionary<string, string> tags, IReadOnlyDictionary<string, string> wanted) =>
        wanted.All(t => tags.TryGetValue(t.Key, out string? value) && value == t.Value);

    /// <summary>Every <c>kind=…</c> (repeatable; any may match), each one of <paramref name="allowed"/>; empty when none is given.</summary>
    public static HashSet<BlockKind> Kinds(HttpRequest request, IReadOnlyCollection<BlockKind> allowed)
    {
        var kinds = new HashSet<BlockKind>();
        foreach (string? value in request.Query["kind"])
        {
            if (!BlockKindNames.TryParse(value, out var kind) || !allowed.Contains(kind))
            {
                throw BadRequest($"'kind' must be one of {string.Join(", ", allowed.Select(BlockKindNames.NameOf))}, not '{Shorten(value ?? string.Empty)}'");
            }

            kinds.Add(kind);
        }

        return kinds;
    }

    /// <summary>A CID from the path; 400 when it is not one.</summary>
    public static Cid CidOf(string text) =>
        Cid.TryParse(text, out var cid) ? cid : throw BadRequest($"'{Shorten(text)}' is not a CID");

    /// <summary>A dataset name; 400 when it breaks the naming rules.</summary>
    public static string NameOf(string text, string parameter) =>
        DatasetName.Problem(text) is { } problem ? throw BadRequest($"'{parameter}': {problem}") : text;

    /// <summary>A 400 answer.</summary>
    public static GatewayException BadRequest(string detail) => new(StatusCodes.Status400BadRequest, detail);

    /// <summary>Text cut to a length fit for an error message.</summary>
    public static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "…";
}
