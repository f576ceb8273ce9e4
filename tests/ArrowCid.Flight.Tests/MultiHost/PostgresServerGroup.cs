using ArrowCid.Registry.Tests.Postgres;

namespace ArrowCid.Flight.Tests.MultiHost;

/// <summary>The multi-host test classes, which share one <see cref="PostgresTestServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresTestServer>
{
    public const string Name = "PostgreSQL server (Flight)";
}
