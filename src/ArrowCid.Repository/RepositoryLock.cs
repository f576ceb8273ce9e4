using System.Buffers.Binary;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// A reader/writer lock between every thread and process using one repository, held on a lock
/// file with flock(2) (how .NET maps FileShare on Unix): writers of new content take it shared,
/// so they run side by side; garbage collection and repair take it exclusive, so they never see a
/// block whose registry row is still being written and mistake it for an orphan. The kernel drops
/// the lock when a holder dies, so a killed process never leaves the repository locked.
/// </summary>
/// <remarks>
/// The threads of one instance share one shared hold of the file: the first takes it, the last
/// lets it go. A put then costs a counter, not the open, flock, unlock and close of the lock file
/// (system calls that, under many concurrent small puts, cost as much as the put's own writes). An
/// exclusive request waits for the file's shared holds to end, as before: this instance's hold ends
/// when its last thread lets go, as one thread's own hold did.
/// <para>
/// The lock file also counts collections: its first 8 bytes are a generation that every exclusive
/// holder (a collection or a repair, which may remove blocks) bumps. A process
/// that takes the shared hold and finds another generation than it last saw calls
/// <see cref="Collected"/> before any of its threads goes on, so what it remembers of the block
/// store (which packs hold what) is brought up to date before it writes: otherwise a long-running
/// node could take a block another process's collection removed for one it still holds, and skip
/// writing it again.
/// </para>
/// </remarks>
internal sealed class RepositoryLock
{
    private readonly string _path;
    private readonly TimeSpan _timeout;

    // Guards the fields below.
    private readonly object _gate = new();
    private FileStream? _sharedFile;
    private int _sharedHolders;
    private long _generation;

    public RepositoryLock(string path, TimeSpan timeout)
    {
        _path = path;
        _timeout = timeout;
        using var file = Arrow.IO.PrivateFiles.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

        // Read before the caller builds what it remembers, so a collection in between is seen at the first hold.
        _generation = ReadGeneration(file);
    }

    /// <summary>Called under a new shared hold when a collection removed blocks since this instance's last hold.</summary>
    public Action? Collected { get; set; }

    /// <summary>Held by operations that may run together (puts, pins, reads that must not race a collection).</summary>
    public IDisposable Shared()
    {
        lock (_gate)
        {
            // Waiting here for an exclusive hold is what the other threads here would do anyway:
            // they need the same shared hold.
            if (_sharedFile is null)
            {
                _sharedFile = Acquire(FileAccess.Read, FileShare.ReadWrite);
                try
                {
                    CatchUp(ReadGeneration(_sharedFile));
                }
                catch
                {
                    _sharedFile.Dispose();
                    _sharedFile = null;
                    throw;
                }
            }

            _sharedHolders++;
        }

        return new SharedHold(this);
    }

    /// <summary>
    /// Held by operations that must run alone (garbage collection, repair), which may remove
    /// blocks: the collection generation is bumped, so every process catches up at its next shared hold.
    /// </summary>
    public IDisposable Exclusive()
    {
        var file = Acquire(FileAccess.ReadWrite, FileShare.None);
        try
        {
            long next = ReadGeneration(file) + 1;
            Span<byte> bytes = stackalloc byte[sizeof(long)];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, next);
            Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Write, _path);
            RandomAccess.Write(file.SafeFileHandle, bytes, 0);

            // This instance catches up at its next shared hold, like any other process. Not here:
            // a thread of this instance may hold _gate while it waits for the flock this hold has.
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // Under _gate: a generation other than the last seen means a collection ran in between.
    private void CatchUp(long generation)
    {
        if (generation != _generation)
        {
            _generation = generation;
            Collected?.Invoke();
        }
    }

    private static long ReadGeneration(FileStream file)
    {
        Span<byte> bytes = stackalloc byte[sizeof(long)];
        return RandomAccess.Read(file.SafeFileHandle, bytes, 0) == sizeof(long) ? BinaryPrimitives.ReadInt64LittleEndian(bytes) : 0;
    }

    private void ReleaseShared()
    {
        lock (_gate)
        {
            if (--_sharedHolders == 0)
            {
                _sharedFile!.Dispose();
                _sharedFile = null;
            }
        }
    }

    private FileStream Acquire(FileAccess access, FileShare share) =>
        LockedFile.Open(_path, FileMode.Open, access, share, _timeout, e =>
            // .NET's own text ("the process cannot access the file …") says nothing of why or what to do.
            new RepositoryBusyException(
                $"the repository is busy: another process ({(access == FileAccess.ReadWrite ? "a put, gc or repair" : "a gc or repair")}) held its lock for more than {_timeout.TotalSeconds.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture)} s; try again when it has finished", e));

    // One thread's part of the shared hold; disposing it twice gives it back once.
    private sealed class SharedHold(RepositoryLock owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner.ReleaseShared();
            }
        }
    }
}
