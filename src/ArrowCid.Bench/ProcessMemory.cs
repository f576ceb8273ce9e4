using System.Globalization;

namespace ArrowCid.Bench;

/// <summary>A running process's memory, from <c>/proc/PID/status</c> (Linux).</summary>
public static class ProcessMemory
{
    /// <summary>Its resident set now (VmRSS), in MiB.</summary>
    /// <param name="pid">The process.</param>
    public static double RssMiB(int pid) => Field(pid, "VmRSS:");

    /// <summary>Its anonymous resident memory now (RssAnon: heaps and stacks, not mapped files), in MiB.</summary>
    /// <param name="pid">The process.</param>
    public static double AnonymousRssMiB(int pid) => Field(pid, "RssAnon:");

    /// <summary>The most it has held resident since it started (VmHWM), in MiB.</summary>
    /// <param name="pid">The process.</param>
    public static double PeakRssMiB(int pid) => Field(pid, "VmHWM:");

    private static double Field(int pid, string name)
    {
        foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                // "VmRSS:	  123456 kB"
                return long.Parse(line[name.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
            }
        }

        throw new BenchmarkException($"/proc/{pid}/status has no {name}");
    }
}
