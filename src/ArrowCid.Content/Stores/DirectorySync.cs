using System.Runtime.InteropServices;
using System.Text;

namespace ArrowCid.Content.Stores;

/// <summary>
/// fsync of a directory, which makes a rename or unlink inside it durable. .NET cannot open a
/// directory as a file, so this goes to libc directly. Windows has no equivalent and needs none
/// (NTFS journals metadata), so it is a no-op there.
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;

    /// <summary>Flushes <paramref name="directory"/>'s entries to stable storage.</summary>
    /// <param name="directory">An existing directory.</param>
    /// <exception cref="IOException">open or fsync failed.</exception>
    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // A null-terminated UTF-8 path as a byte array is blittable: no string marshalling rules apply.
        byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
        int fd = NativeMethods.Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            // EINVAL: the file system does not support fsync on directories; nothing more can be done.
            if (NativeMethods.Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is int errno && errno != EInvalid)
            {
                throw new IOException($"fsync of directory {directory} failed (errno {errno}).");
            }
        }
        finally
        {
            _ = NativeMethods.Close(fd);
        }
    }

    private const int EInvalid = 22;

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
