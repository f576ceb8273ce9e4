using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Arrow.IO;

/// <summary>
/// Files that are either absent or complete: content goes to a temporary file beside the target,
/// is fsynced, renamed over the target (atomic on POSIX), and the folder is fsynced so the rename
/// itself survives a crash. Every part that writes files users rely on (block stores, exports,
/// CLI outputs) goes through here.
/// </summary>
public static class DurableFile
{
    /// <summary>
    /// Writes <paramref name="path"/> through a temporary file: <paramref name="write"/> fills it;
    /// if it throws, the temporary file is deleted and <paramref name="path"/> is left as it was.
    /// </summary>
    public static void WriteAtomically(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        if (IsWrittenInPlace(path))
        {
            using var device = OpenInPlace(path);
            write(device);
            device.Flush();
            return;
        }

        string full = Path.GetFullPath(path);
        string temporary = TemporaryPathFor(full);
        try
        {
            FileFaults.Check(FileOperation.Create, temporary);
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                FileFaults.Check(FileOperation.Write, temporary);
                write(file);
                FileFaults.Check(FileOperation.Sync, temporary);
                file.Flush(flushToDisk: true);
            }

            Publish(temporary, full);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> is to be written into rather than replaced: it exists and is
    /// not a regular file (a character device such as /dev/null, a FIFO, a socket), or it names an
    /// open descriptor (/dev/stdout, /dev/fd/N, /proc/self/fd/N), which a rename could not replace.
    /// Renaming a temporary file over /dev/null would replace the device for the whole machine.
    /// </summary>
    public static bool IsWrittenInPlace(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        string full = Path.GetFullPath(path);
        if (NamesDescriptor(full))
        {
            return true;
        }

        // Anything else under /dev (a file on /dev/shm's tmpfs, say) is judged by what it is.
        return FileType(full) is { } type && type != RegularFileType && type != DirectoryType;
    }

    /// <summary>
    /// Whether <paramref name="full"/> names an open descriptor: /dev/stdin, /dev/stdout, /dev/stderr,
    /// /dev/fd/N or /proc/…/fd/N. These are links to whatever the descriptor holds, a regular file
    /// included, which must be written through rather than replaced.
    /// </summary>
    private static bool NamesDescriptor(string full) =>
        full is "/dev/stdin" or "/dev/stdout" or "/dev/stderr"
        || full.StartsWith("/dev/fd/", StringComparison.Ordinal)
        || (full.StartsWith("/proc/", StringComparison.Ordinal) && full.Contains("/fd/", StringComparison.Ordinal));

    /// <summary>Opens what <see cref="IsWrittenInPlace"/> accepted for writing, as it is (not truncated, not replaced; a FIFO waits for its reader).</summary>
    public static FileStream OpenInPlace(string path) =>
        new(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 1 << 16);

    /// <summary>The S_IFMT bits of <paramref name="path"/>'s mode (links followed); null when it does not exist or cannot be asked.</summary>
    private static int? FileType(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            // Elsewhere .NET tells a directory from a file but nothing finer: only those are replaced.
            return Directory.Exists(path) ? DirectoryType : File.Exists(path) ? RegularFileType : null;
        }

        // statx's layout is the same on every architecture, unlike stat's: stx_mode is the u16 at offset 28.
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        byte[] buffer = new byte[256];
        if (NativeMethods.Statx(AtCurrentDirectory, name, 0, StatxType, buffer) != 0)
        {
            return null;
        }

        return BitConverter.ToUInt16(buffer, 28) & FileTypeMask;
    }

    /// <summary>A fresh temporary name in the same folder as <paramref name="path"/> (hidden, ending in .tmp).</summary>
    public static string TemporaryPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no folder", nameof(path));
        return Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }

    /// <summary>Renames a complete, fsynced temporary file over <paramref name="path"/> and makes the rename durable.</summary>
    public static void Publish(string temporaryPath, string path)
    {
        FileFaults.Check(FileOperation.Rename, path);
        File.Move(temporaryPath, path, overwrite: true);
        FlushDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>
    /// fsync of a directory, which makes a rename or unlink inside it durable. .NET cannot open a
    /// directory as a file, so this goes to libc directly. Windows needs no equivalent (NTFS
    /// journals metadata), so it is a no-op there.
    /// </summary>
    /// <exception cref="IOException">open or fsync failed.</exception>
    public static void FlushDirectory(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        FileFaults.Check(FileOperation.Sync, directory);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A null-terminated UTF-8 path as a byte array is blittable: no string marshalling rules apply.
        byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
        int fd = NativeMethods.Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            // EINVAL: the file system cannot fsync directories; nothing more can be done there.
            if (NativeMethods.Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != EInvalid)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {errno})");
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    /// <summary>
    /// Makes a file's written bytes durable, with the metadata needed to read them back (its size)
    /// but not its timestamps: fdatasync on Linux, where an append into space already allocated
    /// and written then costs the data's write and one cache flush instead of a journal commit for
    /// the inode's modification time as well (docs/repository.md, "Commit protocol"). .NET only
    /// offers fsync (<see cref="RandomAccess.FlushToDisk"/>), so Linux goes to libc; elsewhere this
    /// is that fsync.
    /// </summary>
    /// <param name="handle">An open file.</param>
    /// <exception cref="IOException">The sync failed.</exception>
    public static void FlushData(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }

        if (NativeMethods.Fdatasync(handle) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int FileTypeMask = 0xF000;
    private const int RegularFileType = 0x8000;
    private const int DirectoryType = 0x4000;
    private const int ReadOnly = 0;
    private const int EInvalid = 22;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fdatasync(SafeFileHandle fd);

        [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Statx(int directoryFd, byte[] path, int flags, uint mask, byte[] buffer);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
