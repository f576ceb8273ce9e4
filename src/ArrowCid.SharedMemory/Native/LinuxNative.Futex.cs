using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

// futex(2) on a word in a MAP_SHARED mapping: cross-process sleep and wake-up for the feed.
internal static unsafe partial class LinuxNative
{
    private const int FutexWait = 0;
    private const int FutexWake = 1;

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

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long syscall(long number, int* word, int operation, int value, Timespec* timeout, int* word2, int value3);
}
