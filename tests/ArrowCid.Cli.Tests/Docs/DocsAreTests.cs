using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests.Docs;

/// <summary>
/// Docs are tests (issue 42): every <c>```sh</c> block of the documents below runs as written, in
/// order, in a fresh temporary folder with a fresh repository (<c>ARROWCID_REPO</c>), under
/// <c>bash -eu -o pipefail</c>, so any command that fails fails the test; shared memory is a store
/// of its own (<c>ARROWCID_SHM_DIR</c>). <c>arrowcid</c> is the
/// built CLI, and <c>dotnet run --project src/ArrowCid.Cli --</c> (or <c>samples/NAME</c>) runs the
/// built program rather than building it again. A line ending in <c>&amp;</c> (a server, a feed
/// follower) starts in the background, and the block goes on once it has printed its first line
/// (in a transcript, as many lines as the document shows, compared as output is);
/// what runs in the background is stopped when the document ends. The ports the docs show
/// (127.0.0.1:8815 for Flight, 8816 for HTTP, 8817 and 8818 for a second node…, also in a
/// multiaddr) become free ports, the same throughout a document, so a run never meets another
/// program on them. A block marked
/// <c>&lt;!-- docs-test: skip: REASON --&gt;</c> is not run, nor is one marked
/// <c>&lt;!-- docs-test: from a checkout --&gt;</c>: a newcomer's step that NewcomerTests runs from a
/// checkout where the library is published.
/// </summary>
[Trait("Category", "Peers")]
public sealed partial class DocsAreTests(ITestOutputHelper output) : IDisposable
{
    // A bound only against a hang (a command waiting on input, a server that never starts), never a speed check.
    private static readonly TimeSpan HangLimit = TimeSpan.FromMinutes(5);

    private readonly TempFolder _temp = new();
    private readonly List<Process> _background = [];

