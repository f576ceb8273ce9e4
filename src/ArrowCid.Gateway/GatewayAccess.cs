using ArrowCid.Node;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// The node's tokens and roles applied to HTTP: with a policy that is enforced, every request but a
/// CORS preflight needs <c>Authorization: Bearer TOKEN</c> (a configured token or one a Flight
/// Basic-auth handshake issued); GET and HEAD need the read role, and so does a query (`POST /api/v1/sql`); anything else the write role.
/// 401 (with <c>WWW-Authenticate: Bearer</c>) when the token is missing or unknown, 403 when its role
/// is too weak. One exception to the header: <c>GET /api/v1/events</c> also takes the token as
/// <c>?access_token=TOKEN</c> (RFC 6750 §2.3), because a browser's EventSource cannot send headers.
/// A token in a URL can end up in browser history and proxy logs, so the query is read on that one
/// read-only path only (a write token given there still only reads); clients that can set headers
/// (fetch, curl) should. The explorer's static files (<see cref="ExplorerEndpoints"/>) hold no data
/// and need no token: the page asks for one and sends it with its own requests. Nor do the health
/// probes (<see cref="HealthEndpoints"/>): a load balancer carries no token.
/// </summary>
internal static class GatewayAccess
{
    /// <summary>The role a request needs.</summary>
    public static AccessRole Needed(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            // A query reads: its answer is stored as a cache the node keeps, unpinned, not as a put of the caller's.
            || (HttpMethods.IsPost(request.Method) && request.Path.Equals(SqlEndpoint.Path, StringComparison.Ordinal))
            ? AccessRole.Read
            : AccessRole.Write;

    /// <summary>Checks the request's token against <paramref name="policy"/>, then runs the rest of the pipeline.</summary>
    public static Task CheckAsync(HttpContext context, AccessPolicy policy, RequestDelegate next)
    {
        if (!policy.IsEnforced || HttpMethods.IsOptions(context.Request.Method) || ExplorerEndpoints.IsPublicAsset(context.Request) || HealthEndpoints.IsProbe(context.Request))
        {
            return next(context);
        }

        string? token = TokenOf(context.Request);
        if (token is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new GatewayException(StatusCodes.Status401Unauthorized, "this node needs 'Authorization: Bearer TOKEN'");
        }

        AccessRole? role = policy.RoleOfToken(token);
        if (role is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            throw new GatewayException(StatusCodes.Status401Unauthorized, "the bearer token is not valid on this node");
        }

        AccessRole needed = Needed(context.Request);
        return role < needed
            ? throw new GatewayException(StatusCodes.Status403Forbidden, $"this token may {role.Value.ToString().ToLowerInvariant()}, not {needed.ToString().ToLowerInvariant()}")
            : next(context);
    }

    /// <summary>The bearer token of the Authorization header, else, on the one path that takes it, of the query; null for none.</summary>
    private static string? TokenOf(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is not null)
        {
            return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        }

        var query = request.Query["access_token"];
        return query.Count == 1 && EventsEndpoint.AcceptsQueryToken(request) ? query[0] : null;
    }
}
