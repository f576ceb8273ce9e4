using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// Applies the registry rows of logged groups once they are acknowledged (docs/repository.md,
/// "Commit protocol"). A group is durable when its log entry is synced with its blocks; the
/// registry transaction that applies the entry makes it visible, not durable (it is not synced, and
/// the log replays it after a crash), so the puts do not wait for it. One applier per repository
/// instance applies the queued groups in log order, whatever has queued in one transaction per
/// pack, on a pool thread.
/// </summary>
/// <remarks>
/// Nothing here is ever lost: a group leaves the queue only once applied, and a failed apply
/// leaves it queued (and in the log, for a replay on the next open). Whoever needs the registry up
/// to date (every read and write of this process's registry, a pin guard's release, garbage
/// collection) calls <see cref="WaitApplied"/>, which applies what is queued on its own thread and
/// throws the registry's error if that fails. Each queued group holds the repository's shared lock
/// until applied, so no collection (in any process) sees its blocks without their rows.
/// </remarks>
/// <param name="logged">The registry's logged commits.</param>
/// <param name="decode">The rows of a log's entries after one position and before another (for entries the registry has not applied and the queue does not hold).</param>
internal sealed class LoggedRowApplier(ILoggedCommits logged, Func<ulong, long, long, IReadOnlyList<IReadOnlyList<BlockRecord>>> decode)
{
    // Past this many queued groups, a group commit applies them itself before its acknowledgement (the registry falls no further behind).
    private const int MaxQueuedGroups = 512;

    // The most groups one transaction applies, so one apply does not keep the registry's write lock for long.
    private const int MaxGroupsPerTransaction = 256;

    // Guards the queue and the fields below it.
    private readonly object _queueGate = new();
    private readonly List<LoggedGroup> _queue = [];
    private bool _scheduled;
    private Exception? _failure;
    private bool _closed;

    // Held while applying, so groups are applied one transaction at a time, in order.
    private readonly Lock _applyGate = new();

    // Groups queued and applied since the start; equal when the registry is up to date.
    private long _queued;
    private long _applied;

    /// <summary>
    /// Whether a group commit must wait for the registry before its acknowledgement: the last apply
    /// failed (its groups are still queued), or more than <see cref="MaxQueuedGroups"/> groups are queued.
    /// </summary>
    public bool MustCatchUp
    {
        get
        {
            lock (_queueGate)
            {
                return _failure is not null || _queue.Count > MaxQueuedGroups;
            }
        }
    }

    // Whether every queued group is applied (no wait needed before reading the registry).
    private bool UpToDate => Volatile.Read(ref _applied) == Volatile.Read(ref _queued);

