using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ArrowCid.Parquet.Tests.Interop;

/// <summary>Finds node and interop/node, and runs one of its node:test files as a child process.</summary>
internal static partial class NodeRunner
{
    public static string? RepositoryRoot { get; } = FindRepositoryRoot();

    public static string? InteropDirectory => RepositoryRoot is null ? null : Path.Combine(RepositoryRoot, "interop", "node");

    /// <summary>ARROWCID_INTEROP_DIR, else interop/node/fixtures/parquet (ignored by git).</summary>
    public static string FixturesDirectory =>
        Environment.GetEnvironmentVariable("ARROWCID_INTEROP_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(InteropDirectory ?? throw new DirectoryNotFoundException("repository root not found"), "fixtures", "parquet");

    /// <summary>Null when node and the packages are there, else why the interop test cannot run.</summary>
    public static string? Unavailable(params string[] packages)
    {
        string? node = FindOnPath("node");
        if (node is null)
        {
            return "node is not on PATH";
        }

        if (InteropDirectory is null)
        {
            return "the repository root (ArrowCid.sln) was not found above " + AppContext.BaseDirectory;
        }

        foreach (string package in packages)
        {
            if (!Directory.Exists(Path.Combine(InteropDirectory, "node_modules", package)))
            {
                return $"interop/node/node_modules/{package} is missing (run `npm ci` in interop/node)";
            }
        }

        return null;
    }

    /// <summary>Runs <c>node --test --test-reporter=tap</c> on <paramref name="testFile"/> with ARROWCID_INTEROP_DIR set.</summary>
    public static async Task<NodeResult> RunTestAsync(string testFile, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(FindOnPath("node")!, ["--test", "--test-reporter=tap", testFile])
        {
            WorkingDirectory = InteropDirectory!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["ARROWCID_INTEROP_DIR"] = FixturesDirectory;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
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
        return new NodeResult(process.ExitCode, log, Count(log, "pass"), Count(log, "fail"), Count(log, "skipped"));
    }

    private static int Count(string log, string what) =>
        TapCount().Matches(log).Where(m => m.Groups[1].Value == what).Select(m => int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)).LastOrDefault(-1);

    [GeneratedRegex(@"^# (pass|fail|skipped) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex TapCount();

    private static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")) && Directory.Exists(Path.Combine(dir.FullName, "interop", "node")))
            {
                return dir.FullName;
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

/// <summary>Exit code, combined output and the TAP summary counts (-1 when absent).</summary>
internal sealed record NodeResult(int ExitCode, string Log, int Passed, int Failed, int Skipped);
