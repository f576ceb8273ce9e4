using System.Collections.Concurrent;
using System.Diagnostics;
using ArrowCid.TestSupport;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// One of the samples (Producer, Consumer) running as a child process, with its output lines
/// collected as they come. The samples' build output sits beside ours in the artifacts tree.
/// </summary>
internal sealed class SampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SampleProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public IReadOnlyList<string> Lines => [.. _lines];

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    public static SampleProcess Start(string sample, params string[] args)
    {
        var start = new ProcessStartInfo(BuildOutputs.DotnetHost, [BuildOutputs.AssemblyPath(sample, sample), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var sampleProcess = new SampleProcess(process);
        process.OutputDataReceived += (_, e) => sampleProcess.Add(e.Data);
        process.ErrorDataReceived += (_, e) => sampleProcess.Add(e.Data is null ? null : "stderr: " + e.Data);
        process.Exited += (_, _) => sampleProcess._exited.TrySetResult();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return sampleProcess;
    }

    /// <summary>Waits until a line satisfies <paramref name="predicate"/> (or the process exits, or a generous limit passes).</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, TimeSpan limit)
    {
        var stopAt = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < stopAt)
        {
            var found = _lines.FirstOrDefault(predicate);
            if (found is not null)
            {
                return found;
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(20);
        }

        throw new InvalidOperationException($"no expected line from the child; it wrote:\n{string.Join('\n', _lines)}");
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        await _exited.Task.WaitAsync(limit);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the process gets no chance to release anything itself.</summary>
    public void Kill() => _process.Kill();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            _lines.Enqueue(line);
        }
    }
}
