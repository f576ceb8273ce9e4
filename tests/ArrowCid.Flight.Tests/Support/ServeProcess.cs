using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ArrowCid.TestSupport;

namespace ArrowCid.Flight.Tests.Support;

/// <summary>
/// `arrowcid serve` as a child process on 127.0.0.1:0 over a fresh repository in a temporary
/// folder: a node as users run it, whose memory (RSS) belongs to it alone and whose death a test
/// can see. Its output lines are kept for the test log.
/// </summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly bool _ownsFolder;

    private ServeProcess(Process process, string folder, bool ownsFolder)
    {
        _process = process;
        Folder = folder;
        _ownsFolder = ownsFolder;
    }

    /// <summary>The repository folder the node serves.</summary>
    public string Repository => System.IO.Path.Combine(Folder, "repo");

    /// <summary>The temporary folder holding the repository.</summary>
    public string Folder { get; }

    /// <summary>What `serve` printed: grpc+tcp://127.0.0.1:PORT or grpc+tls://….</summary>
    public string Location { get; private set; } = string.Empty;

    /// <summary>What `serve` printed for its HTTP gateway: http://127.0.0.1:PORT.</summary>
    public Uri Gateway { get; private set; } = new("http://127.0.0.1/");

    /// <summary>127.0.0.1:PORT, the target a gRPC client is given.</summary>
    public string HostAndPort => new Uri(Location).Authority;

    /// <summary>The child's process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the node has exited (it never should while a test runs).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the node printed so far (stderr lines prefixed).</summary>
    public string Output => string.Join('\n', _lines);

    /// <summary>Starts `arrowcid serve --listen 127.0.0.1:0 --repo TEMP --no-shm` plus <paramref name="arguments"/> (which may name another --listen) and waits until it listens.</summary>
    public static Task<ServeProcess> StartAsync(params string[] arguments) =>
        StartInAsync(Directory.CreateTempSubdirectory("arrowcid-serve-").FullName, ownsFolder: true, arguments);

    /// <summary>
    /// Starts a node on the repository of an earlier one (<paramref name="earlier"/>'s folder, which
    /// this one does not delete when disposed: the earlier one does).
    /// </summary>
    public static Task<ServeProcess> StartOnAsync(ServeProcess earlier, params string[] arguments) =>
        StartInAsync(earlier.Folder, ownsFolder: false, arguments);

    /// <summary>Starts a node as <see cref="StartOnAsync"/> does, with <paramref name="environment"/> set in its environment.</summary>
    public static Task<ServeProcess> StartOnWithEnvironmentAsync(ServeProcess earlier, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartInAsync(earlier.Folder, ownsFolder: false, arguments, environment: environment);

    /// <summary>Starts a node on the repository <c>repo</c> in <paramref name="folder"/>, a folder the caller owns (not deleted when disposed).</summary>
    public static Task<ServeProcess> StartInFolderAsync(string folder, params string[] arguments) =>
        StartInAsync(folder, ownsFolder: false, arguments);

    /// <summary>Starts a node as <see cref="StartAsync"/> does, under a soft and hard limit of <paramref name="descriptors"/> open files (prlimit).</summary>
    public static Task<ServeProcess> StartWithDescriptorLimitAsync(int descriptors, params string[] arguments) =>
        StartInAsync(Directory.CreateTempSubdirectory("arrowcid-serve-").FullName, ownsFolder: true, arguments, ["prlimit", $"--nofile={descriptors}:{descriptors}"]);

    /// <summary>
    /// Starts a node as <see cref="StartAsync"/> does, on a thread pool of at most
    /// <paramref name="workers"/> threads (the runtime's DOTNET_ThreadPool_ForceMaxWorkerThreads):
    /// a request that blocks a pool thread on its client then soon leaves none for the others.
    /// </summary>
    public static Task<ServeProcess> StartWithThreadPoolLimitAsync(int workers, params string[] arguments) =>
        StartInAsync(Directory.CreateTempSubdirectory("arrowcid-serve-").FullName, ownsFolder: true, arguments,
            ["env", string.Create(CultureInfo.InvariantCulture, $"DOTNET_ThreadPool_ForceMaxWorkerThreads=0x{workers:x}")]);

    /// <summary>Starts a node as <see cref="StartAsync"/> does, with <paramref name="environment"/> set in its environment (credentials, never arguments).</summary>
    public static Task<ServeProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        StartInAsync(Directory.CreateTempSubdirectory("arrowcid-serve-").FullName, ownsFolder: true, arguments, environment: environment);

    /// <summary>Runs one `arrowcid` command to its end: its exit code and what it printed (stdout, then stderr).</summary>
    public static Task<(int ExitCode, string Output)> RunCliAsync(params string[] arguments) => RunCliWithEnvironmentAsync(new Dictionary<string, string>(), arguments);

    /// <summary>Runs one `arrowcid` command as <see cref="RunCliAsync"/> does, with <paramref name="environment"/> set in its environment.</summary>
    public static async Task<(int ExitCode, string Output)> RunCliWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, [BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Sends the node SIGTERM (as systemd or Kubernetes stop it); returns at once.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the node to exit by itself (<paramref name="guard"/> only keeps a hang from stalling the run); returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan guard)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(guard);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"arrowcid serve did not exit; it said:\n{Output}", e);
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the node (as kill -9 would) and waits for it to be gone; its folder stays.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    private static async Task<ServeProcess> StartInAsync(string folder, bool ownsFolder, string[] arguments, string[]? launcher = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        string[] command = [BuildOutputs.DotnetHost, BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), "serve", .. (arguments.Contains("--listen") ? Array.Empty<string>() : ["--listen", "127.0.0.1:0"]), "--repo", Path.Combine(folder, "repo"), "--no-shm", .. arguments];
        string[] line = [.. launcher ?? [], .. command];
        var start = new ProcessStartInfo(line[0], line[1..])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var serve = new ServeProcess(process, folder, ownsFolder);
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var gateway = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line)
            {
                listening.TrySetException(new InvalidOperationException($"arrowcid serve ended before it listened:\n{serve.Output}"));
                gateway.TrySetException(new InvalidOperationException($"arrowcid serve ended before its gateway listened:\n{serve.Output}"));
                return;
            }

            serve._lines.Enqueue(line);
            if (line.StartsWith("serving ", StringComparison.Ordinal))
            {
                listening.TrySetResult(line["serving ".Length..].Trim());
            }
            else if (line.StartsWith("gateway ", StringComparison.Ordinal))
            {
                gateway.TrySetResult(line["gateway ".Length..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                serve._lines.Enqueue("stderr: " + line);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            serve.Location = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            serve.Gateway = new Uri(await gateway.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        catch (TimeoutException e)
        {
            await serve.DisposeAsync();
            throw new TimeoutException($"arrowcid serve did not listen within 60 s; it said:\n{serve.Output}", e);
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }

        return serve;
    }

    /// <summary>Waits until the node has printed a line containing <paramref name="text"/> (the node's own report is the gate); <paramref name="guard"/> only keeps a lost line from hanging the run.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan guard)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!_lines.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited || clock.Elapsed > guard)
            {
                throw new TimeoutException($"arrowcid serve never said '{text}'; it said:\n{Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>VmRSS and VmHWM (peak) of the node from /proc, in bytes.</summary>
    public (long Rss, long Peak) Memory()
    {
        long rss = 0, peak = 0;
        foreach (string line in File.ReadLines($"/proc/{Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) * 1024;
            }
        }

        return (rss, peak);

        static long Kilobytes(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
        if (!_ownsFolder)
        {
            return;
        }

        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temporary-file cleaning.
        }
    }
}
