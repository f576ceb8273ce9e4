using ArrowCid.Registry.Postgres;
using ArrowCid.Registry.Sqlite;
using ArrowCid.Registry.Tests.Contract;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Registry.Tests.Postgres;

/// <summary>
/// The registry contract, run unchanged against PostgreSQL: each registry gets a new database of
/// the shared test server. Where no PostgreSQL binaries exist the tests say so in their output
/// and run the contract against SQLite instead (xunit 2 cannot skip at run time).
/// </summary>
[Trait("Category", "Peers")]
[Collection(PostgresServerGroup.Name)]
public sealed class PostgresRegistryContractTests(PostgresTestServer server, ITestOutputHelper output) : RegistryContractTests
{
    private readonly TempDirectory _folder = new();
    private readonly Dictionary<PostgresRegistry, string> _databases = [];

    protected override IRegistry CreateEmptyRegistry()
    {
        if (!server.Available)
        {
            output.WriteLine(PostgresTestServer.SkipMessage + " (the contract ran against SQLite instead)");
            return new SqliteRegistry(Path.Combine(_folder.Path, Guid.NewGuid().ToString("N") + ".db"));
        }

        string database = server.CreateDatabase();
        var registry = new PostgresRegistry(database);
        _databases[registry] = database;
        return registry;
    }

    protected override IRegistry OpenSameDatabase(IRegistry registry) => registry switch
    {
        PostgresRegistry postgres => new PostgresRegistry(_databases[postgres]),
        SqliteRegistry sqlite => new SqliteRegistry(sqlite.DatabasePath),
        _ => throw new ArgumentException("not a registry this class opened", nameof(registry)),
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _folder.Dispose();
        }

        base.Dispose(disposing);
    }
}
