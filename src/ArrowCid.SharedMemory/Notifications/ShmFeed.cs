using System.Diagnostics;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Notifications;

/// <summary>
/// The append-only notification log <c>feed.log</c> with the counters of the control file.
/// Writers append under an exclusive flock on the log (held for one record write: microseconds,
/// and dropped by the kernel if the writer dies), then publish the new sequence in the control
/// block and wake sleepers. A record past the published sequence (a writer died between the two
/// steps) is simply overwritten by the next writer, so readers never see it.
/// </summary>
internal sealed class ShmFeed : IDisposable
{
    private readonly LockedFile _log;
    private readonly bool _writable;
    private readonly Lock _gate = new();

    public ShmFeed(string logPath, ShmControlBlock control, int createMode)
    {
        Control = control;
        try
        {
            _log = LockedFile.Open(logPath, writable: true, create: true, createMode);
            _writable = true;
        }
        catch (IOException) when (File.Exists(logPath))
        {
            // A group member of a group-readable store may read the feed but not write it.
            _log = LockedFile.Open(logPath, writable: false);
        }
    }

    public ShmControlBlock Control { get; }

    /// <summary>
    /// Takes the store's writer lock: flock(LOCK_EX) on the log, after an in-process gate (flock
    /// belongs to the open file description, which this store's threads share, so it alone would
    /// not keep two of them apart). Appends and arena slot changes happen under it. Not reentrant.
    /// </summary>
    public WriterScope EnterWriter()
    {
        _gate.Enter();
        try
        {
            _log.LockExclusive();
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return new WriterScope(this);
    }

    /// <summary>Holds the writer lock until disposed.</summary>
    public readonly struct WriterScope : IDisposable
    {
        private readonly ShmFeed _feed;

        internal WriterScope(ShmFeed feed) => _feed = feed;

        /// <summary>Drops the flock, then the gate.</summary>
        public void Dispose()
        {
            _feed._log.Unlock();
            _feed._gate.Exit();
        }
    }

    /// <summary>Appends one notice and wakes subscribers; returns its sequence.</summary>
    public long Append(Cid cid, long bytes, long rows, ReadOnlySpan<byte> encodedTags)
    {
        using (EnterWriter())
        {
            return AppendLocked(cid, bytes, rows, encodedTags);
        }
    }

    /// <summary>Like <see cref="Append"/>, for a caller that holds the writer lock (<see cref="EnterWriter"/>).</summary>
    public long AppendLocked(Cid cid, long bytes, long rows, ReadOnlySpan<byte> encodedTags)
    {
        if (!_writable)
        {
            throw new ShmException("this process opened the feed read-only");
        }

        Span<byte> record = stackalloc byte[FeedRecord.Size];
        long sequence = Control.PublishedSequence + 1;
        long micros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
        FeedRecord.Write(record, sequence, bytes, rows, micros, Stopwatch.GetTimestamp(), cid, encodedTags);
        RandomAccess.Write(_log.Handle, record, (sequence - 1) * FeedRecord.Size);
        Control.Publish(sequence);
        return sequence;
    }

    /// <summary>Reads the notice with sequence <paramref name="sequence"/> (which must be published).</summary>
    public ShmNotice Read(long sequence)
    {
        Span<byte> record = stackalloc byte[FeedRecord.Size];
        int read = RandomAccess.Read(_log.Handle, record, (sequence - 1) * FeedRecord.Size);
        return FeedRecord.Read(record[..read], sequence);
    }

    public void Dispose() => _log.Dispose();
}
