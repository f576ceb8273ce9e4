using ArrowCid.Node;
using ArrowCid.Wire;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ArrowCid.Gateway;

/// <summary>
/// Probes for a load balancer or an orchestrator, open whatever the node's tokens (a probe carries
/// none, and the answers hold no data): <c>/healthz</c> says the process answers (200 while it
/// runs, draining or not); <c>/readyz</c> says whether to send it traffic, 200 when ready and 503
/// when draining or a dependency is down, with each dependency's state (<see cref="ReadinessBody"/>).
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>The liveness path.</summary>
    public const string LivePath = "/healthz";

    /// <summary>The readiness path.</summary>
    public const string ReadyPath = "/readyz";

    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        routes.MapMethods(LivePath, [HttpMethods.Get, HttpMethods.Head], http =>
        {
            http.Response.ContentType = "text/plain; charset=utf-8";
            http.Response.Headers.CacheControl = "no-store";
            return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : http.Response.WriteAsync("ok\n", http.RequestAborted);
        });
        routes.MapMethods(ReadyPath, [HttpMethods.Get, HttpMethods.Head], http => ReadyAsync(http, context.Node.Health));
    }

    /// <summary>Whether a request is a probe (needs no token).</summary>
    public static bool IsProbe(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) && (request.Path == LivePath || request.Path == ReadyPath);

    /// <summary>Once the node drains, every request but a probe gets 503 (a client retries elsewhere); requests running go on.</summary>
    public static Task RefuseWhileDrainingAsync(HttpContext http, NodeHealth health, RequestDelegate next)
    {
        if (health.IsDraining && !IsProbe(http.Request))
        {
            throw new GatewayException(StatusCodes.Status503ServiceUnavailable, "the node is shutting down: ask another");
        }

        return next(http);
    }

    private static Task ReadyAsync(HttpContext http, NodeHealth health)
    {
        var found = health.Probe();
        http.Response.StatusCode = found.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return Task.CompletedTask;
        }

        string status = found.Ready ? "ready" : found.Draining ? "draining" : "not ready";
        var body = new ReadinessBody(status, found.Registry, found.Store, found.SharedMemory, found.StoreFreeBytes, found.Listeners, found.ObjectStore);
        return WireJson.WriteAsync(http.Response.Body, body, WireJsonContext.Default.ReadinessBody, http.RequestAborted);
    }
}
