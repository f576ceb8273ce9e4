using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// The self-contained <c>arrowcid</c> docs/deploy.md builds (<c>dotnet publish src/ArrowCid.Cli -c Release
/// -r linux-x64 --self-contained</c>; test.sh publishes it to artifacts/publish/linux-x64) runs with
/// no SDK in reach: an environment holding only a PATH without dotnet and a HOME, and the runtime it
/// maps is its own, not the machine's. It runs the quickstart, and serves until SIGTERM, healthy,
/// then exits 0.
/// </summary>
[Trait("Category", "Peers")]
public sealed class PublishedBinaryTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    private static string? Published =>
        RepositoryPaths.Root is { } root && Path.Combine(root, "artifacts", "publish", "linux-x64", "arrowcid") is var path && File.Exists(path) ? path : null;

    [Fact]
    public async Task The_published_binary_runs_the_quickstart_and_serves_without_the_sdk()
    {
        if (Published is not { } binary)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("artifacts/publish/linux-x64/arrowcid is not published (test.sh publishes it)"));
            return;
        }

        var quickstart = await ChildProcess.RunAsync(Clean(binary, "quickstart"), TimeSpan.FromMinutes(2));
        Assert.True(quickstart.ExitCode == 0, quickstart.Stderr + quickstart.Stdout);
        Assert.Contains("DoGet", quickstart.Stdout, StringComparison.Ordinal);

        using var serve = StartServe(Clean(binary, "serve", "--listen", "127.0.0.1:0", "--repo", Path.Combine(_home.Path, "repo"), "--no-shm"), out var lines);
        try
        {
            string? gateway = GatewayOf(lines);
            Assert.NotNull(gateway);
            using var http = new HttpClient();
            Assert.Equal("ok\n", await http.GetStringAsync(gateway + "/healthz"));

            // Its runtime is the one published beside it, not the machine's.
            string maps = await File.ReadAllTextAsync($"/proc/{serve.Id}/maps");
            Assert.Contains(Path.Combine(Path.GetDirectoryName(binary)!, "libcoreclr.so"), maps, StringComparison.Ordinal);
            Assert.DoesNotContain("/usr/share/dotnet", maps, StringComparison.Ordinal);
            Assert.DoesNotContain("/usr/lib/dotnet", maps, StringComparison.Ordinal);

            Assert.Equal(0, Kill(serve.Id, 15));
            Assert.True(serve.WaitForExit(TimeSpan.FromMinutes(2)), "serve did not stop on SIGTERM");
            Assert.Equal(0, serve.ExitCode);
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
            }
        }
    }

    /// <summary>
    /// The repository's Containerfile: its node settings (ENV) run the published binary as the
    /// image would, and its HEALTHCHECK command, run by /bin/sh as the image's shell runs it (dash on
    /// Debian: no /dev/tcp), passes while the node is ready and fails once it has stopped. The
    /// Containerfile deploy.md shows is this file.
    /// </summary>
    [Fact]
    public async Task The_containerfile_health_check_passes_against_a_ready_node_and_fails_without_one()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("no repository root");
        string containerfile = await File.ReadAllTextAsync(Path.Combine(root, "Containerfile"));
        string deploy = await File.ReadAllTextAsync(Path.Combine(root, "docs", "deploy.md"));
        Assert.Contains("```dockerfile\n" + containerfile, deploy, StringComparison.Ordinal);
        var instructions = containerfile.Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#')).ToList();
        Assert.StartsWith("FROM debian:", instructions[0], StringComparison.Ordinal);
        string check = instructions.Single(line => line.StartsWith("HEALTHCHECK ", StringComparison.Ordinal)).Split(" CMD ", 2)[1];
        string checkProgram = check.Split(' ')[0];
        Assert.Contains(checkProgram, instructions.Single(line => line.StartsWith("RUN apt-get", StringComparison.Ordinal)), StringComparison.Ordinal);
        var settings = instructions.Single(line => line.StartsWith("ENV ", StringComparison.Ordinal))["ENV ".Length..]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(pair => pair.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);

        if (Published is not { } binary)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("artifacts/publish/linux-x64/arrowcid is not published (test.sh publishes it)"));
            return;
        }

        if (NodeInteropRunner.FindOnPath(checkProgram) is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail($"{checkProgram} is not installed (apt-get install {checkProgram})"));
            return;
        }

        // The image's settings, with the repository and the ports this machine has free.
        var start = Clean(binary, "serve");
        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        start.Environment["ARROWCID_REPO"] = Path.Combine(_home.Path, "data");
        start.Environment["ARROWCID_LISTEN"] = "127.0.0.1:0";
        start.Environment["ARROWCID_HTTP"] = "127.0.0.1:0";
        start.Environment["ARROWCID_SHM_DIR"] = Path.Combine(_home.Path, "shm");
        using var serve = StartServe(start, out var lines);
        try
        {
            string gateway = GatewayOf(lines) ?? throw new InvalidOperationException("the node printed no gateway line");
            string port = new Uri(gateway).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string command = check.Replace("127.0.0.1:8816", "127.0.0.1:" + port, StringComparison.Ordinal);
            Assert.NotEqual(check, command);

            var healthy = await ChildProcess.RunAsync(new ProcessStartInfo("/bin/sh", ["-c", command]), TimeSpan.FromMinutes(1));
            Assert.True(healthy.ExitCode == 0, $"`{command}` against a ready node: exit {healthy.ExitCode}\n{healthy.Log}");

            Assert.Equal(0, Kill(serve.Id, 15));
            Assert.True(serve.WaitForExit(TimeSpan.FromMinutes(2)), "serve did not stop on SIGTERM");
            var stopped = await ChildProcess.RunAsync(new ProcessStartInfo("/bin/sh", ["-c", command]), TimeSpan.FromMinutes(1));
            Assert.NotEqual(0, stopped.ExitCode);
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
            }
        }
    }

    private static Process StartServe(ProcessStartInfo start, out BlockingCollection<string> lines)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var serve = Process.Start(start)!;
        var printed = new BlockingCollection<string>();
        serve.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                printed.Add(line);
            }
        };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        lines = printed;
        return serve;
    }

    // The gateway's URL from serve's "gateway URL" line (printed once the node is ready), or null.
    private static string? GatewayOf(BlockingCollection<string> lines)
    {
        string? gateway = null;
        while (gateway is null && lines.TryTake(out string? line, TimeSpan.FromMinutes(1)))
        {
            gateway = line.StartsWith("gateway ", StringComparison.Ordinal) ? line["gateway ".Length..] : null;
        }

        return gateway;
    }

    // The binary with nothing of this machine's .NET in its environment: no DOTNET_*, a PATH without dotnet.
    private ProcessStartInfo Clean(string binary, params string[] arguments)
    {
        var start = new ProcessStartInfo(binary, arguments)
        {
            WorkingDirectory = _home.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["HOME"] = _home.Path;
        return start;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
