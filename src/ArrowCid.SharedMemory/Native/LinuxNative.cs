using System.Runtime.InteropServices;

namespace ArrowCid.SharedMemory.Native;

/// <summary>
/// The few Linux system calls the store needs and .NET does not expose: raw open (so no implicit
/// FileStream lock sits on our descriptors), flock (leases and the feed's writer lock), fstat (link
/// count, owner and mode of an open segment) and futex (cross-process wake-ups). Every call is
/// small, takes plain integers and pointers, and is used only from the classes in this folder.
/// This file holds files and folders; the rest is split by concern: <c>LinuxNative.Locks.cs</c>
/// (flock, byte locks), <c>.Futex.cs</c>, <c>.Mappings.cs</c> (mmap, pwrite, fallocate) and
/// <c>.RobustMutex.cs</c>.
/// </summary>
internal static unsafe partial class LinuxNative
{
    public const int ORdOnly = 0;
    public const int ORdWr = 2;
    public const int OWrOnly = 1;
    public const int OCreat = 0x40;
    public const int OExcl = 0x80;
    public const int OCloExec = 0x80000;

    // O_DIRECTORY and O_NOFOLLOW differ between x86-64 and the generic layout arm64 uses.
    public static readonly int ODirectory = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x10000 : 0x4000;
    public static readonly int ONoFollow = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x20000 : 0x8000;

    public const int ENoEnt = 2;
    public const int EIntr = 4;
    public const int EExist = 17;
    public const int EAgain = 11;
    public const int ETimedOut = 110;
    public const int EAccess = 13;
    public const int ENoSpc = 28;
    public const int ENotDir = 20;
    public const int ELoop = 40;

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
            // Never through a symbolic link: whoever could place one in a store's folder could make
            // us write where it points.
            fd = open(path, flags | OCloExec | ONoFollow, mode);
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

    /// <summary>
    /// Refuses a store folder another user could read or change: it must be a folder, not a symbolic
    /// link to one, owned by this process's user, writable by nobody else, and readable by nobody
    /// else unless <paramref name="groupReadable"/> (then by its group, which may not write).
    /// </summary>
    /// <exception cref="ShmFolderRefusedException">The folder fails a check; the message names it.</exception>
    public static void CheckPrivateFolder(string path, bool groupReadable)
    {
        int fd = Open(path, ORdOnly | ODirectory, 0, out int errno);
        if (fd < 0)
        {
            throw errno is ELoop or ENotDir
                ? new ShmFolderRefusedException($"{path} is a symbolic link or not a folder: a shared-memory store must be a folder of this user's")
                : new IOException($"{path}: open failed (errno {errno})");
        }

        FileStatus status;
        using (new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true))
        {
            status = Stat(fd);
        }

        uint user = EffectiveUserId();
        uint permissions = status.Mode & 0x1FF;
        uint allowed = groupReadable ? 0x1E8u : 0x1C0u; // rwxr-x--- : rwx------
        if (status.UserId != user)
        {
            throw new ShmFolderRefusedException($"{path} belongs to user {status.UserId}, not to this user ({user}): another user may have made it to read what is published there");
        }

        if ((permissions & ~allowed) != 0)
        {
            throw new ShmFolderRefusedException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{path} has mode {Convert.ToString(permissions, 8)}: a store's folder must be {(groupReadable ? "750 (shared with its group)" : "700")} or stricter (chmod it, or remove it to have it made again)"));
        }
    }

    /// <summary>The effective user id of this process.</summary>
    public static uint EffectiveUserId() => geteuid();

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

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat(int fd, byte* buffer);

    /// <summary>sched_yield(2): lets a task just woken on this CPU run now instead of after our next block.</summary>
    public static void YieldProcessor() => _ = sched_yield();

    [LibraryImport("libc", EntryPoint = "sched_yield")]
    private static partial int sched_yield();

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint geteuid();
}

/// <summary>What <see cref="LinuxNative.Stat"/> reports about an open file.</summary>
internal readonly record struct FileStatus(long LinkCount, uint Mode, uint UserId, long Size, long Inode);
