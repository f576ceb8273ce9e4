using System.Diagnostics;

namespace ArrowCid.TestSupport;

/// <summary>Runs a child process to its end with its output captured, killing it (and its children) after a timeout.</summary>
public static class ChildProcess
{
    /// <summary>
    /// Starts <paramref name="start"/> with stdout and stderr redirected and waits for it; after
    /// <paramref name="timeout"/> kills the process tree and throws a <see cref="TimeoutException"/>
    /// holding what it printed.
    /// </summary>
    public static async Task<ChildProcessResult> RunAsync(ProcessStartInfo start, TimeSpan timeout)
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
            throw new TimeoutException(
                $"{start.FileName} {string.Join(' ', start.ArgumentList)} ran longer than {timeout}:\n{await stdout.ConfigureAwait(false)}{await stderr.ConfigureAwait(false)}");
        }

        return new ChildProcessResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}

/// <summary>A finished child process: its exit code and what it wrote to stdout and stderr.</summary>
public sealed record ChildProcessResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>stdout then stderr.</summary>
    public string Log => Stdout + Stderr;

    /// <summary>The exit code and <see cref="Log"/>, for callers that read the two together.</summary>
    public void Deconstruct(out int exitCode, out string log)
    {
        exitCode = ExitCode;
        log = Log;
    }
}
