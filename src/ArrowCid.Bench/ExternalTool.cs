using System.Diagnostics;

namespace ArrowCid.Bench;

/// <summary>What a child process printed and how it ended.</summary>
/// <param name="Output">Its standard output.</param>
/// <param name="Error">Its standard error.</param>
/// <param name="ExitCode">Its exit code.</param>
internal readonly record struct ChildOutcome(string Output, string Error, int ExitCode);

/// <summary>Finding and running the programs a benchmark starts: peers it compares with, and its own benchmarks in processes of their own.</summary>
internal static class ExternalTool
{
    private static readonly string[] SystemFolders = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The full path of <paramref name="name"/> on PATH or in the system folders (sbin is often off a user's PATH), or null.</summary>
    public static string? Find(string name)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Concat(SystemFolders);
        return folders.Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>Runs a program to its end (killed after <paramref name="timeout"/>): its stdout and stderr together, and its exit code.</summary>
    public static (string Output, int ExitCode) Run(string program, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var outcome = Run(new ProcessStartInfo(program, arguments), timeout);
        return (outcome.Output + outcome.Error, outcome.ExitCode);
    }

    /// <summary>
    /// Runs <paramref name="start"/> to its end, reading its stdout and stderr apart (both at once,
    /// so neither pipe fills and stalls it); killed, with its children, after
    /// <paramref name="timeout"/> when one is given.
    /// </summary>
    /// <exception cref="BenchmarkException">It did not start, or did not finish in time.</exception>
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be run.</exception>
    public static ChildOutcome Run(ProcessStartInfo start, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start) ?? throw new BenchmarkException($"{start.FileName} did not start");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (timeout is { } limit && !process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new BenchmarkException($"{start.FileName} did not finish within {limit.TotalSeconds} s");
        }

        process.WaitForExit();
        return new ChildOutcome(output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult(), process.ExitCode);
    }
}
