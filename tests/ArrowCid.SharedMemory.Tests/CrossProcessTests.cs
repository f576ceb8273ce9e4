using System.Globalization;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>Leases and cursors across real processes (the samples run as children).</summary>
public sealed class CrossProcessTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_lease_held_by_another_process_blocks_eviction_until_that_process_is_killed(bool arena)
    {
        // With the arena the child attaches from the slot (its lease is a count in its lease
        // record); without it, from the segment file (its lease is a flock).
        using var store = _temp.Open(arena: arena);
        var cid = store.Publish(Batches.Make(1)).Cid;
        using var holder = SampleProcess.Start("Consumer", "--shm-dir", _temp.BaseDirectory, "--store", "test", "--from", "0", "--count", "1", "--hold", "--quiet", "--no-sql");
        await holder.WaitForLineAsync(l => l.StartsWith("holding seq=1", StringComparison.Ordinal), Limit);

        Assert.True(store.List().Single().Leased);
        Assert.Equal(arena, store.List().Single().ArenaOffset is not null);
        Assert.False(store.Remove(cid));
        using (var capacityBound = ShmStore.Open(_temp.Options(capacity: store.List().Single().Bytes + 1, arena: arena)))
        {
            Assert.Throws<ShmStoreFullException>(() => capacityBound.Publish(Batches.Make(2)));
        }

        holder.Kill();
        await holder.WaitForExitAsync(Limit);

        // The kernel dropped the dead reader's flock (or the lock byte of its arena lease record)
        // with its descriptors: its lease is recognised as stale with nothing to clean up.
        Assert.False(store.List().Single().Leased);
        Assert.True(store.Remove(cid));
    }

    [Fact]
    public async Task A_consumer_restarted_from_its_cursor_file_continues_without_loss_or_repeats()
    {
        using var store = _temp.Open();
        var cids = Enumerable.Range(0, 6).Select(i => store.Publish(Batches.Make(i)).Cid).ToList();
        string cursor = Path.Combine(_temp.BaseDirectory, "cursor");
        var seen = new List<string>();
        for (int run = 0; run < 2; run++)
        {
            using var consumer = SampleProcess.Start("Consumer", "--shm-dir", _temp.BaseDirectory, "--store", "test", "--cursor-file", cursor, "--count", "3", "--quiet", "--no-sql");
            Assert.Equal(0, await consumer.WaitForExitAsync(Limit));
            seen.AddRange(consumer.Lines.Where(l => l.StartsWith("seq=", StringComparison.Ordinal)));
        }

        Assert.Equal(6, seen.Count);
        for (int i = 0; i < 6; i++)
        {
            Assert.StartsWith($"seq={i + 1} cid={cids[i]} ", seen[i], StringComparison.Ordinal);
            Assert.EndsWith(" verified", seen[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_notice_published_in_another_process_wakes_a_subscriber_here()
    {
        using var store = _temp.Open();
        var subscription = store.Subscribe(store.PublishedSequence);
        var waiting = Task.Run(() => subscription.Next(Limit));
        using var producer = SampleProcess.Start("Producer", "--shm-dir", _temp.BaseDirectory, "--store", "test", "--count", "1", "--rows", "10", "--interval-ms", "0");
        Assert.Equal(0, await producer.WaitForExitAsync(Limit));
        string line = producer.Lines.Single(l => l.StartsWith("published ", StringComparison.Ordinal));

        var notice = await waiting.WaitAsync(Limit);
        Assert.Contains($"cid={notice!.Cid} ", line, StringComparison.Ordinal);
        using var batch = store.Attach(notice.Cid);
        Assert.Equal(10, batch.Length);
    }

    internal static (long Sequence, Cid Cid) ParseSeqAndCid(string line)
    {
        var fields = line.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
        return (long.Parse(fields["seq"], CultureInfo.InvariantCulture), Cid.Parse(fields["cid"]));
    }
}
