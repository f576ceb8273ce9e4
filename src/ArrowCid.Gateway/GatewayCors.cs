using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// Cross-origin access (the Fetch standard's CORS protocol) for the origins given with
/// <c>--cors</c>: a request from an allowed origin gets <c>Access-Control-Allow-Origin</c> and the
/// headers a reader of our responses needs exposed; a preflight (<c>OPTIONS</c> with
/// <c>Access-Control-Request-Method</c>) from one is answered 204 here, before authentication, as
/// browsers send it without credentials. Other origins get no CORS headers, so browsers refuse them.
/// </summary>
internal sealed class GatewayCors(IReadOnlyList<string> origins)
{
    private const string ExposedHeaders =
        "Content-Length, Content-Range, Content-Disposition, Content-Encoding, Content-Location, ETag, X-Ipfs-Path, X-Ipfs-Roots, X-Content-Type-Options, X-Dataset-Version, Accept-Ranges, Last-Event-ID";

    private readonly bool _any = origins.Contains("*");
    private readonly HashSet<string> _origins = new(origins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds CORS headers for an allowed origin; answers its preflight; then runs the rest.</summary>
    public Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        string? origin = context.Request.Headers.Origin;
        if (origin is null || (!_any && !_origins.Contains(origin)))
        {
            return next(context);
        }

        var headers = context.Response.Headers;
        headers.AccessControlAllowOrigin = _any ? "*" : origin;
        if (!_any)
        {
            headers.Vary = "Origin";
        }

        if (HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            headers.AccessControlAllowMethods = "GET, HEAD, POST, OPTIONS";
            headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.Count > 0
                ? context.Request.Headers.AccessControlRequestHeaders.ToString()
                : "Authorization, Accept, Range, Content-Type, Last-Event-ID";
            headers.AccessControlMaxAge = "86400";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return Task.CompletedTask;
        }

        headers.AccessControlExposeHeaders = ExposedHeaders;
        return next(context);
    }
}
