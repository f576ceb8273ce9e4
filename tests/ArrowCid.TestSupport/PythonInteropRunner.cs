using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ArrowCid.TestSupport;

/// <summary>
/// Runs the independent Python peers in interop/python (gRPC C-core through Debian's python3-grpcio,
/// hyper-h2 through python3-h2) as `python3 -m unittest` child processes. Debian's own interpreter
/// is used explicitly: the packages apt installs live there, and another python3 may come first on
/// PATH (pyenv) without them.
/// </summary>
public static partial class PythonInteropRunner
{
    /// <summary>Debian's interpreter, the one python3-grpcio, python3-protobuf and python3-h2 install into.</summary>
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>interop/python in this repository, or null when the repository root was not found.</summary>
    public static string? InteropDirectory => RepositoryPaths.Root is null ? null : Path.Combine(RepositoryPaths.Root, "interop", "python");

    /// <summary>Null when the interpreter imports every one of <paramref name="modules"/>, else why the peer cannot run.</summary>
    public static async Task<string?> UnavailableAsync(params string[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        if (!File.Exists(Interpreter))
        {
            return $"{Interpreter} is not installed";
        }

        if (InteropDirectory is null)
        {
            return "the repository root (ArrowCid.sln) was not found above " + AppContext.BaseDirectory;
        }

        var (exitCode, log) = await ChildProcess.RunAsync(new ProcessStartInfo(Interpreter, ["-c", "import " + string.Join(", ", modules)]), TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        return exitCode == 0
            ? null
            : $"{Interpreter} cannot import {string.Join(", ", modules)} (apt-get install python3-grpcio python3-protobuf python3-h2): {log.Trim().Split('\n')[^1]}";
    }

    /// <summary>
    /// Runs <c>python3 -m unittest -v</c> on <paramref name="modules"/> (dotted names under
    /// interop/python) with <paramref name="environment"/>; kills it after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<PythonResult> RunUnittestAsync(IReadOnlyList<string> modules, TimeSpan timeout, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(modules);
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(Interpreter, ["-m", "unittest", "-v", .. modules])
        {
            WorkingDirectory = InteropDirectory ?? throw new DirectoryNotFoundException("repository root not found"),
        };
        start.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        start.Environment["PYTHONUNBUFFERED"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var (exitCode, log) = await ChildProcess.RunAsync(start, timeout).ConfigureAwait(false);
        return Parse(exitCode, log);
    }

    /// <summary>Reads unittest's closing lines: "Ran N tests" and "OK (skipped=S)" or "FAILED (failures=F, errors=E, skipped=S)".</summary>
    private static PythonResult Parse(int exitCode, string log)
    {
        var ran = RanLine().Match(log);
        var outcome = OutcomeLine().Match(log);
        if (!ran.Success || !outcome.Success)
        {
            return new PythonResult(exitCode, log, -1, -1, -1);
        }

        int Count(string what)
        {
            var m = Regex.Match(outcome.Groups[2].Value, $@"\b{what}=(\d+)");
            return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }

        int total = int.Parse(ran.Groups[1].Value, CultureInfo.InvariantCulture);
        int failed = Count("failures") + Count("errors") + Count("unexpected successes");
        int skipped = Count("skipped");
        return new PythonResult(exitCode, log, total - failed - skipped - Count("expected failures"), failed, skipped);
    }

    [GeneratedRegex(@"^Ran (\d+) tests? in ", RegexOptions.Multiline)]
    private static partial Regex RanLine();

    [GeneratedRegex(@"^(OK|FAILED)(?: \(([^)]*)\))?\s*$", RegexOptions.Multiline)]
    private static partial Regex OutcomeLine();
}

/// <summary>Exit code, combined output and unittest's counts (-1 when its summary is missing).</summary>
public sealed record PythonResult(int ExitCode, string Log, int Passed, int Failed, int Skipped);
