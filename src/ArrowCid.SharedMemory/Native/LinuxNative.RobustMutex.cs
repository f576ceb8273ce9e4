using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

// Process-shared, robust pthread mutexes (the feed's writer lock in the control block).
internal static unsafe partial class LinuxNative
{
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
}
