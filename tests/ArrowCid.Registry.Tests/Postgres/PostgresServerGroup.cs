namespace ArrowCid.Registry.Tests.Postgres;

/// <summary>The test classes that share one <see cref="PostgresTestServer"/>.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresServerGroup : ICollectionFixture<PostgresTestServer>
{
    public const string Name = "PostgreSQL server";
}
