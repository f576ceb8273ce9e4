using System.Net;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// The DNS-rebinding guard. A page on <c>attacker.example</c> whose name is rebound to 127.0.0.1
/// is same-origin with a node listening there, so the browser lets it read and write the node. A
/// gateway listening on a loopback address therefore answers only requests whose <c>Host</c> is a
/// loopback name (<c>localhost</c>, <c>127.x.x.x</c>, <c>[::1]</c>), its advertised host, or one the
/// operator allowed (<c>--allowed-host</c>); any other gets 421 Misdirected Request. A gateway
/// listening on another address is reached by whatever names point at it and checks nothing here.
/// </summary>
internal sealed class GatewayHostGuard(GatewayOptions options)
{
    private readonly bool _enforced = IPAddress.IsLoopback(options.Listen.Address);
    private readonly HashSet<string> _allowed = new(
        options.AllowedHosts.Concat(options.AdvertisedHost is { } advertised ? [advertised] : []).Select(h => h.Trim('[', ']')),
        StringComparer.OrdinalIgnoreCase);

    public Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        if (!_enforced || context.Request.Host is not { HasValue: true } host || IsAllowed(host.Host))
        {
            return next(context);
        }

        throw new GatewayException(
            StatusCodes.Status421MisdirectedRequest,
            $"this node listens on loopback and answers loopback host names only, not '{Shown(host.Host)}' (a DNS-rebinding guard; --allowed-host NAME adds one)");
    }

    private bool IsAllowed(string host)
    {
        string bare = host.Trim('[', ']');
        return bare.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || bare.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(bare, out IPAddress? address) && IPAddress.IsLoopback(address))
            || _allowed.Contains(bare);
    }

    private static string Shown(string host) => host.Length <= 80 ? host : host[..80] + "…";
}
