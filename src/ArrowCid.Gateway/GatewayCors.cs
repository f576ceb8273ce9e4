using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>
/// Cross-origin access (the Fetch standard's CORS protocol) for the origins given with
/// <c>--cors</c>: a request from an allowed origin gets <c>Access-Control-Allow-Origin</c> and the
/// headers a reader of our responses needs exposed; a preflight (<c>OPTIONS</c> with
/// <c>Access-Control-Request-Method</c>) from one is answered 204 here, before authentication, as
/// browsers send it without credentials. Other origins get no CORS headers, so browsers refuse them.
/// </summary>
/// <remarks>
/// Origins match exactly (browsers send an origin's scheme and host in lower case; the configured
/// ones are lowered to match). Every answer varies by <c>Origin</c> once CORS is on, so a cache
/// never hands one origin's answer to another. A preflight is answered with a fixed list of
/// request headers, never an echo of what was asked. <c>*</c> opens reads only unless
/// <see cref="GatewayOptions.CorsAnyOriginWrites"/> says otherwise; a write (POST) that a browser
/// sends from a page of an origin that may not write is refused with 403 before it runs, as such a
/// "simple" request needs no preflight and would otherwise be stored unseen (a cross-site write).
/// </remarks>
internal sealed class GatewayCors(IReadOnlyList<string> origins, bool anyOriginWrites)
{
    private const string ExposedHeaders =
        "Content-Length, Content-Range, Content-Disposition, Content-Encoding, Content-Location, ETag, X-Ipfs-Path, X-Ipfs-Roots, X-Content-Type-Options, X-Dataset-Version, Accept-Ranges, Last-Event-ID";

    private const string AllowedRequestHeaders = "Authorization, Accept, Range, Content-Type, Last-Event-ID, If-None-Match";

    private readonly bool _any = origins.Contains("*");
    private readonly HashSet<string> _origins = new(origins.Where(o => o != "*").Select(o => o.TrimEnd('/').ToLowerInvariant()), StringComparer.Ordinal);

    private bool Enabled => _any || _origins.Count > 0;

    /// <summary>Adds CORS headers for an allowed origin; answers its preflight; refuses a cross-origin write it may not make; then runs the rest.</summary>
    public Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        if (Enabled)
        {
            // Appended when the answer starts, so a handler that sets Vary itself cannot drop it.
            context.Response.OnStarting(static state => AddVaryOrigin((HttpResponse)state), context.Response);
        }

        string? origin = context.Request.Headers.Origin;
        bool named = origin is not null && _origins.Contains(origin);
        bool allowed = named || (origin is not null && _any);
        bool mayWrite = named || (_any && anyOriginWrites) || origin is null || IsSameOrigin(context.Request, origin);
        bool preflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");
        if (!preflight && IsWrite(context.Request.Method) && !mayWrite)
        {
            throw new GatewayException(StatusCodes.Status403Forbidden, $"pages of origin {origin} may not write to this node (docs/security.md: --cors ORIGIN names one that may)");
        }

        if (!allowed)
        {
            return next(context);
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = named ? origin : "*";
        if (preflight)
        {
            headers.AccessControlAllowMethods = named || anyOriginWrites ? "GET, HEAD, POST, OPTIONS" : "GET, HEAD, OPTIONS";
            headers.AccessControlAllowHeaders = AllowedRequestHeaders;
            headers.AccessControlMaxAge = "86400";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        headers.AccessControlExposeHeaders = ExposedHeaders;
        return next(context);
    }

    private static bool IsWrite(string method) => !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    /// <summary>Whether <paramref name="origin"/> is the gateway's own (the explorer's page posting to its own node).</summary>
    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        string.Equals(origin, $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    private static Task AddVaryOrigin(HttpResponse response)
    {
        string vary = response.Headers.Vary.ToString();
        if (!vary.Split(',').Any(v => v.Trim().Equals(HeaderNames.Origin, StringComparison.OrdinalIgnoreCase)))
        {
            response.Headers.Vary = vary.Length == 0 ? HeaderNames.Origin : $"{vary}, {HeaderNames.Origin}";
        }

        return Task.CompletedTask;
    }
}
