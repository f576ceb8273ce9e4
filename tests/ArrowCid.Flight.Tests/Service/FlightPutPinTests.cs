using ArrowCid.Flight.Tests.Support;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>DoPut follows the one pin policy of a put (docs/datasets.md): what it stored survives a gc until the dataset keeps it.</summary>
public sealed class FlightPutPinTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    [Theory]
    [InlineData("{\"pin\":false}")]
    [InlineData("{\"pin\":false,\"name\":\"gc/mid-put\"}")]
    [InlineData("{}")]
    public async Task A_DoPut_keeps_its_acknowledged_batches_through_a_gc_that_runs_before_the_dataset_exists(string command)
    {
        using var client = Node.Client();
        // Large enough that the first batch completes chunks (acknowledged) before the table exists.
        using var first = TestBatches.Large(2L << 20, seed: 60);
        using var second = TestBatches.Large(1L << 20, seed: 61);
        var repository = Node.Content.Repository;
        using var call = client.Service.DoPut();

        await RawDoPut.StartAsync(call, command, first.Schema);
        await RawDoPut.WriteBatchAsync(call, first);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var acknowledged = RawDoPut.ChunksOf(call.ResponseStream.Current);
        Assert.NotEmpty(acknowledged);
        var firstCid = acknowledged[0];

        // The first batch's completed chunks are acknowledged (durable, registered); the table that will keep them does not exist yet.
        var removed = new List<ArrowCid.Content.Multiformats.Cid>();
        repository.Gc(removed: r => removed.Add(r.Cid));
        Assert.All(acknowledged, c => Assert.DoesNotContain(c, removed));
        Assert.All(acknowledged, c => Assert.True(repository.Blocks.Has(c)));

        await RawDoPut.WriteBatchAsync(call, second);
        var results = await RawDoPut.FinishAsync(call);

        var dataset = RawDoPut.CidOf(results[^1], "dataset");

        // The last result gives the table as every put report does; "dataset" is kept for older clients.
        using (var last = System.Text.Json.JsonDocument.Parse(results[^1].AppMetadata.Memory))
        {
            var table = last.RootElement.GetProperty("table");
            Assert.Equal(dataset.ToString(), table.GetProperty("cid").GetString());
            Assert.Equal(Node.Content.OpenTable(dataset).Chunks().Count(), table.GetProperty("chunks").GetInt64());
            Assert.Equal(Node.Content.Repository.GetBlock(dataset).Length, table.GetProperty("manifest_bytes").GetInt64());
        }

        var verify = repository.Verify();
        Assert.Empty(verify.MissingBlocks);
        var chunks = Node.Content.OpenTable(dataset).Chunks().Select(c => c.Cid).ToList();
        Assert.Equal([.. acknowledged, .. results.SelectMany(RawDoPut.ChunksOf)], chunks);
        Assert.All(chunks, c => Assert.True(repository.Blocks.Has(c)));

        // Afterwards the table's own pin or name decides, as for a local put: the chunks hold no pins of their own.
        Assert.False(repository.GetRecord(firstCid)!.Pinned);
        bool kept = command != "{\"pin\":false}";
        Assert.Equal(kept, repository.GetRecord(dataset)!.Pinned || repository.Registry.FindVersion("gc/mid-put", 1)?.Cid == dataset);
        repository.Gc();
        Assert.Equal(kept, repository.Blocks.Has(firstCid));
    }
}
