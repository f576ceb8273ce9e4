using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace ArrowCid.Http2.Server;

/// <summary>A request's header block checked as RFC 9113 §8.2–8.3 asks: pseudo-headers first and once each, lower-case names, no connection-specific fields.</summary>
internal sealed class RequestHead
{
    private RequestHead(string method, string scheme, string path, string query, string rawTarget, IHeaderDictionary headers)
    {
        Method = method;
        Scheme = scheme;
        Path = path;
        Query = query;
        RawTarget = rawTarget;
        Headers = headers;
    }

    public string Method { get; }

    public string Scheme { get; }

    /// <summary>The path without its query, percent-decoding left to the application (as Kestrel's raw path is not decoded for gRPC either).</summary>
    public string Path { get; }

    /// <summary>The query with its leading '?', or empty.</summary>
    public string Query { get; }

    public string RawTarget { get; }

    public IHeaderDictionary Headers { get; }

    /// <summary>The body length content-length declares (one decimal number, else the request is malformed); null without one.</summary>
    public long? ContentLength { get; private set; }

    /// <summary>Checks and splits a request header block.</summary>
    /// <exception cref="Http2StreamException">A malformed request (PROTOCOL_ERROR on this stream).</exception>
    public static RequestHead Parse(int streamId, List<KeyValuePair<string, string>> fields)
    {
        string? method = null, scheme = null, path = null, authority = null;
        // Filled directly: HeaderDictionary's indexer drops empty values, and a request may carry
        // one that the application must see (an empty grpc-timeout is malformed, not absent).
        var store = new Dictionary<string, StringValues>(StringComparer.OrdinalIgnoreCase);
        bool regularSeen = false;
        foreach ((string name, string value) in fields)
        {
            if (name.Length == 0)
            {
                throw Malformed(streamId, "an empty header name");
            }

            if (ValueProblem(value) is { } problem)
            {
                throw Malformed(streamId, $"the value of '{name}' {problem}");
            }

            if (name[0] == ':')
            {
                if (regularSeen)
                {
                    throw Malformed(streamId, $"pseudo-header {name} after a regular header");
                }

                switch (name)
                {
                    case ":method":
                        method = Once(streamId, name, method, value);
                        break;
                    case ":scheme":
                        scheme = Once(streamId, name, scheme, value);
                        break;
                    case ":path":
                        path = Once(streamId, name, path, value);
                        break;
                    case ":authority":
                        authority = Once(streamId, name, authority, value);
                        break;
                    default:
                        throw Malformed(streamId, $"unknown request pseudo-header {name}");
                }

                continue;
            }

            regularSeen = true;
            foreach (char c in name)
            {
                if (c is >= 'A' and <= 'Z' || c <= ' ' || c >= '\u007f')
                {
                    throw Malformed(streamId, $"header name '{name}' is not lower-case token characters");
                }
            }

            if (Http2Protocol.IsConnectionSpecific(name) || (name == "te" && value != "trailers"))
            {
                throw Malformed(streamId, $"connection-specific header '{name}'");
            }

            store[name] = store.TryGetValue(name, out StringValues existing) ? StringValues.Concat(existing, value) : new StringValues(value);
        }

        if (method is null || scheme is null || path is null)
        {
            throw Malformed(streamId, "a request needs :method, :scheme and :path");
        }

        if (path.Length == 0 || (path[0] != '/' && path != "*"))
        {
            throw Malformed(streamId, $"request path '{path}' does not start with '/'");
        }

        long? contentLength = null;
        if (store.TryGetValue("content-length", out StringValues declared))
        {
            contentLength = declared.Count == 1 && declared[0] is { Length: > 0 and <= 18 } digits && digits.All(char.IsAsciiDigit)
                ? long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture)
                : throw Malformed(streamId, $"content-length '{declared}' is not one decimal number");
        }

        if (authority is not null && !store.ContainsKey("host"))
        {
            store["host"] = authority;
        }

        var headers = new HeaderDictionary(store);

        int query = path.IndexOf('?', StringComparison.Ordinal);
        var head = query < 0
            ? new RequestHead(method, scheme, path, string.Empty, path, headers)
            : new RequestHead(method, scheme, path[..query], path[query..], path, headers);
        head.ContentLength = contentLength;
        return head;
    }

    private static string Once(int streamId, string name, string? existing, string value) =>
        existing is null ? value : throw Malformed(streamId, $"pseudo-header {name} appears twice");

    /// <summary>
    /// What makes a field value malformed (RFC 9113 §8.2.1: no NUL, LF or CR anywhere, no space or
    /// tab at either end), or null when it is well formed. Said of request headers and trailers.
    /// </summary>
    public static string? ValueProblem(string value)
    {
        if (value.AsSpan().IndexOfAny('\0', '\n', '\r') >= 0)
        {
            return "holds NUL, CR or LF";
        }

        return value.Length > 0 && (value[0] is ' ' or '\t' || value[^1] is ' ' or '\t') ? "starts or ends with whitespace" : null;
    }

    private static Http2StreamException Malformed(int streamId, string why) =>
        new(streamId, Http2ErrorCode.ProtocolError, $"malformed request on stream {streamId}: {why}");
}
