namespace ArrowCid.Http2;

/// <summary>
/// A flow-control window for sending (RFC 9113 §6.9): credit the peer granted, taken by DATA frames
/// and given back by WINDOW_UPDATE. A stream's window is the peer's current
/// SETTINGS_INITIAL_WINDOW_SIZE plus what WINDOW_UPDATE granted minus what was sent (§6.9.2), read
/// from the settings whenever it is used: a SETTINGS change reaches every stream, however its
/// opening interleaves with the frame, and may take a window below zero.
/// </summary>
/// <remarks>
/// The window once took the initial size as a number when the stream was made. A stream made on
/// the opener's thread just before the read loop applied the peer's first SETTINGS, and entered in
/// the table of open streams just after the loop had adjusted every stream there, kept 65,535 while
/// the peer had granted 16 MiB: the client waited for credit and the server for data (issue 34).
/// </remarks>
internal sealed class Http2SendWindow
{
    private readonly object _gate = new();
    private readonly Http2Settings? _peerSettings;
    private long _credit;
    private TaskCompletionSource? _changed;
    private Exception? _closed;

    /// <summary>The connection's window, starting at <paramref name="initial"/> (SETTINGS do not change it).</summary>
    public Http2SendWindow(int initial) => _credit = initial;

    /// <summary>A stream's window: <paramref name="peerSettings"/>' current initial window size, plus updates, minus what was sent.</summary>
    public Http2SendWindow(Http2Settings peerSettings) => _peerSettings = peerSettings;

    /// <summary>Adds a WINDOW_UPDATE increment (or returns unused credit); false when the window would pass 2^31-1.</summary>
    public bool TryAdd(long delta)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (AvailableLocked + delta > Http2Protocol.MaxWindowSize)
            {
                return false;
            }

            _credit += delta;
            wake = AvailableLocked > 0 ? TakeWaiters() : null;
        }

        wake?.TrySetResult();
        return true;
    }

    /// <summary>
    /// The peer changed SETTINGS_INITIAL_WINDOW_SIZE (already applied to its settings): wakes a
    /// waiting sender when there is credit now; false when the window passed 2^31-1 (a connection
    /// error, §6.9.2).
    /// </summary>
    public bool InitialSizeChanged()
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (AvailableLocked > Http2Protocol.MaxWindowSize)
            {
                return false;
            }

            wake = AvailableLocked > 0 ? TakeWaiters() : null;
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
                return AvailableLocked;
            }
        }
    }

    /// <summary>Whether a sender is waiting for credit now.</summary>
    public bool IsWaiting
    {
        get
        {
            lock (_gate)
            {
                return _changed is not null;
            }
        }
    }

    private long AvailableLocked => _credit + (_peerSettings?.InitialWindowSize ?? 0);

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

                long available = AvailableLocked;
                if (available > 0)
                {
                    int granted = (int)Math.Min(wanted, available);
                    _credit -= granted;
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
