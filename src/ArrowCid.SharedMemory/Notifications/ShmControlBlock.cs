using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using ArrowCid.SharedMemory.Native;

namespace ArrowCid.SharedMemory.Notifications;

/// <summary>
/// The store's <c>control</c> file, mapped MAP_SHARED by every process that opens the store, so
/// its counters are one piece of memory for all of them. Layout (little-endian, 4096 bytes):
/// 0 magic "ACSHMCT1"; 8 the newest published feed sequence (int64); 16 the wake generation, the
/// futex word (int32); 20 how many subscribers are sleeping on it (int32); 24 bytes of segments
/// as publishers and evictors counted them (int64, a hint that eviction corrects by a scan); 32 a
/// flag (int32, 1 when this file was created with the file filter); 36 a flag (int32, 1 when the
/// writer mutex at 64 was initialised); 40 how many bytes at the start of <c>feed.log</c> are
/// backed (int64, see the feed); 48 how many segment files have been removed (int64, counted after
/// each unlink: a process that opened a table before and sees the count unchanged knows its root
/// file is still there without a stat); 64..128 the store's writer lock, a process-shared robust pthread
/// mutex (stores whose control file has none use flock on the feed instead); 512..4096 the file filter:
/// one bit per bucket of CID digests, set before a segment file of a CID in that bucket is linked
/// and never cleared, so a clear bit proves no segment file holds a CID and a small publish skips
/// the stat that would look for one (a set bit only costs that stat).
/// </summary>
internal sealed unsafe class ShmControlBlock : IDisposable
{
    public const int Size = 4096;
    private const ulong Magic = 0x3154434D48534341; // "ACSHMCT1"
    private const int FilterFlagOffset = 32;
    private const int MutexFlagOffset = 36;
    private const int RemovedFilesOffset = 48;
    private const int MutexOffset = 64;
    private const int FilterOffset = 512;
    private const uint FilterBits = (Size - FilterOffset) * 8;

    // About 20 µs of looking before sleeping on the futex (see WaitBeyond).
    private static readonly long SpinBudget = Stopwatch.Frequency / 50_000;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private int _disposed;

    private ShmControlBlock(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* pointer)
    {
        _file = file;
        _view = view;
        _base = pointer;
    }