    // The documents' shared-memory stores live here (ARROWCID_SHM_DIR), not in the machine's default.
    private readonly string _shm = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), "arrowcid-docs-" + Guid.NewGuid().ToString("N"));

    // The free ports standing for the docs' own: 8815 (Flight) and 8816 (HTTP, Flight's + 1 as serve
    // defaults), 8817 and 8818 for a second node, and so on, a pair at a time.
    private readonly Dictionary<int, int> _ports = [];

    public void Dispose()
    {
        foreach (var process in _background)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        if (Directory.Exists(_shm))
        {
            Directory.Delete(_shm, recursive: true);
        }

        _temp.Dispose();
    }

    /// <summary>README.md and every document in docs/.</summary>
    public static TheoryData<string> Documents()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("no repository root");
        var documents = new TheoryData<string> { "README.md" };
        foreach (string path in Directory.EnumerateFiles(Path.Combine(root, "docs"), "*.md").Order(StringComparer.Ordinal))
        {
            documents.Add("docs/" + Path.GetFileName(path));
        }

        return documents;
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public async Task Every_shell_block_runs_as_written(string document)
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("no repository root");
        var blocks = DocBlocks.Read(Path.Combine(root, document));
        string work = _temp.File("work");
        Directory.CreateDirectory(work);
        string bin = WriteArrowcidCommand();
        foreach (var block in blocks)
        {
            if (block.Skip is { } reason)
            {
                output.WriteLine($"{document}:{block.Line}: skipped: {reason}");
                continue;
            }

            if (block.FromCheckout)
            {
                output.WriteLine($"{document}:{block.Line}: a step from a checkout: NewcomerTests (ArrowCid.Native.Tests) runs it");
                continue;
            }

            output.WriteLine($"{document}:{block.Line}: running");
            if (block.IsTranscript)
            {
                await RunTranscriptAsync(block, work, bin, $"{document}:{block.Line}");
                continue;
            }

            var foreground = new StringBuilder();
            foreach (string command in Commands(block.Lines))
            {
                string line = Rewrite(command);
                if (BackgroundLine().Match(line) is { Success: true } background)
                {
                    await RunAsync(foreground.ToString(), work, bin, $"{document}:{block.Line}");
                    foreground.Clear();
                    await StartAsync(background.Groups[1].Value, work, bin, $"{document}:{block.Line}");
                }
                else
                {
                    foreground.AppendLine(line);
                }
            }

            await RunAsync(foreground.ToString(), work, bin, $"{document}:{block.Line}");
        }
    }

    private string Ports(string text) =>
        DocPort().Replace(text, m => $"{m.Groups[1].Value}{FreePortFor(int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))}");

    // A doc's Flight port is odd (8815, 8817…) and its HTTP port the next one: both get a free pair.
    private int FreePortFor(int docPort)
    {
        lock (_ports)
        {
            if (!_ports.TryGetValue(docPort, out int port))
            {
                int flight = docPort % 2 == 1 ? docPort : docPort - 1;
                var pair = FreePortPair();
                _ports[flight] = pair.Flight;
                _ports[flight + 1] = pair.Http;
                port = _ports[docPort];
            }

            return port;
        }
    }

    // Two free ports, the second one more than the first.
    private static (int Flight, int Http) FreePortPair()
    {
        while (true)
        {
            var first = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            first.Start();
            int port = ((System.Net.IPEndPoint)first.LocalEndpoint).Port;
            try
            {
                if (port < ushort.MaxValue)
                {
                    var second = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port + 1);
                    second.Start();
                    second.Stop();
                    return (port, port + 1);
                }
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken: another pair.
            }
            finally
            {
                first.Stop();
            }
        }
    }

    // Each `$ command` runs; what it prints (stdout, then stderr) must match the lines after it, where
    // "…" stands for any text within a line, and a line of "…" alone for any number of lines.
    private async Task RunTranscriptAsync(DocBlock block, string work, string bin, string where)
    {
        for (int i = 0; i < block.Lines.Count; i++)
        {
            if (!block.Lines[i].StartsWith("$ ", StringComparison.Ordinal))
            {
                continue;
            }

            // A command continued with a trailing backslash takes the lines after it.
            string command = block.Lines[i][2..];
            while (command.EndsWith('\\') && i + 1 < block.Lines.Count)
            {
                command = command[..^1] + " " + block.Lines[++i].Trim();
            }

            command = Rewrite(command);
            var expected = block.Lines.Skip(i + 1).TakeWhile(l => !l.StartsWith("$ ", StringComparison.Ordinal)).Select(Ports).ToList();
            List<string> actual;
            string printed;
            if (BackgroundLine().Match(command) is { Success: true } background)
            {
                // A server: the lines it prints first, as many as the document shows.
                actual = await StartAsync(background.Groups[1].Value, work, bin, where, Math.Max(1, expected.Count));
                printed = string.Join('\n', actual);
            }
            else
            {
                var (_, stdout, stderr) = await ExecuteAsync(command, work, bin);
                printed = stdout + stderr;
                actual = printed.Length == 0 ? [] : printed.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n').ToList();
            }

            Assert.True(
                Matches(expected.Select(l => l.TrimEnd()).ToList(), actual.Select(l => l.TrimEnd()).ToList()),
                $"{where}: `{command}` printed\n{printed}\nbut the document shows\n{string.Join('\n', expected)}");
        }
    }

    // Whether the printed lines match the shown ones ("…" within a line: any text; a line "…": any lines).
    private static bool Matches(List<string> shown, List<string> printed)
    {
        return Match(0, 0);

        bool Match(int s, int p)
        {
            if (s == shown.Count)
            {
                return p == printed.Count;
            }

            if (shown[s] == "…")
            {
                for (int skip = p; skip <= printed.Count; skip++)
                {
                    if (Match(s + 1, skip))
                    {
                        return true;
                    }
                }

                return false;
            }

            return p < printed.Count && LineMatches(shown[s], printed[p]) && Match(s + 1, p + 1);
        }
    }

    private static bool LineMatches(string shown, string printed) =>
        Regex.IsMatch(printed, "^" + string.Join(".*", shown.Split('…').Select(Regex.Escape)) + "$", RegexOptions.None, TimeSpan.FromSeconds(5));

    // The block's commands: a line continued with a trailing backslash is joined to the next.
    private static IEnumerable<string> Commands(IReadOnlyList<string> lines)
    {
        var current = new StringBuilder();
        foreach (string line in lines)
        {
            if (line.EndsWith('\\'))
            {
                current.Append(line.AsSpan(0, line.Length - 1)).Append(' ');
                continue;
            }

            current.Append(line);
            yield return current.ToString();
            current.Clear();
        }

        if (current.Length > 0)
        {
            yield return current.ToString();
        }
    }

    // `dotnet run --project src/ArrowCid.Cli --` is the built arrowcid; a sample's, its built program; the docs' ports, free ones.
    // The docs' install step (a self-contained publish of the CLI into a folder) copies the folder
    // ./test.sh published the same way, or, in a test run without that publish, puts the built
    // CLI's launcher there (publishing again would build into the artifacts the tests run from).
    private string Rewrite(string line)
    {
        line = Ports(line.Replace("dotnet run --project src/ArrowCid.Cli --", "arrowcid", StringComparison.Ordinal));
        line = PublishCli().Replace(line, m =>
        {
            string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("no repository root");
            string published = Path.Combine(root, "artifacts", "publish", "linux-x64");
            return File.Exists(Path.Combine(published, "arrowcid"))
                ? $"mkdir -p {m.Groups[1].Value} && cp -a \"{published}/.\" {m.Groups[1].Value}/"
                : $"mkdir -p {m.Groups[1].Value} && cp \"{Path.Combine(_temp.File("bin"), "arrowcid")}\" {m.Groups[1].Value}/arrowcid";
        });
        return SampleRun().Replace(line, m => $"\"{BuildOutputs.DotnetHost}\" \"{BuildOutputs.AssemblyPath(m.Groups[1].Value, m.Groups[1].Value)}\"");
    }

    // A folder holding an `arrowcid` command that runs the built CLI.
    private string WriteArrowcidCommand()
    {
        string bin = _temp.File("bin");
        Directory.CreateDirectory(bin);
        string script = Path.Combine(bin, "arrowcid");
        File.WriteAllText(script, $"#!/bin/sh\nexec \"{BuildOutputs.DotnetHost}\" \"{BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid")}\" \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return bin;
    }

    private ProcessStartInfo Shell(string script, string work, string bin)
    {
        var start = new ProcessStartInfo("bash", ["-eu", "-o", "pipefail", "-c", script])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        // ~/.local/bin first, as a login shell on Debian and Ubuntu has it once it exists: where the docs install arrowcid.
        start.Environment["PATH"] = Path.Combine(_temp.File("home"), ".local", "bin") + ":" + bin + ":" + Environment.GetEnvironmentVariable("PATH");
        start.Environment["ARROWCID_REPO"] = Path.Combine(work, "repo");
        start.Environment["HOME"] = _temp.File("home");
        start.Environment["ARROWCID_SHM_DIR"] = _shm;
        return start;
    }

    private async Task RunAsync(string script, string work, string bin, string where)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            return;
        }

        var (exit, text, errors) = await ExecuteAsync(script, work, bin);
        output.WriteLine(text);
        Assert.True(exit == 0, $"{where}: exit {exit} running\n{script}\nstdout:\n{text}\nstderr:\n{errors}");
    }

    // Runs a script to its end: its exit code and what it printed on stdout and stderr.
    private async Task<(int Exit, string Stdout, string Stderr)> ExecuteAsync(string script, string work, string bin)
    {
        using var process = Process.Start(Shell(script, work, bin))!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var hang = new CancellationTokenSource(HangLimit);
        await process.WaitForExitAsync(hang.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    // Starts a background command and waits for its first lines of output (a server's "serving …").
    private async Task<List<string>> StartAsync(string command, string work, string bin, string where, int lineCount = 1)
    {
        var process = new Process { StartInfo = Shell(command, work, bin), EnableRaisingEvents = true };
        var first = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        var errors = new StringBuilder();

        // Every line is read (and all after the first lineCount dropped), so it never blocks on a full pipe.
        process.OutputDataReceived += (_, e) =>
        {
            lock (lines)
            {
                if (e.Data is not null && lines.Count < lineCount)
                {
                    lines.Add(e.Data);
                }

                if (e.Data is null || lines.Count == lineCount)
                {
                    first.TrySetResult(e.Data);
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.Exited += (_, _) => first.TrySetResult(null);
        process.Start();
        _background.Add(process);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        string? line = await first.Task.WaitAsync(HangLimit);
        Assert.True(line is not null, $"{where}: the background command ended before printing {lineCount} line(s): {command}\n{string.Join('\n', lines)}\n{errors}");
        output.WriteLine($"{where}: started {command}: {line}");
        lock (lines)
        {
            return [.. lines];
        }
    }

    [GeneratedRegex(@"^(.*?)\s*&\s*(#.*)?$")]
    private static partial Regex BackgroundLine();

    [GeneratedRegex(@"dotnet run --project samples/(\w+) --")]
    private static partial Regex SampleRun();

    [GeneratedRegex(@"dotnet publish src/ArrowCid\.Cli -c Release -r linux-x64 --self-contained -o (\S+)")]
    private static partial Regex PublishCli();

    // HOST:PORT, and the multiaddr form a node advertises (/ip4/127.0.0.1/tcp/PORT).
    [GeneratedRegex(@"(127\.0\.0\.1:|localhost:|/ip4/127\.0\.0\.1/tcp/)(88[1-9][0-9])\b")]
    private static partial Regex DocPort();
}
