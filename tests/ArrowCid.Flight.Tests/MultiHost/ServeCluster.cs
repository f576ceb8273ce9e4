using ArrowCid.Arrow.Arrays;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Registry.Tests.Postgres;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>
/// Nodes as operators run them (`arrowcid serve --registry`) on a new database of the test's
/// PostgreSQL server, reached directly or through a <see cref="TcpRelay"/> the test can cut or
/// pause. Disposing it stops every node it started, latest first.
/// </summary>
internal sealed class ServeCluster : IAsyncDisposable
{
    private readonly List<ServeProcess> _started = [];

    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly string[] _arguments;

    private ServeCluster(string registry, TcpRelay? relay, IReadOnlyDictionary<string, string>? environment, string[] arguments)
    {
        Registry = registry;
        Relay = relay;
        _environment = environment ?? new Dictionary<string, string>();
        _arguments = arguments;
        NodeRegistry = relay is null ? registry : new Npgsql.NpgsqlConnectionStringBuilder(registry) { Port = relay.Port }.ConnectionString;
    }

    /// <summary>The database, as the test reaches it.</summary>
    public string Registry { get; }

    /// <summary>The database as the nodes reach it (through <see cref="Relay"/> when there is one).</summary>
    public string NodeRegistry { get; }

    /// <summary>The relay between the nodes and the server, if any.</summary>
    public TcpRelay? Relay { get; }

    /// <summary>
    /// A new database, and a relay to the server when <paramref name="relayed"/>; every node started
    /// gets <paramref name="environment"/> (a store's credentials) and <paramref name="arguments"/> (its bucket).
    /// </summary>
    public static ServeCluster Create(PostgresTestServer server, bool relayed = false, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments) =>
        new(server.CreateDatabase(), relayed ? TcpRelay.Start(server.Port) : null, environment, arguments);

    /// <summary>Starts a node with the cluster's registry (plus <paramref name="arguments"/>) and waits until it serves.</summary>
    public async Task<ServeProcess> StartNodeAsync(params string[] arguments) =>
        Started(await ServeProcess.StartWithEnvironmentAsync(_environment, ["--registry", NodeRegistry, .. _arguments, .. arguments]));

    /// <summary>Starts a node again on an earlier node's folder (plus <paramref name="arguments"/>).</summary>
    public async Task<ServeProcess> RestartOnAsync(ServeProcess earlier, params string[] arguments) =>
        Started(await ServeProcess.StartOnWithEnvironmentAsync(earlier, _environment, [.. _arguments, .. arguments]));

    /// <summary>Rows of a verified fetch.</summary>
    public static long Rows(FlightFetchResult fetched) => fetched.Batches.Sum(b =>
    {
        using RecordBatch batch = b.Read();
        return (long)batch.Length;
    });

    public async ValueTask DisposeAsync()
    {
        // Latest first: a restarted node before the one whose folder it took over.
        for (int i = _started.Count - 1; i >= 0; i--)
        {
            await _started[i].DisposeAsync();
        }

        Relay?.Dispose();
    }

    private ServeProcess Started(ServeProcess node)
    {
        _started.Add(node);
        return node;
    }
}
