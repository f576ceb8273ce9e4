using System.Runtime.InteropServices;

namespace ArrowCid.Cli;

/// <summary>
/// SIGTERM and SIGINT (Ctrl+C) for a long-running command: the first asks for a graceful stop
/// (<see cref="Stopping"/>), a second for an immediate one (<see cref="Forced"/>). Neither ends the
/// process by itself: the command winds down and returns its exit code.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _forced = new();
    private readonly PosixSignalRegistration _term;
    private readonly PosixSignalRegistration _interrupt;
    private int _signals;

    public ShutdownSignals()
    {
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Cancelled at the second signal.</summary>
    public CancellationToken Forced => _forced.Token;

    public void Dispose()
    {
        _term.Dispose();
        _interrupt.Dispose();
        _stopping.Dispose();
        _forced.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Handled here: the runtime's default (ending the process) would skip the drain.
        context.Cancel = true;
        (Interlocked.Increment(ref _signals) == 1 ? _stopping : _forced).Cancel();
    }
}
