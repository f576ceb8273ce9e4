using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

/// <summary>
/// The few Linux system calls the store needs and .NET does not expose: raw open (so no implicit
/// FileStream lock sits on our descriptors), flock (leases and the feed's writer lock), fstat (link
/// count, owner and mode of an open segment) and futex (cross-process wake-ups). Every call is
/// small, takes plain integers and pointers, and is used only from the classes in this folder.
/// </summary>
internal static unsafe partial class LinuxNative
{
    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloExec = 0x80000;

    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;
    public const int Unlock = 8;

    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EExist = 17;
    public const int EAgain = 11;
    public const int ETimedOut = 110;
    public const int EAccess = 13;
    public const int ENoSpc = 28;

    private const int FutexWait = 0;
    private const int FutexWake = 1;

    /// <summary>Fails early on a platform whose system call numbers and stat layout we do not know.</summary>
    public static void EnsureSupported()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            throw new PlatformNotSupportedException("the shared-memory store needs Linux on x86-64 or arm64 (flock, futex)");
        }
    }

    /// <summary>open(2); returns the descriptor or -1 with the errno in <paramref name="errno"/>.</summary>
    public static int Open(string path, int flags, int mode, out int errno)
    {
        int fd;
        do
        {
            fd = open(path, flags | OCloExec, mode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == EIntr);
        return fd;
    }

    /// <summary>mkdir(2) with <paramref name="mode"/>; an existing folder is fine.</summary>
    public static void CreateDirectory(string path, int mode)
    {
        if (mkdir(path, mode) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != EExist)
            {
                throw new IOException($"{path}: mkdir failed (errno {errno})");
            }
        }
    }

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

    /// <summary>Link count, owner and permission bits of an open file.</summary>
    public static FileStatus Stat(int fd)
    {
        // struct stat is 144 bytes on x86-64 and 128 on arm64; 256 covers both.
        byte* buffer = stackalloc byte[256];
        if (fstat(fd, buffer) != 0)
        {
            throw new IOException($"fstat failed (errno {Marshal.GetLastPInvokeError()})");
        }

        // Both: st_ino is 8 bytes at 8, st_size 8 bytes at 48.
        // x86-64: st_nlink is 8 bytes at 16, st_mode at 24, st_uid at 28.
        // arm64 (generic layout): st_mode at 16, st_nlink is 4 bytes at 20, st_uid at 24.
        return RuntimeInformation.ProcessArchitecture == Architecture.X64
            ? new FileStatus(*(long*)(buffer + 16), *(uint*)(buffer + 24), *(uint*)(buffer + 28), *(long*)(buffer + 48), *(long*)(buffer + 8))
            : new FileStatus(*(uint*)(buffer + 20), *(uint*)(buffer + 16), *(uint*)(buffer + 24), *(long*)(buffer + 48), *(long*)(buffer + 8));
    }

    /// <summary>The effective user id of this process.</summary>
    public static uint EffectiveUserId() => geteuid();

    /// <summary>
    /// Sleeps while <c>*word == expected</c>, at most <paramref name="timeout"/>. The word lives in a
    /// MAP_SHARED mapping, so the futex is keyed by the file page and another process's wake reaches
    /// us (which is why the private-futex flag is not used).
    /// </summary>
    public static void FutexWaitShared(int* word, int expected, TimeSpan timeout)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        var time = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        // EAGAIN (the word already changed), ETIMEDOUT and EINTR all mean "look again": nothing to handle.
        _ = syscall(FutexSyscallNumber, word, FutexWait, expected, &time, null, 0);
    }

    /// <summary>Wakes every process sleeping on <paramref name="word"/>.</summary>
    public static void FutexWakeAllShared(int* word) =>
        _ = syscall(FutexSyscallNumber, word, FutexWake, int.MaxValue, null, null, 0);

    private static long FutexSyscallNumber => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 202 : 98;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapSharedFlag = 1;
    private const int FOfdGetLock = 36;
    private const int FOfdSetLock = 37;
    private const short FWriteLock = 1;
    private const short FUnlock = 2;

    /// <summary>mmap(2) of <paramref name="length"/> bytes of <paramref name="fd"/>, shared, read-write; throws on failure.</summary>
    public static byte* MapSharedReadWrite(int fd, long length)
    {
        void* address = mmap(null, (nuint)length, ProtRead | ProtWrite, MapSharedFlag, fd, 0);
        if (address == (void*)-1)
        {
            throw new IOException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return (byte*)address;
    }

    /// <summary>mmap(2) of <paramref name="length"/> bytes of <paramref name="fd"/>, shared, read-write or read-only; throws on failure.</summary>
    public static byte* MapShared(int fd, long length, bool writable)
    {
        void* address = mmap(null, (nuint)length, writable ? ProtRead | ProtWrite : ProtRead, MapSharedFlag, fd, 0);
        if (address == (void*)-1)
        {
            throw new IOException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        }

        return (byte*)address;
    }

    /// <summary>munmap(2); failure here would only leak address space, so it is not reported.</summary>
    public static void Unmap(byte* address, long length) => _ = munmap(address, (nuint)length);

    /// <summary>pwrite(2) of all of <paramref name="bytes"/> at <paramref name="offset"/>; false when the file system is full.</summary>
    public static bool TryWriteAt(int fd, ReadOnlySpan<byte> bytes, long offset)
    {
        fixed (byte* start = bytes)
        {
            int done = 0;
            while (done < bytes.Length)
            {
                long written = pwrite(fd, start + done, (nuint)(bytes.Length - done), offset + done);
                if (written < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == ENoSpc)
                    {
                        return false;
                    }

                    if (errno != EIntr)
                    {
                        throw new IOException($"pwrite of {bytes.Length} bytes at {offset} failed (errno {errno})");
                    }

                    continue;
                }

                done += (int)written;
            }
        }

        return true;
    }

    /// <summary>
    /// fallocate(2) mode 0 of [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>):
    /// backs the range with memory now (growing the file), so stores through a mapping there can
    /// never meet a full tmpfs (SIGBUS); false when there is no room.
    /// </summary>
    public static bool Reserve(int fd, long offset, long length)
    {
        while (true)
        {
            if (fallocate(fd, 0, offset, length) == 0)
            {
                return true;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENoSpc)
            {
                return false;
            }

            if (errno != EIntr)
            {
                throw new IOException($"fallocate of {length} bytes at {offset} failed (errno {errno})");
            }
        }
    }

    /// <summary>fallocate(PUNCH_HOLE|KEEP_SIZE): gives a range's pages back; it reads as zeros afterwards.</summary>
    public static void PunchHole(int fd, long offset, long length)
    {
        const int keepSize = 1;
        const int punchHole = 2;
        if (fallocate(fd, keepSize | punchHole, offset, length) != 0)
        {
            throw new IOException($"punching a hole of {length} bytes at {offset} failed (errno {Marshal.GetLastPInvokeError()})");
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

    /// <summary>pthread_mutex_lock's answer when the previous owner died holding the mutex.</summary>
    private const int EOwnerDead = 130;

    /// <summary>
    /// Initialises a process-shared, robust pthread mutex at <paramref name="mutex"/> (at least
    /// <see cref="MutexBytes"/> bytes, 8-aligned). Robust: when a holder dies (even by SIGKILL) the
    /// kernel marks the mutex and the next locker learns it (see <see cref="LockRobust"/>), so a
    /// dead process never leaves it locked. Uncontended lock and unlock are user-space atomics:
    /// no system call.
    /// </summary>
    /// <exception cref="EntryPointNotFoundException">The C library lacks robust mutexes (glibc before 2.34 keeps them in libpthread).</exception>
    public static void InitRobustSharedMutex(byte* mutex)
    {
        const int processShared = 1;
        const int robust = 1;
        byte* attributes = stackalloc byte[64];
        Check(pthread_mutexattr_init(attributes), "pthread_mutexattr_init");
        try
        {
            Check(pthread_mutexattr_setpshared(attributes, processShared), "pthread_mutexattr_setpshared");
            Check(pthread_mutexattr_setrobust(attributes, robust), "pthread_mutexattr_setrobust");
            Check(pthread_mutex_init(mutex, attributes), "pthread_mutex_init");
        }
        finally
        {
            _ = pthread_mutexattr_destroy(attributes);
        }

        static void Check(int result, string what)
        {
            if (result != 0)
            {
                throw new IOException($"{what} failed (error {result})");
            }
        }
    }

    /// <summary>Bytes reserved for a pthread mutex (40 on x86-64, 48 on arm64 glibc).</summary>
    public const int MutexBytes = 64;

    /// <summary>
    /// Locks a robust mutex; true when its previous owner died holding it (the mutex has been
    /// made consistent again: the caller repairs whatever that owner left half done).
    /// </summary>
    public static bool LockRobust(byte* mutex)
    {
        int result = pthread_mutex_lock(mutex);
        if (result == 0)
        {
            return false;
        }

        if (result == EOwnerDead)
        {
            int consistent = pthread_mutex_consistent(mutex);
            return consistent == 0 ? true : throw new IOException($"pthread_mutex_consistent failed (error {consistent})");
        }

        throw new IOException($"pthread_mutex_lock failed (error {result})");
    }

    /// <summary>Unlocks a mutex this thread holds.</summary>
    public static void UnlockRobust(byte* mutex)
    {
        int result = pthread_mutex_unlock(mutex);
        if (result != 0)
        {
            throw new IOException($"pthread_mutex_unlock failed (error {result})");
        }
    }

    [LibraryImport("libc", EntryPoint = "pthread_mutexattr_init")]
    private static partial int pthread_mutexattr_init(byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_mutexattr_destroy")]
    private static partial int pthread_mutexattr_destroy(byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_mutexattr_setpshared")]
    private static partial int pthread_mutexattr_setpshared(byte* attributes, int shared);

    [LibraryImport("libc", EntryPoint = "pthread_mutexattr_setrobust")]
    private static partial int pthread_mutexattr_setrobust(byte* attributes, int robust);

    [LibraryImport("libc", EntryPoint = "pthread_mutex_init")]
    private static partial int pthread_mutex_init(byte* mutex, byte* attributes);

    [LibraryImport("libc", EntryPoint = "pthread_mutex_lock")]
    private static partial int pthread_mutex_lock(byte* mutex);

    [LibraryImport("libc", EntryPoint = "pthread_mutex_unlock")]
    private static partial int pthread_mutex_unlock(byte* mutex);

    [LibraryImport("libc", EntryPoint = "pthread_mutex_consistent")]
    private static partial int pthread_mutex_consistent(byte* mutex);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial long pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl(int fd, int command, FileLock* argument);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    /// <summary>
    /// link(2): gives <paramref name="existing"/> a second name, failing with EEXIST when
    /// <paramref name="newPath"/> exists — an atomic "publish unless already there", which a
    /// check-then-rename (File.Move without overwrite) is not.
    /// </summary>
    /// <returns>true when linked, false when the new name already existed.</returns>
    public static bool Link(string existing, string newPath)
    {
        if (link(existing, newPath) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == EExist ? false : throw new IOException($"link {existing} -> {newPath} failed (errno {errno})");
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existing, string newPath);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkdir(string path, int mode);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat(int fd, byte* buffer);

    /// <summary>sched_yield(2): lets a task just woken on this CPU run now instead of after our next block.</summary>
    public static void YieldProcessor() => _ = sched_yield();

    [LibraryImport("libc", EntryPoint = "sched_yield")]
    private static partial int sched_yield();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall(long number, int* word, int operation, int value, Timespec* timeout, int* word2, int value3);
}

/// <summary>What <see cref="LinuxNative.Stat"/> reports about an open file.</summary>
internal readonly record struct FileStatus(long LinkCount, uint Mode, uint UserId, long Size, long Inode);
