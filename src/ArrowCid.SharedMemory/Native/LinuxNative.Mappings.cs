using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

// mmap/munmap, pwrite and fallocate: mapping, filling and backing (or releasing) file ranges.
internal static unsafe partial class LinuxNative
{
    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapSharedFlag = 1;

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
    /// madvise(MADV_POPULATE_WRITE) on a mapped range whose file pages are backed: maps them
    /// writable now, in one system call, instead of one page fault per page on first store. Best
    /// effort: kernels before 5.14 do not know the advice, and the stores then fault as before.
    /// </summary>
    public static void PopulateWritable(byte* address, long length)
    {
        const int populateWrite = 23;
        _ = madvise(address, (nuint)length, populateWrite);
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int munmap(void* address, nuint length);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial long pwrite(int fd, byte* buffer, nuint count, long offset);

    [LibraryImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static partial int fallocate(int fd, int mode, long offset, long length);
}
