using Microsoft.Win32.SafeHandles;

namespace ArrowCid.SharedMemory.Native;

/// <summary>
/// A raw file descriptor (opened without .NET's implicit FileStream locks) on which this process
/// takes flock locks. The process dying drops the lock: that is what makes leases vanish with a
/// killed reader. Dispose unlocks explicitly before closing (see <see cref="Dispose"/>).
/// </summary>
internal sealed class LockedFile : IDisposable
{
    // 1 while this descriptor may hold a flock lock, so Dispose knows to drop it; 0 otherwise.
    private int _locked;
    private int _disposed;

    private LockedFile(SafeFileHandle handle, int fd, string path)
    {
        Handle = handle;
        Descriptor = fd;
        Path = path;
    }

    /// <summary>The descriptor as a SafeFileHandle, for RandomAccess reads and writes.</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>The raw descriptor, for flock and fstat.</summary>
    public int Descriptor { get; }

    /// <summary>The path it was opened by.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/>; null when it does not exist.</summary>
    public static LockedFile? TryOpen(string path, bool writable, bool create = false, int createMode = 0)
    {
        int flags = (writable ? LinuxNative.ORdWr : LinuxNative.ORdOnly) | (create ? LinuxNative.OCreat : 0);
        int fd = LinuxNative.Open(path, flags, createMode, out int errno);
        if (fd < 0)
        {
            return errno == LinuxNative.ENoEnt ? null : throw new IOException($"{path}: open failed (errno {errno})");
        }

        return new LockedFile(new SafeFileHandle(fd, ownsHandle: true), fd, path);
    }

    /// <summary>Creates a new file with <paramref name="mode"/> (failing if it exists) and returns a write stream over it.</summary>
    public static FileStream CreateNew(string path, int mode, int bufferSize)
    {
        int fd = LinuxNative.Open(path, LinuxNative.OWrOnly | LinuxNative.OCreat | LinuxNative.OExcl, mode, out int errno);
        if (fd < 0)
        {
            throw new IOException($"{path}: create failed (errno {errno})");
        }

        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize);
    }

    /// <summary>Opens an existing file or throws <see cref="FileNotFoundException"/>.</summary>
    public static LockedFile Open(string path, bool writable, bool create = false, int createMode = 0) =>
        TryOpen(path, writable, create, createMode) ?? throw new FileNotFoundException($"{path}: no such file", path);

    /// <summary>Blocks until a shared lock is held.</summary>
    public void LockShared()
    {
        Check(LinuxNative.Flock(Descriptor, LinuxNative.LockShared), "flock(LOCK_SH)");
        Volatile.Write(ref _locked, 1);
    }

    /// <summary>Blocks until an exclusive lock is held.</summary>
    public void LockExclusive()
    {
        Check(LinuxNative.Flock(Descriptor, LinuxNative.LockExclusive), "flock(LOCK_EX)");
        Volatile.Write(ref _locked, 1);
    }

    /// <summary>Takes an exclusive lock only if nobody holds any lock; false when the file is busy.</summary>
    public bool TryLockExclusive()
    {
        int errno = LinuxNative.Flock(Descriptor, LinuxNative.LockExclusive | LinuxNative.LockNonBlocking);
        if (errno == LinuxNative.EAgain)
        {
            return false;
        }

        Check(errno, "flock(LOCK_EX|LOCK_NB)");
        Volatile.Write(ref _locked, 1);
        return true;
    }

    /// <summary>Drops this descriptor's lock (closing it would too).</summary>
    public void Unlock()
    {
        Check(LinuxNative.Flock(Descriptor, LinuxNative.Unlock), "flock(LOCK_UN)");
        Volatile.Write(ref _locked, 0);
    }

    /// <summary>Link count, owner, mode and size of the open file.</summary>
    public FileStatus Status() => LinuxNative.Stat(Descriptor);

    /// <summary>
    /// Drops any lock with flock(LOCK_UN), then closes the descriptor. Closing alone is not enough:
    /// a flock lock belongs to the open file description and lasts until its last descriptor
    /// closes, and a child process being spawned by any thread of this process (fork or vfork,
    /// then exec) holds a copy of every descriptor until its exec closes the O_CLOEXEC ones. A lease
    /// released by close during that window would look held to eviction (a spurious
    /// <see cref="ShmStoreFullException"/>) and an evictor's exclusive lock would block attaches.
    /// LOCK_UN acts on the open file description itself, so it releases the lock in every copy.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            // Once closed, the descriptor number may belong to another file: never touch it again.
            return;
        }

        if (Volatile.Read(ref _locked) != 0)
        {
            // Errors are ignored: the close below still drops the lock in the usual case.
            _ = LinuxNative.Flock(Descriptor, LinuxNative.Unlock);
        }

        Handle.Dispose();
    }

    private void Check(int errno, string what)
    {
        if (errno != 0)
        {
            throw new IOException($"{Path}: {what} failed (errno {errno})");
        }
    }
}