    /// <summary>Opens the control file, creating it atomically (temp + no-replace move) when absent.</summary>
    public static ShmControlBlock OpenOrCreate(string path, UnixFileMode fileMode)
    {
        if (!File.Exists(path))
        {
            CreateAtomically(path, fileMode);
        }

        long length = new FileInfo(path).Length;
        if (length != Size)
        {
            throw new ShmFeedCorruptedException($"{path}: the control file is {length} bytes, expected {Size}");
        }

        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, Size, MemoryMappedFileAccess.ReadWrite);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = file.CreateViewAccessor(0, Size, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            // Held until Dispose: the counters are read and written through this pointer only.
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            pointer += view.PointerOffset;
            if (BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(pointer, 8)) != Magic)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                throw new ShmFeedCorruptedException($"{path}: not an ArrowCid control file (bad magic)");
            }

            return new ShmControlBlock(file, view, pointer);
        }
        catch
        {
            view?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Newest sequence number published (0 before the first).</summary>
    public long PublishedSequence => Volatile.Read(ref *(long*)(_base + 8));

    /// <summary>Bytes of segments as counted by publishers and evictors.</summary>
    public long CountedBytes => Volatile.Read(ref *(long*)(_base + 24));

    /// <summary>Makes sequence <paramref name="sequence"/> visible and wakes sleeping subscribers.</summary>
    public void Publish(long sequence)
    {
        Volatile.Write(ref *(long*)(_base + 8), sequence);
        // Full fences on both sides: a subscriber increments the waiter count and then re-reads the
        // generation, we bump the generation and then read the count, so a wake is never lost.
        Interlocked.Increment(ref *(int*)(_base + 16));
        if (Volatile.Read(ref *(int*)(_base + 20)) > 0)
        {
            LinuxNative.FutexWakeAllShared((int*)(_base + 16));
            // A subscriber that was asleep is usually woken onto this CPU (wake-affine) but does
            // not preempt us: measured, it started ~11 µs after we next blocked, and waking it on an
            // idle CPU took 46–61 µs. Handing over our slice lets it run at once (notify p50 about
            // 20 → 5–8 µs). Only paid when someone was asleep: in full flow subscribers are still
            // looking (SpinBudget) and the count is 0.
            LinuxNative.YieldProcessor();
        }
    }

    /// <summary>How many subscribers (of any process) are past their spin and asleep, or about to sleep, on the futex: what a publish wakes.</summary>
    internal int SleepingSubscribers => Volatile.Read(ref *(int*)(_base + 20));

    /// <summary>Sleeps until a publish newer than <paramref name="seenSequence"/> or the timeout; returns the newest sequence.</summary>
    public long WaitBeyond(long seenSequence, TimeSpan timeout)
    {
        int* generation = (int*)(_base + 16);
        int* waiters = (int*)(_base + 20);
        // A publisher in full flow publishes again within microseconds: look for that briefly
        // before sleeping, which spares both sides a futex system call and this side a context
        // switch per notice. Bounded (SpinBudget) so an idle subscriber costs nothing.
        long spinUntil = Stopwatch.GetTimestamp() + SpinBudget;
        do
        {
            long seen = PublishedSequence;
            if (seen > seenSequence)
            {
                return seen;
            }

            Thread.SpinWait(20);
        }
        while (Stopwatch.GetTimestamp() < spinUntil);

        int observed = Volatile.Read(ref *generation);
        long newest = PublishedSequence;
        if (newest > seenSequence)
        {
            return newest;
        }

        Interlocked.Increment(ref *waiters);
        try
        {
            // Sleeps only if the generation is still the one observed before re-checking the sequence.
            LinuxNative.FutexWaitShared(generation, observed, timeout);
        }
        finally
        {
            // A subscriber killed while sleeping leaves the count one too high: that costs publishers a
            // needless wake call, never a lost one. Keep it from going negative after a reset.
            if (Interlocked.Decrement(ref *waiters) < 0)
            {
                Interlocked.Exchange(ref *waiters, 0);
            }
        }

        return PublishedSequence;
    }

    /// <summary>False only when no segment file can hold the CID of <paramref name="digest"/> (see the file filter).</summary>
    public bool MayHaveFile(ReadOnlySpan<byte> digest)
    {
        if (Volatile.Read(ref *(int*)(_base + FilterFlagOffset)) != 1)
        {
            return true; // a control file from before the filter: every CID may have a file
        }

        int bit = FilterBit(digest);
        return (Volatile.Read(ref *(int*)(_base + FilterOffset + bit / 32 * 4)) & (1 << (bit % 32))) != 0;
    }

    /// <summary>Sets the filter bit of <paramref name="digest"/>: call before linking its segment file.</summary>
    public void NoteFile(ReadOnlySpan<byte> digest)
    {
        int bit = FilterBit(digest);
        Interlocked.Or(ref *(int*)(_base + FilterOffset + bit / 32 * 4), 1 << (bit % 32));
    }

    private static int FilterBit(ReadOnlySpan<byte> digest) =>
        (int)(BinaryPrimitives.ReadUInt32LittleEndian(digest) % FilterBits);

    /// <summary>Whether the control file carries the robust writer mutex.</summary>
    public bool HasWriterMutex => Volatile.Read(ref *(int*)(_base + MutexFlagOffset)) == 1;

    /// <summary>Takes the writer mutex; true when its previous holder died holding it.</summary>
    public bool LockWriter() => LinuxNative.LockRobust(_base + MutexOffset);

    /// <summary>Releases the writer mutex.</summary>
    public void UnlockWriter() => LinuxNative.UnlockRobust(_base + MutexOffset);

    /// <summary>Bytes at the start of <c>feed.log</c> backed by memory (writers grow it under the writer lock).</summary>
    public long FeedReservedBytes => Volatile.Read(ref *(long*)(_base + 40));

    /// <summary>Records a new backed end of <c>feed.log</c> (under the writer lock, after backing it).</summary>
    public void SetFeedReservedBytes(long value) => Volatile.Write(ref *(long*)(_base + 40), value);

    /// <summary>Segment files removed so far, by any process of this build (see the layout).</summary>
    public long RemovedFiles => Volatile.Read(ref *(long*)(_base + RemovedFilesOffset));

    /// <summary>Counts a segment file removed: call after the unlink.</summary>
    public void NoteFileRemoved() => Interlocked.Increment(ref *(long*)(_base + RemovedFilesOffset));

    /// <summary>Adds <paramref name="delta"/> to the counted bytes.</summary>
    public void AddBytes(long delta) => Interlocked.Add(ref *(long*)(_base + 24), delta);

    /// <summary>Replaces the counted bytes with a fresh count from a scan.</summary>
    public void SetBytes(long value) => Interlocked.Exchange(ref *(long*)(_base + 24), value);

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private static void CreateAtomically(string path, UnixFileMode fileMode)
    {
        string temp = path + ShmStoreLayout.TempPrefix + Guid.NewGuid().ToString("N");
        var initial = new byte[Size];
        BinaryPrimitives.WriteUInt64LittleEndian(initial, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(initial.AsSpan(FilterFlagOffset), 1);
        fixed (byte* start = initial)
        {
            try
            {
                // An unlocked process-shared mutex holds no pointers: initialised here, its bytes
                // are valid wherever the file is mapped.
                LinuxNative.InitRobustSharedMutex(start + MutexOffset);
                BinaryPrimitives.WriteInt32LittleEndian(initial.AsSpan(MutexFlagOffset), 1);
            }
            catch (EntryPointNotFoundException)
            {
                // An older C library: the writers fall back to flock on the feed.
            }
        }

        using (var stream = LockedFile.CreateNew(temp, (int)fileMode, 0))
        {
            stream.Write(initial);
        }

        try
        {
            // link(2) never replaces: when another process created the file first, everyone maps theirs.
            _ = LinuxNative.Link(temp, path);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
