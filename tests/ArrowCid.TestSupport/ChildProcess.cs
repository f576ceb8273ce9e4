using System.Diagnostics;

namespace ArrowCid.TestSupport;

/// <summary>Runs a peer program (node, python3) to its end, collecting its output, under a time limit.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> with stdout and stderr redirected, waits for it and returns its
    /// exit code and output (stdout, then stderr). Past <paramref name="timeout"/> it is killed and a
    /// <see cref="TimeoutException"/> carries what it printed.
    /// </summary>
    public static async Task<(int ExitCode, string Log)> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            string partial = await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} ran longer than {timeout}:\n{partial}");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }
}
