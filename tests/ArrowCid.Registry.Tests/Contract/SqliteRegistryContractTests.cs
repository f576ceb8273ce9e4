using ArrowCid.Registry.Sqlite;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Registry.Tests.Contract;

/// <summary>The registry contract, run against SQLite on a temporary file.</summary>
public sealed class SqliteRegistryContractTests : RegistryContractTests
{
    private readonly TempDirectory _folder = new();

    protected override IRegistry CreateEmptyRegistry() =>
        new SqliteRegistry(Path.Combine(_folder.Path, Guid.NewGuid().ToString("N") + ".db"));

    protected override IRegistry OpenSameDatabase(IRegistry registry) =>
        new SqliteRegistry(((SqliteRegistry)registry).DatabasePath);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _folder.Dispose();
        }

        base.Dispose(disposing);
    }
}
