using System.Diagnostics;
using System.Reflection;

namespace ArrowCid.Cli;

/// <summary>This program started again as a child process, as the benchmarks' peer processes are.</summary>
internal static class SelfProcess
{
    /// <summary>The start info of this program with <paramref name="arguments"/>: the apphost itself, or dotnet with our assembly.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string host = Environment.ProcessPath ?? throw new CliException("cannot find this program's path to start a benchmark peer");
        var all = new List<string>();
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            all.Add(Assembly.GetEntryAssembly()?.Location ?? throw new CliException("cannot find arrowcid.dll to start a benchmark peer"));
        }

        all.AddRange(arguments);
        return new ProcessStartInfo(host, all);
    }
}
