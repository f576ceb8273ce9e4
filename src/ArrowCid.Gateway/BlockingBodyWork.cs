using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ArrowCid.Gateway;

/// <summary>
/// Runs the code that reads or writes a body synchronously (the Arrow IPC and CSV readers, the
/// Parquet and CSV writers) on a thread of its own, never on a pool thread. Such code waits on its
/// client: on a pool thread, a few hundred slow clients took every thread the node had (issue 65:
/// 200 uploads at 400 B/s made one ListFlights take 46 s), and on a 2-core machine the pool grows
/// by about a thread a second. On a thread of its own a slow client costs one idle thread and the
/// buffers its work holds, and every other request is served. At most <see cref="MaxAtOnce"/> run
/// at once; a request past them waits, asynchronously, for one to finish.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "a SemaphoreSlim holds no handle until its AvailableWaitHandle is read, which this never does; it lives as long as the gateway")]
internal sealed class BlockingBodyWork
{
    /// <summary>How many may run at once: each holds at most a chunk decoded (a few MiB) while its client reads or sends slowly.</summary>
    public const int MaxAtOnce = 64;

    private readonly SemaphoreSlim _slots = new(MaxAtOnce, MaxAtOnce);

    /// <summary>
    /// Runs <paramref name="work"/> on a thread of its own with synchronous I/O allowed on
    /// <paramref name="http"/>'s body, once a slot is free; completes with its result or exception.
    /// </summary>
    public async Task<T> RunAsync<T>(HttpContext http, Func<T> work)
    {
        if (http.Features.Get<IHttpBodyControlFeature>() is { } control)
        {
            control.AllowSynchronousIO = true;
        }

        await _slots.WaitAsync(http.RequestAborted).ConfigureAwait(false);
        try
        {
            // LongRunning: the default scheduler gives the task a thread of its own, outside the pool.
            return await Task.Factory.StartNew(work, http.RequestAborted, TaskCreationOptions.LongRunning | TaskCreationOptions.DenyChildAttach, TaskScheduler.Default).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> as <see cref="RunAsync{T}(HttpContext, Func{T})"/> does, for work with no result.</summary>
    public Task RunAsync(HttpContext http, Action work) => RunAsync(http, () =>
    {
        work();
        return true;
    });
}
