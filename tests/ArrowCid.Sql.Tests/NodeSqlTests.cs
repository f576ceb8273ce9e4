using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Node;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Sql.Tests;

/// <summary>A node's SQL: a query stopped when its caller goes away gives its turn back, and results are kept unpinned and found again.</summary>
public sealed class NodeSqlTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_caller_going_away_stops_a_query_that_never_ends_and_its_turn_serves_the_next()
    {
        using var content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        var schema = new Schema([new Field("x", ArrowType.Int64, nullable: false)]);
        var builder = new RecordBatchBuilder(schema);
        for (long i = 0; i < 10; i++)
        {
            builder.AppendRow(i);
        }

        content.PutStream(schema, [builder.Build()], new PutOptions { Name = "numbers" });
        // One turn and no deadline: only the caller's cancellation can end the first query.
        using var node = new ContentNode(content, new NodeOptions { Limits = NodeLimits.Default with { SqlQueries = 1, SqlTimeout = TimeSpan.Zero, SqlMemoryBytes = 256L << 20 } });
        var sql = NodeSql.Of(node);
        Assert.Same(sql, NodeSql.Of(node));

        using var caller = new CancellationTokenSource();
        var endless = sql.StoreAsync("SELECT count(*) FROM range(9223372036854775807) a, range(9223372036854775807) b", caller.Token);
        // The gate: the query holds the node's one turn.
        SpinWait.SpinUntil(() => sql.Running == 1 || endless.IsCompleted);
        Assert.False(endless.IsCompleted, endless.Exception?.ToString());
        caller.Cancel();
        // Bounded only so that a query left running fails the test instead of hanging it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => endless.WaitAsync(TimeSpan.FromMinutes(2)));

        // The turn is back: the next query runs, stored unpinned, and is found again.
        var stored = await sql.StoreAsync("SELECT sum(x) AS s FROM numbers", CancellationToken.None);
        Assert.False(stored.Reused);
        Assert.False(content.Repository.GetRecord(stored.Table)!.Pinned);
        Assert.True((await sql.StoreAsync("SELECT sum(x) AS s FROM numbers", CancellationToken.None)).Reused);
        Assert.Equal(0, sql.Running);
    }
}
