using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>
/// A put's publisher (a node's, uploading to a durable tier) is flushed before a name's version:
/// in place by <see cref="TableWriter.Finish"/>, awaited by <see cref="TableWriter.FinishAsync"/>,
/// which holds no thread while it waits.
/// </summary>
public sealed class PublishedPutTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task FinishAsync_awaits_the_publishers_flush_and_names_the_table_only_after_it()
    {
        using var content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        var publisher = new GatedPublisher(content);
        using var writer = content.CreateTableWriter(MixedTable.Schema, new PutOptions { Name = "gated" }, publisher);
        using (var batch = MixedTable.Build(7, 0, 50_000))
        {
            writer.Add(batch);
        }

        // Returns with the flush still gated: no thread waits in place (the gated publisher refuses Flush).
        var finishing = writer.FinishAsync();
        Assert.False(finishing.IsCompleted);
        Assert.Null(content.Repository.Registry.FindVersion("gated"));
        Assert.NotEmpty(publisher.Registered);

        publisher.Gate.SetResult();
        var put = await finishing;
        Assert.Equal(1, put.Version!.Version);
        Assert.Equal(put.Table.Cid, content.Repository.Registry.FindVersion("gated")!.Cid);
        Assert.Equal(put.Table.Cid, publisher.Registered[^1]);
    }

    [Fact]
    public void Finish_flushes_in_place()
    {
        using var content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        var publisher = new GatedPublisher(content) { InPlace = true };
        using var writer = content.CreateTableWriter(MixedTable.Schema, new PutOptions { Name = "in-place" }, publisher);
        using (var batch = MixedTable.Build(8, 0, 1_000))
        {
            writer.Add(batch);
        }

        var put = writer.Finish();
        Assert.Equal(1, publisher.InPlaceFlushes);
        Assert.Equal(put.Table.Cid, content.Repository.Registry.FindVersion("in-place")!.Cid);
    }

    // Records what is registered; its asynchronous flush ends when the test opens the gate, and a
    // flush in place is refused unless allowed.
    private sealed class GatedPublisher(ContentRepository content) : IPutPublisher
    {
        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<Cid> Registered { get; } = [];

        public bool InPlace { get; init; }

        public int InPlaceFlushes { get; private set; }

        void IPutPublisher.Registered(Cid cid, bool pinned) => Registered.Add(cid);

        public void Flush()
        {
            if (!InPlace)
            {
                throw new InvalidOperationException("a flush in place from an asynchronous finish");
            }

            InPlaceFlushes++;
        }

        public Task FlushAsync() => Gate.Task;

        public NamedVersion AddVersion(string name, Cid cid) => content.Repository.AddVersion(name, cid);

        public NamedVersion? FindVersion(string name) => content.Repository.Registry.FindVersion(name);
    }
}
