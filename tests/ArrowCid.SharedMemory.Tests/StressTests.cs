using System.Globalization;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// Two producer and three consumer processes share one small store for a bounded time
/// (ARROWCID_SHM_STRESS_SECONDS, default 60): eviction runs all the time, one consumer is
/// SIGKILLed half way and restarted from its cursor file. Afterwards no process crashed (a read
/// of unmapped memory would have killed one with SIGSEGV), every consumer saw every notice
/// exactly once in order, and every batch it could still attach hashed to its CID.
/// </summary>
public sealed class StressTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Producers_consumers_eviction_and_a_killed_consumer_lose_and_repeat_nothing()
    {
        int seconds = Environment.GetEnvironmentVariable("ARROWCID_SHM_STRESS_SECONDS") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : 60;
        var limit = TimeSpan.FromSeconds(seconds + 120);
        string cursor = Path.Combine(_temp.BaseDirectory, "killed.cursor");
        string[] store = ["--shm-dir", _temp.BaseDirectory, "--store", "test"];
        // About 12 KiB per batch and room for 24: producers evict constantly.
        string[] producerArgs = [.. store, "--count", "1000000", "--duration-s", seconds.ToString(CultureInfo.InvariantCulture), "--interval-ms", "2", "--rows", "400", "--capacity", (24 * 12 * 1024).ToString(CultureInfo.InvariantCulture)];
        // No idle exit: a consumer that stopped after some quiet seconds could stop before a
        // producer slowed by a loaded machine had published everything. Each consumer runs until
        // it has printed the last published sequence, then the test ends it.
        string[] consumerArgs = [.. store, "--quiet", "--no-sql"];
        using (ShmStore.Open(_temp.Options(arena: true)))
        {
            // Created before any child starts, so all share it from the first notice. The ~12 KiB
            // batches go through the arena (the children open it with its geometry), so eviction
            // under capacity, leases and the killed consumer's stale lease record are all exercised there.
        }

        using var producerA = SampleProcess.Start("Producer", [.. producerArgs, "--seed", "0", "--tag", "producer=a"]);
        using var producerB = SampleProcess.Start("Producer", [.. producerArgs, "--seed", "100000000", "--tag", "producer=b"]);
        using var consumer1 = SampleProcess.Start("Consumer", [.. consumerArgs, "--from", "0"]);
        using var consumer2 = SampleProcess.Start("Consumer", [.. consumerArgs, "--from", "0"]);
        using var victim = SampleProcess.Start("Consumer", [.. consumerArgs, "--cursor-file", cursor]);

        await Task.Delay(TimeSpan.FromSeconds(seconds / 2.0));
        victim.Kill();
        await victim.WaitForExitAsync(limit);
        // No --from: the cursor file (0 when absent) says where to start.
        using var restarted = SampleProcess.Start("Consumer", [.. consumerArgs, "--cursor-file", cursor]);

        Assert.Equal(0, await producerA.WaitForExitAsync(limit));
        Assert.Equal(0, await producerB.WaitForExitAsync(limit));
        var published = producerA.Lines.Concat(producerB.Lines)
            .Where(l => l.StartsWith("published ", StringComparison.Ordinal))
            .Select(l => CrossProcessTests.ParseSeqAndCid(l))
            .OrderBy(p => p.Sequence)
            .ToList();
        long total = published.Count;
        Assert.Equal(Enumerable.Range(1, (int)total).Select(i => (long)i), published.Select(p => p.Sequence));
        foreach (var consumer in new[] { consumer1, consumer2, restarted })
        {
            // Every line before the last notice's is in by then (one ordered output stream). A
            // consumer that crashed never prints it: the wait fails with what the consumer wrote.
            await consumer.WaitForLineAsync(l => l.StartsWith($"seq={total} ", StringComparison.Ordinal), limit);
            Assert.False(consumer.HasExited, "a consumer exited on its own:\n" + string.Join('\n', consumer.Lines));
            consumer.Kill();
            await consumer.WaitForExitAsync(limit);
        }

        CheckExactlyOnce("consumer 1", consumer1.Lines, published);
        CheckExactlyOnce("consumer 2", consumer2.Lines, published);
        // The victim's lines up to the cursor it saved, then the restarted run's: one seamless sequence.
        string header = await restarted.WaitForLineAsync(l => l.Contains(", after seq ", StringComparison.Ordinal), limit);
        long resumedAfter = long.Parse(header.Split(", after seq ")[1].Split(',')[0], CultureInfo.InvariantCulture);
        Assert.InRange(resumedAfter, 1, total - 1);
        var beforeKill = victim.Lines.Where(l => l.StartsWith("seq=", StringComparison.Ordinal) && CrossProcessTests.ParseSeqAndCid(l).Sequence <= resumedAfter);
        CheckExactlyOnce("killed + restarted consumer", [.. beforeKill, .. restarted.Lines], published);
        using var after = _temp.Open(arena: true);
        Assert.Contains(after.List(), s => s.ArenaOffset is not null);
        output.WriteLine($"{seconds} s: {total} batches published by 2 producers into a {24 * 12} KiB store; the victim was killed after seq {resumedAfter}; {after.List().Count} segments left");
    }

    private void CheckExactlyOnce(string name, IReadOnlyList<string> lines, List<(long Sequence, Cid Cid)> published)
    {
        var received = lines.Where(l => l.StartsWith("seq=", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(received, l => l.Contains("MISMATCH", StringComparison.Ordinal));
        Assert.Equal(published, received.Select(l => CrossProcessTests.ParseSeqAndCid(l)));
        int attached = received.Count(l => l.EndsWith(" verified", StringComparison.Ordinal));
        output.WriteLine($"{name}: {received.Count} notices, {attached} attached and verified, {received.Count - attached} already evicted");
    }
}
