using System.Diagnostics;

namespace ArrowCid.Repository;

/// <summary>
/// Group commit: callers submit work and wait; the first to find no commit running becomes the
/// committer, takes everything submitted so far (its own item included) and commits it in one go —
/// one fsync (and one registry transaction where the registry keeps no log of ours) — while later
/// submitters queue for the next group. Each submitter returns (or throws) only once the group
/// holding its item has been committed, so nothing is acknowledged before it is durable, and under
/// load one commit serves many puts.
/// </summary>
/// <remarks>
/// A submitter may wait without a thread (<see cref="SubmitAsync"/>): a node's concurrent puts then
/// all join the next group, however few threads the pool has, where puts that each block a thread
/// make groups no larger than the threads free to submit. Groups left waiting when a committer has
/// done its own are committed on a pool thread, so no submitter's caller is kept committing others'.
/// </remarks>
/// <typeparam name="TItem">What is submitted.</typeparam>
/// <typeparam name="TResult">What each submitter gets back.</typeparam>
/// <param name="commit">Commits a group; returns one result per item, in order. An exception fails the whole group.</param>
internal sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, IReadOnlyList<TResult>> commit)
{
    private readonly object _gate = new();
    private List<Entry> _pending = [];
    private bool _committing;
    private long _groups;

    // Stopwatch ticks spent in commits, and the longest commit since the last look (one committer runs at a time).
    private long _commitTicks;
    private long _longestCommitTicks;

    /// <summary>How many groups have been committed (for tests and benchmarks).</summary>
    public long Groups => Interlocked.Read(ref _groups);

    /// <summary>Time spent committing groups, in all (for benchmarks).</summary>
    public TimeSpan CommitTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _commitTicks));

    /// <summary>The longest commit of one group since the last call, which starts the next span (for benchmarks).</summary>
    /// <returns>Its duration; zero when no group was committed.</returns>
    public TimeSpan TakeLongestCommit() => Stopwatch.GetElapsedTime(0, Interlocked.Exchange(ref _longestCommitTicks, 0));

    /// <summary>How many submitted items wait for the next group (for tests).</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Commits <paramref name="item"/> with whatever else is waiting, and returns its result once that group is durable.</summary>
    public TResult Submit(TItem item) => SubmitAsync(item).GetAwaiter().GetResult();

    /// <summary>
    /// Commits <paramref name="item"/> with whatever else is waiting; the task completes once that
    /// group is durable. When no commit is running, the group is committed on the calling thread
    /// before this returns.
    /// </summary>
    public Task<TResult> SubmitAsync(TItem item)
    {
        var entry = new Entry(item);
        bool lead;
        lock (_gate)
        {
            _pending.Add(entry);
            lead = !_committing;
            _committing = true;
        }

        if (lead)
        {
            CommitPending();
        }

        return entry.Completion.Task;
    }

    // Commits one group (everything pending); hands what came in meanwhile to a pool thread.
    private void CommitPending()
    {
        List<Entry> group;
        lock (_gate)
        {
            group = _pending;
            _pending = [];
        }

        long started = Stopwatch.GetTimestamp();
        RepositoryMetrics.GroupCommitSize.Record(group.Count);
        try
        {
            var results = commit(group.ConvertAll(e => e.Item));
            for (int i = 0; i < group.Count; i++)
            {
                group[i].Completion.TrySetResult(results[i]);
            }
        }
        catch (Exception e)
        {
            foreach (var entry in group)
            {
                entry.Completion.TrySetException(e);
            }
        }

        long took = Stopwatch.GetTimestamp() - started;
        Interlocked.Add(ref _commitTicks, took);
        if (took > Interlocked.Read(ref _longestCommitTicks))
        {
            Interlocked.Exchange(ref _longestCommitTicks, took);
        }

        Interlocked.Increment(ref _groups);
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                _committing = false;
                return;
            }
        }

        ThreadPool.UnsafeQueueUserWorkItem(static self => self.CommitPending(), this, preferLocal: false);
    }

    // Continuations run on the pool, never inside the committer's loop.
    private sealed class Entry(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
