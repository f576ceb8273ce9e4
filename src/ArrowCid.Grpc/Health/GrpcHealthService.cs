using ServingStatus = ArrowCid.Grpc.Health.HealthCheckResponse.Types.ServingStatus;

namespace ArrowCid.Grpc.Health;

/// <summary>
/// The gRPC Health Checking Protocol (<c>grpc.health.v1.Health</c>, grpc/grpc doc/health-checking.md):
/// <c>Check</c> answers a service's status now, or NOT_FOUND for a service the server does not
/// know; <c>Watch</c> sends the status at once and again whenever it changes (SERVICE_UNKNOWN for
/// an unknown service, which may become known later). What a status is comes from the caller's
/// <c>status</c> function, asked at every Check and by each watcher when told of a change
/// (<see cref="NotifyChanged"/>) or at every <c>recheck</c> period, whichever comes first.
/// </summary>
public sealed class GrpcHealthService
{
    /// <summary>The service's fully-qualified name.</summary>
    public const string ServiceName = "grpc.health.v1.Health";

    /// <summary>The unary Check method.</summary>
    public static readonly GrpcMethod<HealthCheckRequest, HealthCheckResponse> CheckMethod = new(ServiceName, "Check", MethodType.Unary);

    /// <summary>The server-streaming Watch method.</summary>
    public static readonly GrpcMethod<HealthCheckRequest, HealthCheckResponse> WatchMethod = new(ServiceName, "Watch", MethodType.ServerStreaming);

    private readonly Func<string, ServingStatus?> _status;
    private readonly TimeSpan _recheck;
    private readonly TimeProvider _time;
    private TaskCompletionSource _changed = NewSignal();
    private volatile bool _ended;

    /// <summary>Serves the statuses <paramref name="status"/> gives.</summary>
    /// <param name="status">A service's status now; null for a service the server does not know.</param>
    /// <param name="recheck">How often a watcher asks again without being told of a change.</param>
    /// <param name="time">The clock of the recheck period (a test's own, or the system's).</param>
    public GrpcHealthService(Func<string, ServingStatus?> status, TimeSpan recheck, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(recheck, TimeSpan.Zero);
        _status = status;
        _recheck = recheck;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Tells every watcher to ask for its status now (a drain began, a dependency came back).</summary>
    public void NotifyChanged() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    /// <summary>
    /// Ends every watch, now and to come, after it has sent the status of the moment (NOT_SERVING,
    /// for a server going away): an open watch would otherwise hold a graceful shutdown until its
    /// timeout.
    /// </summary>
    public void EndWatches()
    {
        _ended = true;
        NotifyChanged();
    }

    /// <summary>Check: the status now.</summary>
    /// <exception cref="RpcException">NOT_FOUND: the service is not known here.</exception>
    public Task<HealthCheckResponse> CheckAsync(HealthCheckRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var status = _status(request.Service)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"unknown service '{request.Service}'"));
        return Task.FromResult(new HealthCheckResponse { Status = status });
    }

    /// <summary>Watch: the status now, then each change, until the client cancels or <see cref="EndWatches"/>.</summary>
    public async Task WatchAsync(HealthCheckRequest request, IServerStreamWriter<HealthCheckResponse> responses, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(responses);
        ArgumentNullException.ThrowIfNull(context);
        var cancellation = context.CancellationToken;
        ServingStatus? sent = null;
        while (true)
        {
            // Taken before asking, so a change made while the status is read still wakes the wait below.
            var changed = Volatile.Read(ref _changed).Task;
            bool ending = _ended;
            var status = _status(request.Service) ?? ServingStatus.ServiceUnknown;
            if (status != sent)
            {
                await responses.WriteAsync(new HealthCheckResponse { Status = status }, cancellation).ConfigureAwait(false);
                sent = status;
            }

            if (ending)
            {
                return;
            }

            try
            {
                await changed.WaitAsync(_recheck, _time, cancellation).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Asked again on the period: a status can change without anyone telling.
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>Adds <see cref="GrpcHealthService"/> to a registry.</summary>
public static class GrpcHealthServiceRegistration
{
    /// <summary>Serves <c>grpc.health.v1.Health</c> (Check and Watch) from <paramref name="health"/>.</summary>
    public static GrpcServiceRegistry AddHealthService(this GrpcServiceRegistry registry, GrpcHealthService health)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(health);
        return registry
            .AddUnary(GrpcHealthService.CheckMethod, health.CheckAsync)
            .AddServerStreaming(GrpcHealthService.WatchMethod, health.WatchAsync);
    }
}
