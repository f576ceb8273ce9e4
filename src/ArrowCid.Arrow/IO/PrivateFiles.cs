namespace ArrowCid.Arrow.IO;

/// <summary>
/// Files and folders only their user may read: created 0600 and 0700 whatever the process's umask
/// (under umask 022, systemd's default, they would be 0644 and 0755: issue 65). What a repository
/// keeps (blocks, packs, the registry, its lock and journal files) is made through these; what a
/// user exports is not, and keeps the umask's mode. On Windows the folder's ACL decides.
/// </summary>
public static class PrivateFiles
{
    /// <summary>The mode of a private file: read and write for its user (0600).</summary>
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The mode of a private folder: read, write and search for its user (0700).</summary>
    public const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Opens <paramref name="path"/> as <see cref="FileStream"/>'s constructor would; a file it creates is 0600.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open it.</param>
    /// <param name="access">What the stream may do.</param>
    /// <param name="share">What others may do meanwhile.</param>
    /// <param name="bufferSize">The stream's buffer (0: none).</param>
    /// <returns>The open stream.</returns>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize = 0) =>
        new(path, Options(mode, access, share, bufferSize));

    /// <summary>The options of a stream that creates its file 0600 (when <paramref name="mode"/> may create it).</summary>
    /// <param name="mode">How to open it.</param>
    /// <param name="access">What the stream may do.</param>
    /// <param name="share">What others may do meanwhile.</param>
    /// <param name="bufferSize">The stream's buffer (0: none).</param>
    /// <returns>Options for <see cref="FileStream"/>.</returns>
    public static FileStreamOptions Options(FileMode mode, FileAccess access, FileShare share = FileShare.Read, int bufferSize = 0)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode is FileMode.CreateNew or FileMode.Create or FileMode.OpenOrCreate)
        {
            options.UnixCreateMode = File;
        }

        return options;
    }

    /// <summary>Creates <paramref name="path"/> and any folder above it that is missing, 0700; one that exists is left as it is.</summary>
    /// <param name="path">The folder.</param>
    /// <returns>The folder.</returns>
    public static DirectoryInfo CreateFolder(string path) =>
        OperatingSystem.IsWindows() ? Directory.CreateDirectory(path) : Directory.CreateDirectory(path, Folder);

    /// <summary>Creates an empty file 0600 at <paramref name="path"/> unless one is there (a database its engine then opens: SQLite gives its journal and WAL files the database's mode).</summary>
    /// <param name="path">The file.</param>
    public static void CreateEmpty(string path)
    {
        if (System.IO.File.Exists(path))
        {
            // Opened as it is: it may be one this process may only read.
            return;
        }

        try
        {
            using (Open(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete))
            {
            }
        }
        catch (IOException) when (System.IO.File.Exists(path))
        {
            // Another process made it first.
        }
    }
}
