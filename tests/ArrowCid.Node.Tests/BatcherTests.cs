namespace ArrowCid.Node.Tests;

/// <summary>
/// Group commit as the node's packs and publications use it: alone, an item is taken at once; what
/// arrives while a batch runs goes in the next, up to a batch's weight; a failure fails its batch only.
/// </summary>
public sealed class BatcherTests
{
    [Fact]
    public async Task What_arrives_while_a_batch_runs_goes_in_the_next_batch_together()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<IReadOnlyList<int>>();
        var batcher = new Batcher<int, int>(
            async items =>
            {
                lock (batches)
                {
                    batches.Add(items);
                }

                started.TrySetResult();
                await gate.Task;
                return items.Select(i => i * 10).ToList();
            },
            batchesAtOnce: 1,
            _ => 1,
            batchWeight: 100);

        // The first is taken alone, at once; the next ten wait for it and go together.
        var first = batcher.SubmitAsync(0);
        await started.Task;
        var rest = Enumerable.Range(1, 10).Select(batcher.SubmitAsync).ToList();
        Assert.All(rest, task => Assert.False(task.IsCompleted));
        gate.SetResult();

        Assert.Equal(0, await first);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => i * 10), await Task.WhenAll(rest));
        Assert.Equal(2, batcher.Batches);
        Assert.Equal([[0], Enumerable.Range(1, 10).ToList()], batches.Select(b => b.ToList()));
    }

    [Fact]
    public async Task A_batch_holds_at_most_its_weight_and_a_heavier_item_goes_alone()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batches = new List<List<int>>();
        var batcher = new Batcher<int, bool>(
            async items =>
            {
                lock (batches)
                {
                    batches.Add(items.ToList());
                }

                started.TrySetResult();
                await gate.Task;
                return items.Select(_ => true).ToList();
            },
            batchesAtOnce: 1,
            weightOf: i => i,
            batchWeight: 10);

        var first = batcher.SubmitAsync(1);
        await started.Task;
        var rest = new[] { 4, 5, 3, 30, 2 }.Select(batcher.SubmitAsync).ToList();
        gate.SetResult();
        await first;
        await Task.WhenAll(rest);

        Assert.Equal([[1], [4, 5], [3], [30], [2]], batches);
    }

    [Fact]
    public async Task A_failed_batch_fails_its_items_only_and_the_next_batch_runs()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int runs = 0;
        var batcher = new Batcher<int, int>(
            async items =>
            {
                if (Interlocked.Increment(ref runs) == 1)
                {
                    started.TrySetResult();
                    await gate.Task;
                    throw new InvalidOperationException("the store refused the batch");
                }

                return items.ToList();
            },
            batchesAtOnce: 1,
            _ => 1,
            batchWeight: 100);

        var failed = batcher.SubmitAsync(1);
        await started.Task;
        var next = batcher.SubmitAsync(2);
        gate.SetResult();

        Assert.Equal("the store refused the batch", (await Assert.ThrowsAsync<InvalidOperationException>(() => failed)).Message);
        Assert.Equal(2, await next);
    }

    [Fact]
    public async Task Several_batches_run_at_once_when_allowed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0;
        var firstRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bothRunning = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new Batcher<int, int>(
            async items =>
            {
                int now = Interlocked.Increment(ref running);
                (now == 1 ? firstRunning : bothRunning).TrySetResult();
                await gate.Task;
                return items.ToList();
            },
            batchesAtOnce: 2,
            _ => 1,
            batchWeight: 100);

        // The second starts while the first still runs, rather than waiting for it.
        var a = batcher.SubmitAsync(1);
        await firstRunning.Task;
        var b = batcher.SubmitAsync(2);
        await bothRunning.Task;
        gate.SetResult();
        Assert.Equal(new[] { 1, 2 }, await Task.WhenAll(a, b));
    }
}
