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

    /// <summary>Appends one notice and wakes subscribers; returns its sequence.</summary>
    public long Append(Cid cid, long bytes, long rows, ReadOnlySpan<byte> encodedTags)
    {
        if (!_writable)
        {
            throw new ShmException("this process opened the feed read-only");
        }

        Span<byte> record = stackalloc byte[FeedRecord.Size];
        _log.LockExclusive();
        try
        {
            long sequence = Control.PublishedSequence + 1;
            long micros = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;
            FeedRecord.Write(record, sequence, bytes, rows, micros, Stopwatch.GetTimestamp(), cid, encodedTags);
            RandomAccess.Write(_log.Handle, record, (sequence - 1) * FeedRecord.Size);
            Control.Publish(sequence);
            return sequence;
        }
        finally
        {
            _log.Unlock();
        }
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
