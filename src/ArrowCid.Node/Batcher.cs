namespace ArrowCid.Node;

/// <summary>
/// Work that many callers submit, done in batches: a submitted item waits until a runner takes it
/// with everything else waiting (up to a batch's weight), and its task ends when that batch is
/// done. At most a set number of batches run at once; a runner takes the next batch as soon as
/// its last is done, so under load the batches grow to what arrived meanwhile, and alone an item
/// is taken at once (no timer: group commit). Nothing waits on a thread: runners are tasks.
/// </summary>
/// <typeparam name="TItem">What is submitted.</typeparam>
/// <typeparam name="TResult">What each submitter gets back.</typeparam>
/// <param name="run">Does a batch; returns one result per item, in order. An exception fails the whole batch.</param>
/// <param name="batchesAtOnce">Batches running at once.</param>
/// <param name="weightOf">An item's weight (e.g. its bytes).</param>
/// <param name="batchWeight">A batch's most weight (one item heavier than it is a batch alone).</param>
internal sealed class Batcher<TItem, TResult>(Func<IReadOnlyList<TItem>, Task<IReadOnlyList<TResult>>> run, int batchesAtOnce, Func<TItem, long> weightOf, long batchWeight)
{
    private readonly object _gate = new();
    private readonly Queue<Entry> _waiting = new();
    private int _running;
    private long _batches;

    /// <summary>How many batches have been done (for tests and metrics).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Submits an item; the task ends (or fails) with the batch that holds it.</summary>
    /// <param name="item">The item.</param>
    /// <returns>Its result.</returns>
    public Task<TResult> SubmitAsync(TItem item)
    {
        var entry = new Entry(item);
        bool start;
        lock (_gate)
        {
            _waiting.Enqueue(entry);
            start = _running < batchesAtOnce;
            if (start)
            {
                _running++;
            }
        }

        if (start)
        {
            _ = Task.Run(RunAsync);
        }

        return entry.Completion.Task;
    }

    // One runner: batches until nothing waits.
    private async Task RunAsync()
    {
        while (true)
        {
            var batch = new List<Entry>();
            lock (_gate)
            {
                long weight = 0;
                while (_waiting.TryPeek(out var next) && (batch.Count == 0 || weight + weightOf(next.Item) <= batchWeight))
                {
                    weight += weightOf(next.Item);
                    batch.Add(_waiting.Dequeue());
                }

                if (batch.Count == 0)
                {
                    _running--;
                    return;
                }
            }

            try
            {
                var results = await run(batch.ConvertAll(e => e.Item)).ConfigureAwait(false);
                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].Completion.TrySetResult(results[i]);
                }
            }
            catch (Exception e)
            {
                foreach (var entry in batch)
                {
                    entry.Completion.TrySetException(e);
                }
            }

            Interlocked.Increment(ref _batches);
        }
    }

    // Continuations run on the pool, never inside a runner's loop.
    private sealed class Entry(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
