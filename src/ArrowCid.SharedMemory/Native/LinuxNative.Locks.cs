using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

// flock(2) (leases, the eviction lock, the feed's fallback writer lock) and open-file-description
// byte locks (a lock byte per arena lease record).
internal static unsafe partial class LinuxNative
{
    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;
    public const int Unlock = 8;

    private const int FOfdGetLock = 36;
    private const int FOfdSetLock = 37;
    private const short FWriteLock = 1;
    private const short FUnlock = 2;

    /// <summary>flock(2), retried on EINTR; returns 0 or the errno.</summary>
    public static int Flock(int fd, int operation)
    {
        while (true)
        {
            if (flock(fd, operation) == 0)
            {
                return 0;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return errno;
            }
        }
    }

    /// <summary>
    /// Takes an open-file-description write lock on one byte at <paramref name="offset"/> without
    /// waiting; false when another open file description holds it. OFD locks belong to the open
    /// file, not the process, and the kernel drops them when the last descriptor closes or the
    /// process dies: a lock byte per lease record is how a dead reader is recognised.
    /// </summary>
    public static bool TryLockByte(int fd, long offset)
    {
        var request = new FileLock { Type = FWriteLock, Whence = 0, Start = offset, Length = 1 };
        while (true)
        {
            if (fcntl(fd, FOfdSetLock, &request) == 0)
            {
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is EAgain or EAccess)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw new IOException($"fcntl(F_OFD_SETLK) at {offset} failed (errno {errno})");
            }
        }
    }

    /// <summary>
    /// Drops this open file description's lock on the byte at <paramref name="offset"/>. Closing
    /// the descriptor would too, but only once every copy of it is closed (a child between fork
    /// and exec holds copies); unlocking acts on the open file description at once. Errors are
    /// ignored: the close that follows drops the lock in the usual case.
    /// </summary>
    public static void UnlockByte(int fd, long offset)
    {
        var request = new FileLock { Type = FUnlock, Whence = 0, Start = offset, Length = 1 };
        while (fcntl(fd, FOfdSetLock, &request) != 0 && Marshal.GetLastPInvokeError() == EIntr)
        {
        }
    }

    /// <summary>Whether some other open file description holds a lock on the byte at <paramref name="offset"/>.</summary>
    public static bool IsByteLocked(int fd, long offset)
    {
        var request = new FileLock { Type = FWriteLock, Whence = 0, Start = offset, Length = 1 };
        if (fcntl(fd, FOfdGetLock, &request) != 0)
        {
            throw new IOException($"fcntl(F_OFD_GETLK) at {offset} failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return request.Type != FUnlock;
    }

    // struct flock on x86-64 and arm64: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
    [StructLayout(LayoutKind.Sequential)]
    private struct FileLock
    {
        public short Type;
        public short Whence;
        public long Start;
        public long Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int command, FileLock* argument);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);
}
