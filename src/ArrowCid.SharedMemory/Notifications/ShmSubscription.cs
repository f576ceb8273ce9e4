namespace ArrowCid.SharedMemory.Notifications;

/// <summary>
/// A reader of the store's notification feed from a cursor on: every notice after the cursor, in
/// sequence order, each once. There is no polling delay: when it has caught up it sleeps on the
/// control block's futex and the publishing process wakes it. A consumer that saves
/// <see cref="Cursor"/> after handling each notice and subscribes from it after a restart sees
/// every later notice exactly once.
/// </summary>
public sealed class ShmSubscription
{
    // Sleeps are cut into slices so a cancellation is noticed and a wake lost to a killed
    // publisher (published the sequence, died before the wake) costs at most one slice.
    private static readonly TimeSpan SleepSlice = TimeSpan.FromMilliseconds(100);
    private readonly ShmFeed _feed;
    private readonly IReadOnlyDictionary<string, string>? _filter;

    internal ShmSubscription(ShmFeed feed, long afterSequence, IReadOnlyDictionary<string, string>? tagFilter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(afterSequence);
        _feed = feed;
        _filter = tagFilter is { Count: > 0 } ? new Dictionary<string, string>(tagFilter, StringComparer.Ordinal) : null;
        Cursor = afterSequence;
    }

    /// <summary>The sequence of the last notice consumed (delivered or skipped by the tag filter).</summary>
    public long Cursor { get; private set; }

    /// <summary>The next matching notice if one is already published; never sleeps.</summary>
    public bool TryNext(out ShmNotice? notice)
    {
        while (Cursor < _feed.PublishedSequence)
        {
            var candidate = _feed.Read(Cursor + 1);
            Cursor = candidate.Sequence;
            if (candidate.Matches(_filter))
            {
                notice = candidate;
                return true;
            }
        }

        notice = null;
        return false;
    }

    /// <summary>The next matching notice, sleeping until one is published; null after <paramref name="timeout"/>.</summary>
    public ShmNotice? Next(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan
            ? long.MaxValue
            : Environment.TickCount64 + (long)Math.Clamp(timeout.TotalMilliseconds, 0, long.MaxValue / 4);
        while (true)
        {
            if (TryNext(out var notice))
            {
                return notice;
            }

            cancellationToken.ThrowIfCancellationRequested();
            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                return null;
            }

            _feed.WaitBeyond(Cursor, TimeSpan.FromMilliseconds(Math.Min(left, SleepSlice.TotalMilliseconds)));
        }
    }

    /// <summary>Notices as they are published, until cancelled.</summary>
    public IEnumerable<ShmNotice> ReadAll(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            ShmNotice? notice;
            try
            {
                notice = Next(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }

            if (notice is not null)
            {
                yield return notice;
            }
        }
    }
}
