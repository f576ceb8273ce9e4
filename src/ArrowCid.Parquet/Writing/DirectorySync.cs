using System.Runtime.InteropServices;
using System.Text;

namespace ArrowCid.Parquet.Writing;

/// <summary>
/// fsync of a directory, which makes a rename inside it durable. .NET cannot open a directory as
/// a file, so this goes to libc; Windows needs no equivalent (NTFS journals metadata).
/// </summary>
internal static class DirectorySync
{
    private const int ReadOnly = 0;
    private const int EInvalid = 22;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
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
