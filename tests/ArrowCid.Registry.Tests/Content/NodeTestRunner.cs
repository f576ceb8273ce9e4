using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ArrowCid.Registry.Tests.Content;

/// <summary>Finds node and interop/node, and runs one of its node:test files as a child process.</summary>
internal static partial class NodeTestRunner
{
    public static string? InteropDirectory { get; } = FindInteropDirectory();

    /// <summary>ARROWCID_INTEROP_DIR, else interop/node/fixtures/<paramref name="topic"/> (ignored by git).</summary>
    public static string FixturesDirectory(string topic) =>
        Environment.GetEnvironmentVariable("ARROWCID_INTEROP_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(InteropDirectory ?? throw new DirectoryNotFoundException("interop/node not found"), "fixtures", topic);

    /// <summary>Null when node and the packages are there, else why the interop test cannot run.</summary>
    public static string? Unavailable(params string[] packages)
    {
        if (FindOnPath("node") is null)
        {
            return "node is not on PATH";
        }

        if (InteropDirectory is null)
        {
            return "interop/node was not found above " + AppContext.BaseDirectory;
        }

        return packages.FirstOrDefault(p => !Directory.Exists(Path.Combine(InteropDirectory, "node_modules", p))) is { } absent
            ? $"interop/node/node_modules/{absent} is missing (run `npm ci` in interop/node)"
            : null;
    }

    /// <summary>Runs <c>node --test --test-reporter=tap</c> on <paramref name="testFile"/> with ARROWCID_INTEROP_DIR set to <paramref name="fixtures"/>.</summary>
    public static async Task<(int ExitCode, string Log, int Passed, int Failed, int Skipped)> RunAsync(string testFile, string fixtures, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(FindOnPath("node")!, ["--test", "--test-reporter=tap", testFile])
        {
            WorkingDirectory = InteropDirectory!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ARROWCID_INTEROP_DIR"] = fixtures;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node --test {testFile} ran longer than {timeout}");
        }

        string log = await stdout + await stderr;
        return (process.ExitCode, log, Count(log, "pass"), Count(log, "fail"), Count(log, "skipped"));
    }

    private static int Count(string log, string what) =>
        TapCount().Matches(log).Where(m => m.Groups[1].Value == what).Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).LastOrDefault(-1);

    [GeneratedRegex(@"^# (pass|fail|skipped) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex TapCount();

    private static string? FindInteropDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string interop = Path.Combine(dir.FullName, "interop", "node");
            if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")) && Directory.Exists(interop))
            {
                return interop;
            }
        }

        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);
}
