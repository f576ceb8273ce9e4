using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ArrowCid.Bench.Http;

/// <summary>
/// Drives an HTTP server with wrk (the Debian package): keep-alive connections asking for a list of
/// paths in turn, each thread from its own place in the list. A Lua script generated here rotates
/// the paths and prints wrk's own counts as one JSON line at the end, so nothing is parsed from its
/// human-readable summary.
/// </summary>
internal sealed class WrkLoad
{
    private const string ResultMarker = "ARROWCID-WRK ";

    private readonly string _wrk;
    private readonly string _script;

    private WrkLoad(string wrk, string script)
    {
        _wrk = wrk;
        _script = script;
    }

    /// <summary>The wrk executable on PATH (or in /usr/bin, /usr/local/bin), or null.</summary>
    public static string? Find() => ExternalTool.Find("wrk");

    /// <summary>Writes the script that asks for <paramref name="paths"/> in turn into <paramref name="folder"/>.</summary>
    public static WrkLoad Create(string wrk, string folder, IReadOnlyList<string> paths)
    {
        var script = new StringBuilder();
        script.AppendLine("local paths = {");
        foreach (string path in paths)
        {
            // Paths are ours (/ipfs/CID?format=raw): nothing in them needs escaping in a Lua string.
            script.Append("  \"").Append(path).AppendLine("\",");
        }

        script.AppendLine("""
            }
            local next_index = 0
            local thread_number = 0
            function setup(thread)
              thread:set("start", thread_number * 7919)
              thread_number = thread_number + 1
            end
            function init(args)
              next_index = start or 0
            end
            function request()
              next_index = next_index % #paths + 1
              return wrk.format("GET", paths[next_index])
            end
            function done(summary, latency, requests)
              local e = summary.errors
              io.write(string.format('ARROWCID-WRK {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
                summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
                latency:percentile(50), latency:percentile(99)))
            end
            """);
        string file = Path.Combine(folder, "paths.lua");
        File.WriteAllText(file, script.ToString());
        return new WrkLoad(wrk, file);
    }

    /// <summary>wrk's version line.</summary>
    public static string Version(string wrk)
    {
        // wrk -v prints its version and usage, and exits non-zero.
        var (output, _) = ExternalTool.Run(wrk, ["-v"], TimeSpan.FromSeconds(10));
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "unknown";
    }

    /// <summary>Runs wrk against <paramref name="baseAddress"/> and answers its requests per second.</summary>
    /// <exception cref="BenchmarkException">wrk failed, or any request failed or got a non-2xx answer: a rate of failures is no figure.</exception>
    public WrkRun Run(Uri baseAddress, int threads, int connections, double seconds)
    {
        string[] arguments =
        [
            "-t", threads.ToString(CultureInfo.InvariantCulture),
            "-c", connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{Math.Max(1, (int)Math.Ceiling(seconds)).ToString(CultureInfo.InvariantCulture)}s",
            "--timeout", "10s",
            "-s", _script,
            baseAddress.GetLeftPart(UriPartial.Authority) + "/",
        ];
        var (output, exitCode) = ExternalTool.Run(_wrk, arguments, TimeSpan.FromSeconds(seconds + 60));
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith(ResultMarker, StringComparison.Ordinal));
        if (exitCode != 0 || line is null)
        {
            throw new BenchmarkException($"wrk against {baseAddress} exited with {exitCode} and no result: {output}");
        }

        using var json = JsonDocument.Parse(line[ResultMarker.Length..]);
        var root = json.RootElement;
        long Count(string name) => root.GetProperty(name).GetInt64();
        long failed = Count("connect") + Count("read") + Count("write") + Count("status") + Count("timeout");
        if (failed > 0 || Count("requests") == 0)
        {
            throw new BenchmarkException($"wrk against {baseAddress}: {failed} failed requests of {Count("requests")} ({line}): the rate of a failing server is no figure");
        }

        return new WrkRun(Count("requests"), Count("duration_us") / 1e6, Count("bytes") / (double)Count("requests"), Count("p50_us") / 1e3, Count("p99_us") / 1e3);
    }
}

/// <summary>One wrk run: requests answered, its seconds, mean bytes per answer (headers and body), median and 99th-percentile latency.</summary>
internal readonly record struct WrkRun(long Requests, double Seconds, double BytesPerAnswer, double P50Milliseconds, double P99Milliseconds)
{
    /// <summary>Requests answered per second.</summary>
    public double RequestsPerSecond => Requests / Seconds;
}
