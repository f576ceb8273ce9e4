using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ArrowCid.Bench.Http;

/// <summary>
/// nginx (the Debian package) as a child process serving a folder on a free loopback port, set up
/// as one would to serve static blocks fast: <c>sendfile</c>, <c>tcp_nopush</c>, keep-alive with no
/// request limit, no access log, one worker per core (the gateway's thread pool has one thread per
/// core too). Its configuration, pid file, error log and temp folders stay in its own folder.
/// </summary>
internal sealed class NginxServer : IDisposable
{
    private readonly Process _process;

    private NginxServer(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri Address { get; }

    /// <summary>The nginx executable on PATH or in /usr/sbin, or null.</summary>
    public static string? Find() => ExternalTool.Find("nginx");

    /// <summary>nginx's version line.</summary>
    public static string Version(string nginx) => ExternalTool.Run(nginx, ["-v"], TimeSpan.FromSeconds(10)).Output.Trim();

    /// <summary>Starts nginx serving <paramref name="root"/> (URL path = file path under it) with <paramref name="workers"/> worker processes.</summary>
    /// <exception cref="BenchmarkException">It did not start or did not listen within 10 seconds.</exception>
    public static NginxServer Start(string nginx, string folder, string root, int workers)
    {
        int port = FreeLoopbackPort();
        string prefix = Directory.CreateDirectory(Path.Combine(folder, "nginx")).FullName;
        string config = Path.Combine(prefix, "nginx.conf");
        string Temp(string name) => Directory.CreateDirectory(Path.Combine(prefix, name)).FullName;

        // As root, nginx's workers switch to "nobody", who may not read the repository's block files:
        // keep them as the user running the benchmark.
        string user = Environment.UserName == "root" ? "user root;" : string.Empty;
        File.WriteAllText(config, $$"""
            {{user}}
            worker_processes {{workers.ToString(CultureInfo.InvariantCulture)}};
            daemon off;
            pid {{Path.Combine(prefix, "nginx.pid")}};
            error_log {{Path.Combine(prefix, "error.log")}} warn;
            events { worker_connections 1024; }
            http {
              access_log off;
              sendfile on;
              tcp_nopush on;
              tcp_nodelay on;
              keepalive_timeout 65;
              keepalive_requests 1000000000;
              default_type application/vnd.ipld.raw;
              client_body_temp_path {{Temp("client_body")}};
              proxy_temp_path {{Temp("proxy")}};
              fastcgi_temp_path {{Temp("fastcgi")}};
              uwsgi_temp_path {{Temp("uwsgi")}};
              scgi_temp_path {{Temp("scgi")}};
              server {
                listen 127.0.0.1:{{port.ToString(CultureInfo.InvariantCulture)}};
                root {{root}};
              }
            }
            """);

        var start = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "-p", prefix, "-c", config, "-e", Path.Combine(prefix, "error.log") })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new BenchmarkException("nginx did not start");
        var server = new NginxServer(process, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"));
        try
        {
            server.WaitUntilListening(port, Path.Combine(prefix, "error.log"));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private void WaitUntilListening(int port, string errorLog)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (_process.HasExited)
            {
                throw new BenchmarkException($"nginx exited with {_process.ExitCode}: {_process.StandardError.ReadToEnd()} {ReadQuietly(errorLog)}");
            }

            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new BenchmarkException($"nginx did not listen on 127.0.0.1:{port} within 10 s: {ReadQuietly(errorLog)}");
    }

    private static string ReadQuietly(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>A port free on 127.0.0.1 a moment ago (nginx needs a number; the gap before it binds is short).</summary>
    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// CPU time nginx's workers (the master's children) have run so far, from the kernel's
    /// per-process run time (<c>/proc/PID/schedstat</c>, nanoseconds; a worker has one thread).
    /// </summary>
    public TimeSpan WorkerCpu()
    {
        long nanoseconds = 0;
        foreach (string process in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                // "pid (comm) state ppid ...": the name may hold spaces, so count from the last ')'.
                string stat = File.ReadAllText(Path.Combine(process, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out int parent) && parent == _process.Id)
                {
                    nanoseconds += long.Parse(File.ReadAllText(Path.Combine(process, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a process, or one that ended while being read.
            }
        }

        return TimeSpan.FromTicks(nanoseconds / 100);
    }

    /// <summary>Stops nginx (master and workers).</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        _process.Dispose();
    }
}
