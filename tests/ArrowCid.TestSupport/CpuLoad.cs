using System.Diagnostics;

namespace ArrowCid.TestSupport;

/// <summary>
/// Keeps every core busy while it lives: one child process spinning per core (a shell loop), so a
/// stress test runs as a loaded machine runs it. Disposing kills them.
/// </summary>
public sealed class CpuLoad : IDisposable
{
    private readonly List<Process> _spinners = [];

    private CpuLoad(int processes)
    {
        for (int i = 0; i < processes; i++)
        {
            var start = new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"]) { UseShellExecute = false };
            _spinners.Add(Process.Start(start) ?? throw new InvalidOperationException("/bin/sh did not start"));
        }
    }

    /// <summary>How many spinning processes there are.</summary>
    public int Processes => _spinners.Count;

    /// <summary>Starts one spinning process per core.</summary>
    public static CpuLoad OnEveryCore() => new(Environment.ProcessorCount);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (Process spinner in _spinners)
        {
            try
            {
                spinner.Kill();
                spinner.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            spinner.Dispose();
        }

        _spinners.Clear();
    }
}
