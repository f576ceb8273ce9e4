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

        var start = Clean(binary, "serve", "--listen", "127.0.0.1:0", "--repo", Path.Combine(_home.Path, "repo"), "--no-shm");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var serve = Process.Start(start)!;
        var lines = new BlockingCollection<string>();
        serve.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lines.Add(line);
            }
        };
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            string? gateway = null;
            while (gateway is null && lines.TryTake(out string? line, TimeSpan.FromMinutes(1)))
            {
                gateway = line.StartsWith("gateway ", StringComparison.Ordinal) ? line["gateway ".Length..] : null;
            }

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
