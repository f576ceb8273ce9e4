using ArrowCid.Flight.Service;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// The node's tokens and roles applied to HTTP: with a policy that is enforced, every request but a
/// CORS preflight needs <c>Authorization: Bearer TOKEN</c> (a configured token or one a Flight
/// Basic-auth handshake issued); GET and HEAD need the read role, anything else the write role.
/// 401 (with <c>WWW-Authenticate: Bearer</c>) when the token is missing or unknown, 403 when its role
/// is too weak.
/// </summary>
internal static class GatewayAccess
{
    /// <summary>The role a request needs.</summary>
    public static FlightRole Needed(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) ? FlightRole.Read : FlightRole.Write;

    /// <summary>Checks the request's token against <paramref name="policy"/>, then runs the rest of the pipeline.</summary>
    public static Task CheckAsync(HttpContext context, FlightAccessPolicy policy, RequestDelegate next)
    {
        if (!policy.IsEnforced || HttpMethods.IsOptions(context.Request.Method))
        {
            return next(context);
        }

        string? header = context.Request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new GatewayException(StatusCodes.Status401Unauthorized, "this node needs 'Authorization: Bearer TOKEN'");
        }

        FlightRole? role = policy.RoleOfToken(header["Bearer ".Length..].Trim());
        if (role is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            throw new GatewayException(StatusCodes.Status401Unauthorized, "the bearer token is not valid on this node");
        }

        FlightRole needed = Needed(context.Request);
        return role < needed
            ? throw new GatewayException(StatusCodes.Status403Forbidden, $"this token may {role.Value.ToString().ToLowerInvariant()}, not {needed.ToString().ToLowerInvariant()}")
            : next(context);
    }
}
