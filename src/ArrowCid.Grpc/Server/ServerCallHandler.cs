using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace ArrowCid.Grpc;

/// <summary>
/// Serves one call of one method: checks the gRPC headers, sets up deadline and cancellation, runs
/// the handler and turns however it ended into a status. Nothing a client sends and nothing a handler
/// throws escapes as an unhandled exception.
/// </summary>
internal abstract class ServerCallHandler
{
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    protected ServerCallHandler(string method, GrpcServerOptions options)
    {
        MethodName = method;
        Options = options;
    }

    public string MethodName { get; }

    protected GrpcServerOptions Options { get; }

    public async Task HandleAsync(HttpContext http)
    {
        LiftStreamLimits(http);
        HttpRequest request = http.Request;
        string? encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (!string.IsNullOrEmpty(encoding) && !encoding.Equals(GrpcProtocol.IdentityEncoding, StringComparison.OrdinalIgnoreCase))
        {
            http.Response.Headers[GrpcProtocol.AcceptEncodingHeader] = GrpcProtocol.IdentityEncoding;
            GrpcResponseStatus.WriteTrailersOnly(http.Response, new Status(
                StatusCode.Unimplemented, $"grpc-encoding '{encoding}' is not supported; this server accepts identity only"));
            return;
        }

        TimeSpan? timeout = null;
        string? timeoutText = request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutText is not null)
        {
            if (!GrpcTimeout.TryParse(timeoutText, out TimeSpan parsed))
            {
                GrpcResponseStatus.WriteTrailersOnly(http.Response, new Status(StatusCode.Internal, $"malformed grpc-timeout header '{timeoutText}'"));
                return;
            }

            timeout = parsed;
        }

        Metadata requestHeaders;
        try
        {
            requestHeaders = MetadataHeaders.FromHeaders(
                request.Headers.Select(h => new KeyValuePair<string, IEnumerable<string?>>(h.Key, h.Value)));
        }
        catch (RpcException e)
        {
            GrpcResponseStatus.WriteTrailersOnly(http.Response, e.Status);
            return;
        }

        http.Response.ContentType = GrpcProtocol.ContentType;
        await RunCallAsync(http, requestHeaders, timeout).ConfigureAwait(false);
    }

    /// <summary>Runs the handler for this method's kind.</summary>
    private protected abstract Task InvokeAsync(HttpContext http, HttpServerCallContext context);

    private async Task RunCallAsync(HttpContext http, Metadata requestHeaders, TimeSpan? timeout)
    {
        // Without a deadline the call ends only when the request does: its token is the request's,
        // with no timer or linked source to build and dispose for every call.
        var clock = Options.TimeProvider;
        using CancellationTokenSource? deadlineTimer = timeout is { } t && t < LongestTimer ? new CancellationTokenSource(t, clock) : null;
        DateTime deadline = deadlineTimer is null ? DateTime.MaxValue : clock.GetUtcNow().UtcDateTime + timeout!.Value;
        using CancellationTokenSource? callCancellation = deadlineTimer is null ? null : CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, deadlineTimer.Token);
        var context = new HttpServerCallContext(http, MethodName, requestHeaders, deadline, callCancellation?.Token ?? http.RequestAborted);
        long started = clock.GetTimestamp();
        Status status = new(StatusCode.Cancelled, "the client went away");
        try
        {
            status = await RunHandlerAsync(http, context, deadlineTimer).ConfigureAwait(false);
        }
        finally
        {
            Options.CallObserver?.CallEnded(new GrpcCallEnded(
                MethodName, status.StatusCode, clock.GetElapsedTime(started), context.Requests?.BytesRead ?? 0, context.BytesSent, context.Peer, context.Subject));
        }
    }

    // Runs the handler and sends its status; returns the status (CANCELLED when the client went away first).
    private async Task<Status> RunHandlerAsync(HttpContext http, HttpServerCallContext context, CancellationTokenSource? deadlineTimer)
    {
        Status status;
        Metadata trailers = context.ResponseTrailers;
        try
        {
            Options.AdmitCall?.Invoke(context);
            await InvokeAsync(http, context).ConfigureAwait(false);
            status = deadlineTimer is { IsCancellationRequested: true } ? DeadlineExceeded() : context.Status;
        }
        catch (RpcException e)
        {
            status = e.Status;
            foreach (MetadataEntry entry in e.Trailers)
            {
                trailers.Add(entry);
            }
        }
        catch (OperationCanceledException) when (deadlineTimer is { IsCancellationRequested: true })
        {
            status = DeadlineExceeded();
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream or went away; no status can reach it.
            return new Status(StatusCode.Cancelled, "the client went away");
        }
        catch (Exception e)
        {
            status = new Status(
                StatusCode.Unknown,
                Options.IncludeExceptionDetails ? $"Exception was thrown by handler. {e.GetType().Name}: {e.Message}" : "Exception was thrown by handler.");
        }
        finally
        {
            context.Completed = true;
        }

        if (http.RequestAborted.IsCancellationRequested)
        {
            return new Status(StatusCode.Cancelled, "the client went away");
        }

        if (context.ResponseStarted)
        {
            GrpcResponseStatus.WriteTrailers(http.Response, status, trailers);
        }
        else
        {
            GrpcResponseStatus.WriteTrailersOnly(http.Response, status, trailers);
        }

        return status;
    }

    private static Status DeadlineExceeded() => new(StatusCode.DeadlineExceeded, "Deadline Exceeded");

    /// <summary>
    /// Kestrel caps request bodies (30 MB) and drops slow ones; a gRPC stream is long-lived and
    /// unbounded, with per-message limits instead, so both caps go for this request.
    /// </summary>
    private static void LiftStreamLimits(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } maxBody)
        {
            maxBody.MaxRequestBodySize = null;
        }

        if (http.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } minRequestRate)
        {
            minRequestRate.MinDataRate = null;
        }

        if (http.Features.Get<IHttpMinResponseDataRateFeature>() is { } minResponseRate)
        {
            minResponseRate.MinDataRate = null;
        }
    }
}
