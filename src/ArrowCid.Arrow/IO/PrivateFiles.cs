namespace ArrowCid.Arrow.IO;

/// <summary>
/// Files and folders only their user may read: created 0600 and 0700 whatever the process's umask
/// (under umask 022, systemd's default, they would be 0644 and 0755: issue 65). What a repository
/// keeps (blocks, packs, the registry, its lock and journal files) is made through these; what a
/// user exports is not, and keeps the umask's mode. On Windows the folder's ACL decides.
/// </summary>
/// <remarks>
/// A folder an operator shares with a group (its set-group-id bit and group bits set, e.g.
/// <c>chmod 2770</c>, as git's <c>core.sharedRepository=group</c>) passes its group's read and
/// write bits on: a file made in it is 0600 plus those (0640 or 0660, also under umask 022) and a
/// folder 0700 plus those and the set-group-id bit, so the group stays the folder's own.
/// </remarks>
public static class PrivateFiles
{
    /// <summary>The mode of a private file: read and write for its user (0600).</summary>
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The mode of a private folder: read, write and search for its user (0700).</summary>
    public const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupBits = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute;

    /// <summary>Opens <paramref name="path"/> as <see cref="FileStream"/>'s constructor would; a file it creates is 0600 (or has its shared folder's group bits).</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open it.</param>
    /// <param name="access">What the stream may do.</param>
    /// <param name="share">What others may do meanwhile.</param>
    /// <param name="bufferSize">The stream's buffer (0: none).</param>
    /// <returns>The open stream.</returns>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, int bufferSize = 0) =>
        Open(path, Options(path, mode, access, share, bufferSize));

    /// <summary>Opens <paramref name="path"/> with <paramref name="options"/> made by <see cref="Options"/>: a group's write bit the umask took is given back.</summary>
    /// <param name="path">The file.</param>
    /// <param name="options">From <see cref="Options"/>, perhaps with more set (a preallocation).</param>
    /// <returns>The open stream.</returns>
    public static FileStream Open(string path, FileStreamOptions options)
    {
        var stream = new FileStream(path, options);
        if (!OperatingSystem.IsWindows() && options.UnixCreateMode is { } created && (created & UnixFileMode.GroupWrite) != 0)
        {
            try
            {
                // mkdir and open apply the umask (022 takes the group's write bit); fchmod does not.
                if ((System.IO.File.GetUnixFileMode(stream.SafeFileHandle) & UnixFileMode.GroupWrite) == 0)
                {
                    System.IO.File.SetUnixFileMode(stream.SafeFileHandle, created);
                }
            }
            catch (UnauthorizedAccessException)
            {
                // Another member of the group made it: its mode is theirs to have set.
            }
        }

        return stream;
    }

    /// <summary>The options of a stream that creates its file 0600, or with its shared folder's group bits (when <paramref name="mode"/> may create it).</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">How to open it.</param>
    /// <param name="access">What the stream may do.</param>
    /// <param name="share">What others may do meanwhile.</param>
    /// <param name="bufferSize">The stream's buffer (0: none).</param>
    /// <returns>Options for <see cref="FileStream"/>; open with <see cref="Open(string, FileStreamOptions)"/>.</returns>
    public static FileStreamOptions Options(string path, FileMode mode, FileAccess access, FileShare share = FileShare.Read, int bufferSize = 0)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows() && mode is FileMode.CreateNew or FileMode.Create or FileMode.OpenOrCreate)
        {
            options.UnixCreateMode = File | (SharedGroupBits(Path.GetDirectoryName(Path.GetFullPath(path))) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite));
        }

        return options;
    }

    /// <summary>Creates <paramref name="path"/> and any folder above it that is missing, 0700 (or with the shared folder's group bits); one that exists is left as it is.</summary>
    /// <param name="path">The folder.</param>
    /// <returns>The folder.</returns>
    public static DirectoryInfo CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }

        if (Directory.Exists(path))
        {
            return new DirectoryInfo(path);
        }

        var group = SharedGroupBits(Path.GetDirectoryName(Path.GetFullPath(path)));
        if (group == 0)
        {
            return Directory.CreateDirectory(path, Folder);
        }

        var folderMode = Folder | group | UnixFileMode.SetGroup;
        var created = Directory.CreateDirectory(path, folderMode);
        if ((System.IO.File.GetUnixFileMode(path) & group) != group)
        {
            // The umask took a group bit (022 takes write); the set-group-id bit Linux copies from the parent.
            System.IO.File.SetUnixFileMode(path, folderMode);
        }

        return created;
    }

    /// <summary>
    /// The group bits a shared folder passes on: those of <paramref name="folder"/> (or of the
    /// nearest folder above it that exists) when its set-group-id bit is set; none otherwise.
    /// </summary>
    /// <param name="folder">The folder, or null.</param>
    /// <returns>Group bits; 0 for a private folder.</returns>
    public static UnixFileMode SharedGroupBits(string? folder)
    {
        if (OperatingSystem.IsWindows())
        {
            return 0;
        }

        while (folder is not null && !Directory.Exists(folder))
        {
            folder = Path.GetDirectoryName(folder);
        }

        if (folder is null)
        {
            return 0;
        }

        var mode = System.IO.File.GetUnixFileMode(folder);
        return (mode & UnixFileMode.SetGroup) != 0 ? mode & GroupBits : 0;
    }

    /// <summary>Creates an empty file 0600 (or with its shared folder's group bits) at <paramref name="path"/> unless one is there (a database its engine then opens: SQLite gives its journal and WAL files the database's mode).</summary>
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
