using Microsoft.Extensions.Logging;

namespace ArrowCid.Http2.Server;

/// <summary>
/// Whether a listener accepts connections: a node's readiness reports one that cannot (the process
/// out of descriptors, or the kernel out of buffers), which retries on its own until it can again.
/// </summary>
/// <param name="log">Where a listener says it cannot accept, and that it can again (null: nowhere).</param>
public sealed class AcceptStatus(ILogger? log = null)
{
    private volatile string? _problem;

    /// <summary>Where the listener logs a failing accept and its recovery.</summary>
    internal ILogger? Log => log;

    /// <summary>Why the listener cannot accept now; null while it accepts.</summary>
    public string? Problem => _problem;

    /// <summary>Records that an accept failed, and why; true when the listener was accepting until now.</summary>
    internal bool Failing(string problem)
    {
        bool was = _problem is null;
        _problem = problem;
        return was;
    }

    /// <summary>Records that an accept succeeded; true when the listener was failing until now.</summary>
    internal bool Accepting()
    {
        if (_problem is null)
        {
            return false;
        }

        _problem = null;
        return true;
    }
}
