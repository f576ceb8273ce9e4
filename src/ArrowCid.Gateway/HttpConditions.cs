using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>
/// Conditional and range requests (RFC 9110 §13, §14) for every representation the gateway
/// serves with an ETag: raw blocks, CARs, Arrow files and streams.
/// </summary>
internal static class HttpConditions
{
    /// <summary>Whether If-None-Match names <paramref name="etag"/> (a weak comparison, RFC 9110 §13.1.2) or is <c>*</c>.</summary>
    public static bool MatchesIfNoneMatch(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return false;
        }

        var ours = new EntityTagHeaderValue(etag);
        return tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(ours, useStrongComparison: false));
    }

    /// <summary>
    /// The single byte range a request asks for, as [Start, End) of <paramref name="length"/> bytes;
    /// null for the whole representation: no Range, several ranges, another unit, a malformed
    /// header, or an If-Range that does not name <paramref name="etag"/>.
    /// </summary>
    /// <exception cref="GatewayException">416, with <c>Content-Range: bytes */LENGTH</c> kept on the answer, when the range selects none of the bytes.</exception>
    public static (long Start, long End)? RequestedRange(HttpRequest request, string etag, long length)
    {
        var header = request.Headers.Range;
        if (header.Count == 0 || !RangeHeaderValue.TryParse(header.ToString(), out var parsed)
            || !string.Equals(parsed.Unit.Value, "bytes", StringComparison.OrdinalIgnoreCase) || parsed.Ranges.Count != 1)
        {
            return null;
        }

        string? ifRange = request.Headers.IfRange;
        if (ifRange is not null && ifRange != etag)
        {
            return null;
        }

        var item = parsed.Ranges.Single();
        (long start, long end) = (item.From, item.To) switch
        {
            ({ } from, { } to) => (from, Math.Min(to + 1, length)),
            ({ } from, null) => (from, length),
            (null, { } suffix) => (Math.Max(0, length - suffix), length),
            _ => (0, 0),
        };
        if (start >= length || start >= end)
        {
            request.HttpContext.Response.Headers.ContentRange = $"bytes */{length.ToString(CultureInfo.InvariantCulture)}";
            throw new GatewayException(StatusCodes.Status416RangeNotSatisfiable, $"the range '{header}' selects none of the {length} bytes");
        }

        return (start, end);
    }
}
