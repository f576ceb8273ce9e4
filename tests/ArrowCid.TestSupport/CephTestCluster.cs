using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ArrowCid.TestSupport;

/// <summary>
/// A throw-away one-node Ceph cluster with an S3 endpoint, for tests: a monitor, one OSD (BlueStore
/// on a sparse file) and radosgw on 127.0.0.1, plain child processes in a temporary folder, pools of
/// size 1 and no cephx (loopback only). Debian's <c>ceph-mon ceph-osd radosgw</c> (test.sh installs
/// them). Starts in about 10 s; <see cref="DisposeAsync"/> kills the daemons and deletes the folder.
/// </summary>
/// <remarks>
/// Ceph facts this rests on: a radosgw with authentication off must accept a crc monitor connection
/// (<c>ms mon client mode = crc secure</c>) or it loops on -13; the beast frontend needs
/// <c>tcp_nodelay=1</c> or small requests crawl; BlueStore is given its file by size and
/// <c>bluestore block create</c> (a path to it makes mkfs link the file to itself); S3 clients must
/// address it path-style; a killed OSD makes requests hang, so clients need deadlines; a monitor
/// exits with ENOSPC when its disk has less than <c>mon data avail crit</c> (5%) free, which a
/// test cluster on a full-ish disk turns off.
/// </remarks>
public sealed class CephTestCluster : IAsyncDisposable
{
    /// <summary>The binaries the cluster needs.</summary>
    public static readonly string[] Binaries = ["ceph", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool"];

    private static readonly TimeSpan StartDeadline = TimeSpan.FromMinutes(3);

    // How long one ceph tool may run before it is taken for hung.
    private static readonly TimeSpan CommandGuard = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _folder = new();
    private readonly Dictionary<string, Process> _daemons = new(StringComparer.Ordinal);
    private readonly int _monitorPort;

    private CephTestCluster()
    {
        _monitorPort = FreePort();
        RadosGatewayPort = FreePort();
        AccessKey = RandomText(20).ToUpperInvariant();
        SecretKey = RandomText(40);
    }

    /// <summary>The S3 endpoint, <c>http://127.0.0.1:PORT</c>.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{RadosGatewayPort}");

    /// <summary>radosgw's port.</summary>
    public int RadosGatewayPort { get; }

    /// <summary>The S3 user's access key.</summary>
    public string AccessKey { get; }

    /// <summary>The S3 user's secret key.</summary>
    public string SecretKey { get; }

    private string Folder => _folder.Path;

    private string ConfigPath => Path.Combine(Folder, "ceph.conf");

    /// <summary>Why no cluster can start here (binaries missing), or null when one can.</summary>
    public static string? Unavailable()
    {
        var missing = Binaries.Where(b => Which(b) is null).ToList();
        return missing.Count == 0 ? null : $"Ceph binaries not found ({string.Join(", ", missing)}): apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw";
    }

    /// <summary>Builds and starts a cluster, with an S3 user; throws with the daemons' log lines when it cannot.</summary>
    /// <returns>The running cluster; the caller disposes it.</returns>
    public static async Task<CephTestCluster> StartAsync()
    {
        var cluster = new CephTestCluster();
        try
        {
            await cluster.BootstrapAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>How a process reaches the cluster: the standard AWS variables, as an operator sets them (never arguments).</summary>
    public Dictionary<string, string> AwsEnvironment() => new()
    {
        ["AWS_ENDPOINT_URL"] = Endpoint.ToString(),
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_REGION"] = "us-east-1",
    };

    /// <summary>Kills one daemon (<c>mon</c>, <c>osd</c> or <c>rgw</c>) with SIGKILL, as a crash would.</summary>
    /// <param name="daemon">Which.</param>
    public void Kill(string daemon)
    {
        if (_daemons.Remove(daemon, out var process))
        {
            process.Kill();
            process.WaitForExit();
            process.Dispose();
        }
    }

    /// <summary>
    /// Kills one daemon (<c>osd</c> or <c>rgw</c>) with SIGKILL and starts it again on its data, as
    /// a crash and its restart would; returns once it serves again (the OSD's placement groups all
    /// active, or radosgw answering).
    /// </summary>
    /// <param name="daemon">Which.</param>
    public async Task RestartAsync(string daemon)
    {
        Kill(daemon);
        switch (daemon)
        {
            case "osd":
                Spawn("osd", "ceph-osd", "-i", "0");
                await WaitForAsync("osd", OsdServesAsync);
                break;
            case "rgw":
                Spawn("rgw", "radosgw", "-n", "client.rgw.gw");
                await WaitForAsync("rgw", RadosGatewayAnswersAsync);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(daemon), daemon, "osd or rgw");
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (string daemon in new[] { "rgw", "osd", "mon" })
        {
            Kill(daemon);
        }

        await Task.Yield();
        _folder.Dispose();
    }

    private async Task BootstrapAsync()
    {
        foreach (string folder in new[] { "mon.a", "osd.0", "rgw", "run", "log" })
        {
            Directory.CreateDirectory(Path.Combine(Folder, folder));
        }

        string fsid = Guid.NewGuid().ToString();
        string monitorAddress = string.Create(CultureInfo.InvariantCulture, $"[v2:127.0.0.1:{_monitorPort},v1:127.0.0.1:{_monitorPort + 1}]");
        await File.WriteAllTextAsync(ConfigPath, Config(fsid, monitorAddress));
        await RunAsync("monmaptool", "--create", "--fsid", fsid, "--addv", "a", monitorAddress, Path.Combine(Folder, "monmap"));
        await RunAsync("ceph-mon", "-c", ConfigPath, "--mkfs", "-i", "a", "--monmap", Path.Combine(Folder, "monmap"));
        Spawn("mon", "ceph-mon", "-i", "a");
        await WaitForAsync("mon", async () => (await TryRunAsync("ceph", "-c", ConfigPath, "--connect-timeout", "5", "mon", "stat")).ExitCode == 0);

        string osdUuid = Guid.NewGuid().ToString();
        string osdId = (await RunAsync("ceph", "-c", ConfigPath, "osd", "new", osdUuid)).Trim();
        if (osdId != "0")
        {
            throw new InvalidOperationException($"ceph osd new gave id '{osdId}', not 0");
        }

        await RunAsync("ceph-osd", "-c", ConfigPath, "-i", "0", "--mkfs", "--osd-uuid", osdUuid);
        Spawn("osd", "ceph-osd", "-i", "0");
        await WaitForAsync("osd", OsdActiveAsync);
        Spawn("rgw", "radosgw", "-n", "client.rgw.gw");
        await WaitForAsync("rgw", RadosGatewayAnswersAsync);

        await RunAsync("radosgw-admin", "-c", ConfigPath, "user", "create", "--uid", "tester", "--display-name", "tester", "--access-key", AccessKey, "--secret-key", SecretKey);
    }

    // The OSD's own state, from its admin socket: up and in the cluster.
    private async Task<bool> OsdActiveAsync()
    {
        var (code, output) = await TryRunAsync("ceph", "-c", ConfigPath, "--admin-daemon", Path.Combine(Folder, "run", "osd.0.asok"), "status");
        return code == 0 && output.Contains("\"state\": \"active\"", StringComparison.Ordinal);
    }

    // After a restart: the OSD is active and radosgw's own data reads again (until its placement
    // groups have peered, a read hangs: here it times out and is tried again). `ceph pg stat` would
    // need a manager daemon, which this cluster does not run.
    private async Task<bool> OsdServesAsync() =>
        await OsdActiveAsync()
        && (await TryRunAsync("radosgw-admin", "-c", ConfigPath, "--rados-osd-op-timeout=5", "--rados-mon-op-timeout=5", "user", "info", "--uid", "tester")).ExitCode == 0;

    // radosgw itself answers an anonymous listing: not some other server that took its port between
    // FreePort and radosgw's bind (radosgw then exits, and a test's first request was refused).
    private async Task<bool> RadosGatewayAnswersAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var answer = await http.GetAsync(Endpoint);
            return answer.StatusCode == HttpStatusCode.OK
                && (await answer.Content.ReadAsStringAsync()).Contains("ListAllMyBucketsResult", StringComparison.Ordinal)
                && _daemons.TryGetValue("rgw", out var rgw) && !rgw.HasExited;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private string Config(string fsid, string monitorAddress) => string.Create(CultureInfo.InvariantCulture, $"""
        [global]
        fsid = {fsid}
        mon host = {monitorAddress}
        mon initial members = a
        public addr = 127.0.0.1
        cluster addr = 127.0.0.1
        auth cluster required = none
        auth service required = none
        auth client required = none
        run dir = {Folder}/run
        admin socket = {Folder}/run/$name.asok
        log file = {Folder}/log/$name.log
        pid file = {Folder}/run/$name.pid
        osd pool default size = 1
        osd pool default min size = 1
        osd pool default pg num = 8
        osd pool default pgp num = 8
        osd pool default pg autoscale mode = off
        osd crush chooseleaf type = 0
        mon allow pool size one = true
        mon warn on pool no redundancy = false
        mon max pg per osd = 1000
        mon data avail crit = 0
        paxos propose interval = 0.05
        [mon]
        mon data = {Folder}/mon.$id
        [osd]
        osd data = {Folder}/osd.$id
        osd objectstore = bluestore
        bluestore block create = true
        bluestore block size = {4L << 30}
        osd memory target = 1073741824
        [client.rgw.gw]
        rgw frontends = beast endpoint=127.0.0.1:{RadosGatewayPort} tcp_nodelay=1
        rgw data = {Folder}/rgw
        ms mon client mode = crc secure

        """);

    private void Spawn(string name, string binary, params string[] arguments)
    {
        // exec: the process we hold is the daemon itself, in the foreground (-f), its output in a log file.
        string command = $"exec {Which(binary)} -c {ConfigPath} {string.Join(' ', arguments)} -f >> {Path.Combine(Folder, "log", name + ".stdout")} 2>&1";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        _daemons[name] = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
    }

    /// <summary>Polls <paramref name="ready"/> until it holds; fails with the daemon's log when it dies or the start deadline passes.</summary>
    private async Task WaitForAsync(string daemon, Func<Task<bool>> ready)
    {
        var watch = Stopwatch.StartNew();
        while (!await ready())
        {
            if (_daemons[daemon].HasExited || watch.Elapsed > StartDeadline)
            {
                throw new InvalidOperationException($"ceph {daemon} {(_daemons[daemon].HasExited ? "died" : "was not ready")} during start-up:\n{LogTail(daemon)}");
            }

            await Task.Delay(200);
        }
    }

    private string LogTail(string daemon)
    {
        var lines = new List<string>();
        foreach (string file in Directory.GetFiles(Path.Combine(Folder, "log")).Where(f => Path.GetFileName(f).Contains(daemon == "rgw" ? "rgw" : daemon, StringComparison.Ordinal)))
        {
            lines.Add($"---- {Path.GetFileName(file)}");
            lines.AddRange(File.ReadLines(file).TakeLast(15));
        }

        return string.Join('\n', lines);
    }

    private static async Task<string> RunAsync(string binary, params string[] arguments)
    {
        var (code, output) = await TryRunAsync(binary, arguments);
        return code == 0 ? output : throw new InvalidOperationException($"{binary} {string.Join(' ', arguments)} exited {code}:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> TryRunAsync(string binary, params string[] arguments)
    {
        var start = new ProcessStartInfo(Which(binary) ?? binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        // A tool that waits on a daemon that is down never returns by itself: a guard, not a gate.
        using var guard = new CancellationTokenSource(CommandGuard);
        try
        {
            await process.WaitForExitAsync(guard.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return (-1, $"{binary} {string.Join(' ', arguments)}: no answer in {CommandGuard.TotalSeconds:0} s");
        }

        return (process.ExitCode, await output + await error);
    }

    private static string? Which(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/usr/bin")
            .Select(folder => Path.Combine(folder, binary))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        // The monitor takes this port and the next (v2 and v1): ask for two free ones in a row.
        for (; ;)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            try
            {
                using var next = new TcpListener(IPAddress.Loopback, port + 1);
                next.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }

    private static string RandomText(int length)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
    }
}
