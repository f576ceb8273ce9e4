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
/// <para>
/// The first <see cref="MappedRecords"/> records are read and written through one MAP_SHARED
/// mapping of the log, kept for the life of the feed: no system call per record. Writers grow the
/// file in backed chunks (fallocate, so a store through the mapping never meets an unbacked tmpfs
/// page) before writing past its reserved end, which the control block records; records beyond
/// the mapping use pread/pwrite. (Unsafe for that mapping: records are copied in and out of it
/// by pointer, always within the backed end the control block records.)
/// </para>
/// </summary>
internal sealed unsafe class ShmFeed : IDisposable
{
    /// <summary>Records reachable through the mapping (1 GiB of address space; only the reserved part is backed).</summary>
    public const long MappedRecords = 1L << 22;

    private const long ReserveChunk = 1L << 20;

    private readonly LockedFile _log;
    private readonly bool _writable;
    private readonly Lock _gate = new();
    private readonly byte* _map;
    private readonly long _mappedRecords;

    // 1 for the feed itself plus one per read or append in progress: the mapping goes when it
    // drops to 0, so a subscription used after its store was disposed gets ObjectDisposedException,
    // never a read of unmapped memory.
    private int _users = 1;
    private int _disposed;

    /// <summary>Opens (creating when needed) the log; <paramref name="mappedRecords"/> is lowered only by tests of the unmapped path.</summary>
    /// <remarks>The feed takes ownership of <paramref name="control"/> (disposing it when the feed and every read through it are done); if this constructor throws, the caller still owns it.</remarks>
    public ShmFeed(string logPath, ShmControlBlock control, int createMode, long mappedRecords = MappedRecords)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mappedRecords);
        Control = control;
        _mappedRecords = Math.Min(mappedRecords, MappedRecords);
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

        try
        {
            _map = LinuxNative.MapShared(_log.Descriptor, _mappedRecords * FeedRecord.Size, _writable);
        }
        catch
        {
            _log.Dispose();
            throw;
        }
    }

    public ShmControlBlock Control { get; }

    /// <summary>
    /// Takes the store's writer lock: the control block's robust process-shared mutex (no system
    /// call when uncontended; a holder that dies releases it, marked, to the next locker), or, for
    /// a control file without one, flock(LOCK_EX) on the log after an in-process gate (flock
    /// belongs to the open file description, which this store's threads share). Appends and arena
    /// slot changes happen under it. Not reentrant. Whatever a dead holder left half done is
    /// repaired by the code that runs under the lock (see the feed and arena comments).
    /// </summary>
    public WriterScope EnterWriter()
    {
        EnterUse();
        try
        {
            if (Control.HasWriterMutex)
            {
                Control.LockWriter();
                return new WriterScope(this, mutex: true);
            }

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

            return new WriterScope(this, mutex: false);
        }
        catch
        {
            ExitUse();
            throw;
        }
    }

    /// <summary>Holds the writer lock until disposed.</summary>
    public readonly struct WriterScope : IDisposable
    {
        private readonly ShmFeed _feed;
        private readonly bool _mutex;

        internal WriterScope(ShmFeed feed, bool mutex)
        {
            _feed = feed;
            _mutex = mutex;
        }

        /// <summary>Releases the lock (and lets the feed's mappings go if the store was disposed meanwhile).</summary>
        public void Dispose()
        {
            if (_mutex)
            {
                _feed.Control.UnlockWriter();
            }
            else
            {
                _feed._log.Unlock();
                _feed._gate.Exit();
            }

            _feed.ExitUse();
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

    /// <summary>
    /// Like <see cref="Append"/>, for a caller that holds the writer lock (<see cref="EnterWriter"/>);
    /// <paramref name="countedBytes"/> are added to the control block's byte count together with
    /// the new sequence (see <see cref="AppendInUse"/>); <paramref name="utcTicks"/> is the publish
    /// time when the caller has read the clock already (0: now).
    /// </summary>
    public long AppendLocked(Cid cid, long bytes, long rows, ReadOnlySpan<byte> encodedTags, long countedBytes = 0, long utcTicks = 0)
    {
        if (!_writable)
        {
            throw new ShmException("this process opened the feed read-only");
        }

        EnterUse();
        try
        {
            ShmMetrics.Publishes.Add(1);
            return AppendInUse(cid, bytes, rows, encodedTags, countedBytes, utcTicks);
        }
        finally
        {
            ExitUse();
        }
    }

    private long AppendInUse(Cid cid, long bytes, long rows, ReadOnlySpan<byte> encodedTags, long countedBytes, long utcTicks)
    {
        Span<byte> record = stackalloc byte[FeedRecord.Size];
        long sequence = Control.PublishedSequence + 1;
        long micros = ((utcTicks != 0 ? utcTicks : DateTime.UtcNow.Ticks) - DateTime.UnixEpoch.Ticks) / 10;
        FeedRecord.Write(record, sequence, bytes, rows, micros, Stopwatch.GetTimestamp(), cid, encodedTags);
        long offset = (sequence - 1) * FeedRecord.Size;
        if (sequence <= _mappedRecords)
        {
            long reserved = Control.FeedReservedBytes;
            if (offset + FeedRecord.Size > reserved)
            {
                // Back the next chunk first (extends the file); we hold the writer lock, so no
                // other writer moves the reserved end meanwhile. Only the new part is reserved:
                // fallocate walks every page of its range, so reserving from 0 each time made a
                // long feed's appends cost in proportion to its length.
                long end = Math.Min(_mappedRecords * FeedRecord.Size, (offset + FeedRecord.Size + ReserveChunk - 1) / ReserveChunk * ReserveChunk);
                if (!LinuxNative.Reserve(_log.Descriptor, reserved, end - reserved))
                {
                    throw new ShmException($"{_log.Path}: no room on the file system for the notification log");
                }

                // The chunk's pages are mapped here at once rather than faulted in one per 16 appends.
                LinuxNative.PopulateWritable(_map + reserved, end - reserved);
                Control.SetFeedReservedBytes(end);
            }

            record.CopyTo(new Span<byte>(_map + offset, FeedRecord.Size));
        }
        else
        {
            RandomAccess.Write(_log.Handle, record, offset);
        }

        // The byte count, the sequence and the wake generation share the control block's first
        // cache line, which subscribers keep reading: written back to back, they cost this core
        // one transfer of the line rather than one each.
        if (countedBytes != 0)
        {
            Control.AddBytes(countedBytes);
        }

        // Release: a reader that sees the new sequence sees the record written above.
        Control.Publish(sequence);
        return sequence;
    }

    /// <summary>Reads the notice with sequence <paramref name="sequence"/> (which must be published).</summary>
    public ShmNotice Read(long sequence)
    {
        EnterUse();
        try
        {
            return ReadInUse(sequence);
        }
        finally
        {
            ExitUse();
        }
    }

    private ShmNotice ReadInUse(long sequence)
    {
        long offset = (sequence - 1) * FeedRecord.Size;
        if (sequence <= _mappedRecords && offset + FeedRecord.Size <= Control.FeedReservedBytes)
        {
            // Copied out first: the checks then run on bytes no writer can change under them.
            Span<byte> mapped = stackalloc byte[FeedRecord.Size];
            new ReadOnlySpan<byte>(_map + offset, FeedRecord.Size).CopyTo(mapped);
            return FeedRecord.Read(mapped, sequence);
        }

        Span<byte> record = stackalloc byte[FeedRecord.Size];
        int read = RandomAccess.Read(_log.Handle, record, offset);
        return FeedRecord.Read(record[..read], sequence);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            ExitUse();
        }
    }

    private void EnterUse()
    {
        while (true)
        {
            int users = Volatile.Read(ref _users);
            ObjectDisposedException.ThrowIf(users == 0, this);
            if (Interlocked.CompareExchange(ref _users, users + 1, users) == users)
            {
                return;
            }
        }
    }

    private void ExitUse()
    {
        if (Interlocked.Decrement(ref _users) == 0)
        {
            // The feed owns the control block too: both mappings go once nothing uses them.
            LinuxNative.Unmap(_map, _mappedRecords * FeedRecord.Size);
            _log.Dispose();
            Control.Dispose();
        }
    }

    /// <summary>The newest published sequence; <see cref="ObjectDisposedException"/> once the store is disposed.</summary>
    public long PublishedSequence
    {
        get
        {
            EnterUse();
            try
            {
                return Control.PublishedSequence;
            }
            finally
            {
                ExitUse();
            }
        }
    }

    /// <summary><see cref="ShmControlBlock.WaitBeyond"/>, keeping the mappings alive while it sleeps.</summary>
    public long WaitBeyond(long seenSequence, TimeSpan timeout)
    {
        EnterUse();
        try
        {
            return Control.WaitBeyond(seenSequence, timeout);
        }
        finally
        {
            ExitUse();
        }
    }
}
