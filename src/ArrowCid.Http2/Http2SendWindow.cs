namespace ArrowCid.Http2;

/// <summary>
/// A flow-control window for sending (RFC 9113 §6.9): credit the peer granted, taken by DATA frames
/// and given back by WINDOW_UPDATE. It may go negative when the peer lowers SETTINGS_INITIAL_WINDOW_SIZE.
/// </summary>
internal sealed class Http2SendWindow
{
    private readonly object _gate = new();
    private long _available;
    private TaskCompletionSource? _changed;
    private Exception? _closed;

    public Http2SendWindow(int initial) => _available = initial;

    /// <summary>Adds a WINDOW_UPDATE increment or a SETTINGS_INITIAL_WINDOW_SIZE change; false when the window would pass 2^31-1.</summary>
    public bool TryAdd(long delta)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_available + delta > Http2Protocol.MaxWindowSize)
            {
                return false;
            }

            _available += delta;
            wake = _available > 0 ? TakeWaiters() : null;
        }

        wake?.TrySetResult();
        return true;
    }

    /// <summary>Octets of credit there are now (a snapshot: another sender may take them next).</summary>
    public long Available
    {
        get
        {
            lock (_gate)
            {
                return _available;
            }
        }
    }

    /// <summary>Takes up to <paramref name="wanted"/> octets of credit, waiting while there is none.</summary>
    /// <exception cref="IOException">The window was closed (stream reset or connection lost).</exception>
    public async ValueTask<int> AcquireAsync(int wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                if (_closed is { } closed)
                {
                    throw closed as IOException ?? new IOException(closed.Message, closed);
                }

                if (_available > 0)
                {
                    int granted = (int)Math.Min(wanted, _available);
                    _available -= granted;
                    return granted;
                }

                _changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wait = _changed.Task;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back credit taken but not used.</summary>
    public void Return(int count) => TryAdd(count);

    /// <summary>Fails every waiting and later acquisition with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _closed ??= reason;
            wake = TakeWaiters();
        }

        wake?.TrySetResult();
    }

    private TaskCompletionSource? TakeWaiters()
    {
        TaskCompletionSource? waiters = _changed;
        _changed = null;
        return waiters;
    }
}
