using System.Text.Json;
using ArrowCid.Node;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// Error answers as RFC 9457 problem details (<c>application/problem+json</c>: status, title,
/// detail), and the middleware that turns a <see cref="GatewayException"/> into one. Anything else
/// a handler throws is the server's fault: a 500 while the response has not started, else the
/// connection is aborted so the client sees a truncated body rather than a complete-looking one.
/// </summary>
internal static partial class GatewayProblem
{
    private static readonly HashSet<string> KeptHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "WWW-Authenticate", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Vary", "Content-Range", "Retry-After",
    };

    /// <summary>Writes a problem answer (headers already set for the response are cleared first).</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        var response = context.Response;

        // What a handler set for a success goes; what says who may ask (CORS, WWW-Authenticate) stays.
        var kept = response.Headers.Where(h => KeptHeaders.Contains(h.Key)).ToArray();
        response.Clear();
        foreach (var (name, value) in kept)
        {
            response.Headers[name] = value;
        }

        response.StatusCode = status;
        response.ContentType = "application/problem+json";
        response.Headers.CacheControl = "no-store";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        var body = new ProblemBody(ReasonPhrase(status), status, detail);
        return WireJson.WriteAsync(response.Body, body, WireJsonContext.Default.ProblemBody, context.RequestAborted);
    }

    // When to try again after the registry or the peers were unreachable (seconds, for Retry-After).
    private const string RegistryRetrySeconds = "5";

    /// <summary>Runs the rest of the pipeline, answering refusals and failures as problems.</summary>
    public static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (GatewayException e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, e.Status, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away: nothing to answer.
        }
        catch (Exception e) when (NodeException.KindOf(e) is { } kind && !context.Response.HasStarted)
        {
            // What the node classified: a 4xx when the request named or sent what the node cannot
            // use; a 503 with Retry-After when the registry or every peer is away (not the request's
            // fault nor a failure of the node: try again); a 500 for a stored block that no longer
            // hashes to its CID, the node's fault but one its readers must hear about (the message
            // names the CID and sizes, never a path).
            if (kind == NodeErrorKind.Unavailable)
            {
                context.Response.Headers.RetryAfter = RegistryRetrySeconds;
            }
            else if (kind == NodeErrorKind.DataLoss)
            {
                context.RequestServices.GetService<GatewayContext>()?.Node.Metrics.VerificationFailed();
            }

            await WriteAsync(context, StatusOf(kind), NodeException.MessageOf(e, kind)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The node's own fault: the client learns that and an id to quote, the node's log the
            // cause. Never the exception's type or message, which may hold paths or internals.
            string id = context.TraceIdentifier;
            if (context.RequestServices.GetService<GatewayContext>() is { } gateway)
            {
                LogFault(gateway.Log, e, context.Request.Method, context.Request.Path, id);
            }

            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            await WriteAsync(context, StatusCodes.Status500InternalServerError, $"the node failed to answer; its log has the cause under request {id}").ConfigureAwait(false);
        }
    }

    /// <summary>The HTTP status of each kind of node error (docs/http.md).</summary>
    public static int StatusOf(NodeErrorKind kind) => kind switch
    {
        NodeErrorKind.NotFound => StatusCodes.Status404NotFound,
        NodeErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        NodeErrorKind.FailedPrecondition => StatusCodes.Status409Conflict,
        NodeErrorKind.PermissionDenied => StatusCodes.Status403Forbidden,
        NodeErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        NodeErrorKind.StorageFull => StatusCodes.Status507InsufficientStorage,
        NodeErrorKind.ResourceExhausted => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Loads what a problem answer needs before any is made (see <see cref="GatewayNode"/>'s start).</summary>
    public static void Prepare() => _ = ReasonPhrase(StatusCodes.Status400BadRequest);

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";

    // The stack trace goes to the log only (the client gets the id); the path, never the query (where a token may be).
    [LoggerMessage(Level = LogLevel.Error, Message = "http: {Method} {Path} failed ({Id})")]
    private static partial void LogFault(ILogger log, Exception error, string method, PathString path, string id);
}
