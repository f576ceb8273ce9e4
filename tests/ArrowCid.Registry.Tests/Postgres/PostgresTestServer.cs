using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ArrowCid.Registry.Tests.Postgres;

/// <summary>
/// A throw-away PostgreSQL server for tests: initdb into a temporary folder, then <c>postgres</c>
/// on a free port of 127.0.0.1 (and a socket folder of its own) with fsync off, stopped with
/// <c>pg_ctl stop -m immediate</c> and deleted on dispose. As root it runs as the <c>postgres</c>
/// user (initdb refuses root). Without PostgreSQL binaries it does nothing and
/// <see cref="Available"/> is false. Also compiled into ArrowCid.Flight.Tests (a linked file).
/// </summary>
public sealed class PostgresTestServer : IDisposable
{
    /// <summary>What a test writes to its output when it cannot run.</summary>
    public const string SkipMessage = "SKIPPED: PostgreSQL binaries not found";

    private readonly string? _folder;
    private readonly string? _bin;
    private bool _running;

    public PostgresTestServer()
    {
        _bin = FindBinaries();
        if (_bin is null)
        {
            return;
        }

        _folder = Path.Combine(Path.GetTempPath(), "arrowcid-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_folder, "sock"));
        try
        {
            if (Environment.IsPrivilegedProcess)
            {
                Run("chown", ["-R", "postgres:postgres", _folder], asPostgres: false);
            }

            Run(Path.Combine(_bin, "initdb"), ["-D", DataFolder, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], asPostgres: true);
            Start();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Whether a server runs (false when no PostgreSQL binaries were found).</summary>
    public bool Available => _running;

    /// <summary>The port the server listens on (127.0.0.1).</summary>
    public int Port { get; private set; }

    private string DataFolder => Path.Combine(_folder!, "data");

    /// <summary>An Npgsql connection string for a database of this server.</summary>
    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
    }.ConnectionString;

    /// <summary>Creates a new, empty database and returns its connection string.</summary>
    public string CreateDatabase()
    {
        if (!_running)
        {
            throw new InvalidOperationException(SkipMessage);
        }

        string name = "t_" + Guid.NewGuid().ToString("N");
        using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        connection.Open();
        using var command = new NpgsqlCommand($"CREATE DATABASE {name};", connection);
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    public void Dispose()
    {
        if (_running)
        {
            _running = false;
            NpgsqlConnection.ClearAllPools();
            try
            {
                Run(Path.Combine(_bin!, "pg_ctl"), ["stop", "-D", DataFolder, "-m", "immediate", "-w"], asPostgres: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone; the folder goes anyway.
            }
        }

        if (_folder is not null)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // The OS temp cleaner gets it later.
            }
        }
    }

    private static string? FindBinaries()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("ARROWCID_PG_BIN");
        if (fromEnvironment is not null && File.Exists(Path.Combine(fromEnvironment, "initdb")))
        {
            return fromEnvironment;
        }

        const string Debian = "/usr/lib/postgresql";
        if (Directory.Exists(Debian))
        {
            var newest = Directory.GetDirectories(Debian)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")))
            {
                return folder;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Start()
    {
        // A free port can be taken between our probe and the server's bind: try a few.
        for (int attempt = 1; ; attempt++)
        {
            Port = FreePort();
            string options = string.Create(
                CultureInfo.InvariantCulture,
                $"-p {Port} -k {Path.Combine(_folder!, "sock")} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
            try
            {
                Run(Path.Combine(_bin!, "pg_ctl"), ["start", "-D", DataFolder, "-w", "-t", "120", "-l", Path.Combine(_folder!, "server.log"), "-o", options], asPostgres: true);
                _running = true;
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
            }
        }
    }

    private static void Run(string program, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,

            // The postgres user may not be allowed into the test's current folder.
            WorkingDirectory = Path.GetPathRoot(Path.GetTempPath()),
        };
        if (asPostgres && Environment.IsPrivilegedProcess)
        {
            start.FileName = "runuser";
            foreach (string a in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(a);
            }
        }
        else
        {
            start.FileName = program;
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {stdout.Result}{stderr.Result}");
        }
    }
}
