using System.Runtime.ExceptionServices;

namespace ArrowCid.Repository;

/// <summary>
/// Group commit: threads submit work and wait; the first to find no commit running becomes the
/// leader, takes everything submitted so far (its own item included) and commits it in one go —
/// one fsync, one registry transaction — while later submitters queue for the next group. Each
/// submitter returns (or throws) only once the group holding its item has been committed, so
/// nothing is acknowledged before it is durable, and under load one commit serves many puts.
/// </summary>
/// <typeparam name="TItem">What is submitted.</typeparam>
/// <typeparam name="TResult">What each submitter gets back.</typeparam>
/// <param name="commit">Commits a group; returns one result per item, in order. An exception fails the whole group.</param>
internal sealed class GroupCommit<TItem, TResult>(Func<IReadOnlyList<TItem>, IReadOnlyList<TResult>> commit)
{
    private readonly object _gate = new();
    private List<Entry> _pending = [];
    private bool _committing;

    /// <summary>How many groups have been committed (for tests and benchmarks).</summary>
    public long Groups { get; private set; }

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
    public TResult Submit(TItem item)
    {
        var entry = new Entry(item);
        List<Entry> group;
        lock (_gate)
        {
            _pending.Add(entry);
            while (_committing && !entry.Done)
            {
                Monitor.Wait(_gate);
            }

            if (entry.Done)
            {
                return entry.Outcome();
            }

            _committing = true;
            group = _pending;
            _pending = [];
        }

        IReadOnlyList<TResult>? results = null;
        ExceptionDispatchInfo? failure = null;
        try
        {
            results = commit(group.ConvertAll(e => e.Item));
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }

        // Outcomes are handed over under the gate, so every waiter sees them when it wakes.
        lock (_gate)
        {
            for (int i = 0; i < group.Count; i++)
            {
                if (failure is null)
                {
                    group[i].Succeed(results![i]);
                }
                else
                {
                    group[i].Fail(failure);
                }
            }

            _committing = false;
            Groups++;
            Monitor.PulseAll(_gate);
        }

        return entry.Outcome();
    }

    private sealed class Entry(TItem item)
    {
        private TResult? _result;
        private ExceptionDispatchInfo? _failure;

        public TItem Item { get; } = item;

        // Written and read under the gate.
        public bool Done { get; private set; }

        public void Succeed(TResult result)
        {
            _result = result;
            Done = true;
        }

        public void Fail(ExceptionDispatchInfo failure)
        {
            _failure = failure;
            Done = true;
        }

        public TResult Outcome()
        {
            _failure?.Throw();
            return _result!;
        }
    }
}