    /// <summary>The latest queued (logged, not yet applied) record of <paramref name="cid"/>, if any.</summary>
    public BlockRecord? FindQueued(Cid cid)
    {
        if (UpToDate)
        {
            return null;
        }

        lock (_queueGate)
        {
            for (int g = _queue.Count - 1; g >= 0; g--)
            {
                var records = _queue[g].Records;
                for (int r = records.Count - 1; r >= 0; r--)
                {
                    if (records[r].Cid == cid)
                    {
                        return records[r];
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Queues a synced group for the registry and makes sure an apply will run.</summary>
    /// <param name="group">The group, holding the shared lock until it is applied.</param>
    public void Enqueue(LoggedGroup group)
    {
        lock (_queueGate)
        {
            if (_closed)
            {
                // The group stays in its pack's log, for the next open's replay.
                group.Hold.Dispose();
                throw new ObjectDisposedException(nameof(LoggedRowApplier), "the repository is closed");
            }

            _queue.Add(group);
            Interlocked.Increment(ref _queued);
            if (_scheduled || _failure is not null)
            {
                // A failed apply is retried by the next one who waits (or the next group commit), not in a loop here.
                return;
            }

            _scheduled = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(static self => self.ApplyInBackground(), this, preferLocal: false);
    }

    /// <summary>
    /// Applies every group queued before this call (on this thread, unless the applier is busy with
    /// them already, then waiting for it). Cheap when nothing is queued.
    /// </summary>
    /// <exception cref="Exception">The registry's own error when applying fails (for SQLite a <c>SqliteException</c>); the groups stay queued.</exception>
    public void WaitApplied()
    {
        if (UpToDate)
        {
            return;
        }

        long through = Volatile.Read(ref _queued);
        lock (_applyGate)
        {
            while (Volatile.Read(ref _applied) < through && ApplyQueuedLocked(rethrow: true))
            {
            }
        }
    }

    /// <summary>Applies what is queued, then refuses new groups; a failure leaves the rest to the log's replay on the next open.</summary>
    public void Close()
    {
        lock (_applyGate)
        {
            // Each group is in its pack's log: what fails here, the next open replays.
            while (ApplyQueuedLocked(rethrow: false))
            {
            }

            lock (_queueGate)
            {
                _closed = true;
                foreach (var group in _queue)
                {
                    group.Hold.Dispose();
                }

                _queue.Clear();
                Volatile.Write(ref _applied, Volatile.Read(ref _queued));
            }
        }
    }

    private void ApplyInBackground()
    {
        while (true)
        {
            lock (_applyGate)
            {
                ApplyQueuedLocked(rethrow: false);
            }

            lock (_queueGate)
            {
                if (_queue.Count == 0 || _failure is not null || _closed)
                {
                    _scheduled = false;
                    return;
                }
            }
        }
    }

    // Applies one transaction's worth of the queue's head: a run of groups of one pack; false when
    // nothing was applied. On failure the groups stay queued and the error is kept (and thrown when
    // asked); nothing escapes a pool thread.
    private bool ApplyQueuedLocked(bool rethrow)
    {
        List<LoggedGroup> run;
        lock (_queueGate)
        {
            if (_queue.Count == 0)
            {
                return false;
            }

            ulong pack = _queue[0].Pack;
            int count = 1;
            // A group that follows a gap in the log (an entry whose commit failed after it was
            // written) starts a run of its own: the run's first group brings in the entries before it.
            while (count < _queue.Count && count < MaxGroupsPerTransaction && _queue[count].Pack == pack && !_queue[count].FollowsGap)
            {
                count++;
            }

            run = _queue.GetRange(0, count);
        }

        var first = run[0];
        var last = run[^1];
        var records = new List<BlockRecord>();
        foreach (var group in run)
        {
            records.AddRange(group.Records);
        }

        IReadOnlyList<BlockRecord> stored;
        try
        {
            stored = logged.UpsertLogged(last.Pack, last.Offset, records, applied => decode(first.Pack, applied, first.Offset));
        }
        catch (Exception e)
        {
            lock (_queueGate)
            {
                _failure = e;
            }

            if (rethrow)
            {
                throw;
            }

            return false;
        }

        int at = 0;
        foreach (var group in run)
        {
            foreach (var row in group.Rows)
            {
                row.Applied(stored[at]);
                at++;
            }

            group.Hold.Dispose();
        }

        lock (_queueGate)
        {
            _queue.RemoveRange(0, run.Count);
            _failure = null;
        }

        Interlocked.Add(ref _applied, run.Count);
        return true;
    }
}

/// <summary>A group whose log entry is synced, waiting for the registry.</summary>
/// <param name="Pack">The pack whose log holds the entry.</param>
/// <param name="Offset">The entry's position in it.</param>
/// <param name="Records">The entry's records, in order.</param>
/// <param name="Rows">One per record: told how it was applied.</param>
/// <param name="Hold">The repository's shared lock, held until the group is applied.</param>
/// <param name="FollowsGap">
/// Whether an entry may lie in the log between the group queued before it and this one (a commit
/// that failed after appending its entry): then the two are not applied in one transaction, so the
/// entry between is applied (from the log) before this group, and the log's applied position never
/// passes an entry that was not applied.
/// </param>
internal sealed record LoggedGroup(ulong Pack, long Offset, IReadOnlyList<BlockRecord> Records, IReadOnlyList<RegisteredRow> Rows, IDisposable Hold, bool FollowsGap);

/// <summary>
/// A row a group commit made durable: the record as logged, and, once the registry has applied it,
/// the record as stored.
/// </summary>
internal sealed class RegisteredRow
{
    private volatile bool _applied;
    private BlockRecord _stored;

    /// <summary>A row; not yet applied unless <paramref name="applied"/>.</summary>
    /// <param name="record">The record as logged, or as stored when <paramref name="applied"/>.</param>
    /// <param name="applied">Whether the registry applied it at once.</param>
    public RegisteredRow(BlockRecord record, bool applied = false)
    {
        _stored = record;
        _applied = applied;
    }

    /// <summary>The block's CID.</summary>
    public Cid Cid => _stored.Cid;

    /// <summary>The block's length in bytes.</summary>
    public long Bytes => _stored.Bytes;

    /// <summary>Whether the registry has applied the row.</summary>
    public bool IsApplied => _applied;

    /// <summary>The record as stored (merged with a row already there); only once applied.</summary>
    public BlockRecord Stored => _applied ? _stored : throw new InvalidOperationException($"the row of {_stored.Cid} is not applied yet");

    /// <summary>Called by the applier once the row is in the registry.</summary>
    internal void Applied(BlockRecord stored)
    {
        _stored = stored;
        _applied = true;
    }
}
