using System.Diagnostics;

namespace ArrowCid.TestSupport;

/// <summary>A small tmpfs a test mounts on a folder of its own, to fill it for real; unmounted on dispose.</summary>
public sealed class TmpfsMount : IDisposable
{
    private TmpfsMount(string path) => Path = path;

    /// <summary>Where it is mounted.</summary>
    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount's syntax: 6m) on <paramref name="folder"/>; null and the reason when the machine does not allow it (mounting needs root).</summary>
    public static TmpfsMount? TryMount(string folder, string size, out string? why)
    {
        Directory.CreateDirectory(folder);
        why = Run("mount", "-t", "tmpfs", "-o", $"size={size}", "tmpfs", folder);
        return why is null ? new TmpfsMount(folder) : null;
    }

    /// <summary>Unmounts it (what was on it is gone).</summary>
    public void Dispose() => Run("umount", Path);

    private static string? Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? null : $"{tool} exited {process.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{tool}: {e.Message}";
        }
    }
}
