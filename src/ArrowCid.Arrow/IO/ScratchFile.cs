using Microsoft.Win32.SafeHandles;

namespace ArrowCid.Arrow.IO;

/// <summary>
/// Temporary files that leave nothing behind: created in a given folder (the repository's, so they
/// count against its disk and not a small /tmp) and unlinked at once, so even a crash leaves no
/// file; the open handle keeps the data until it is disposed.
/// </summary>
public static class ScratchFile
{
    /// <summary>Creates a file named <c>&lt;prefix&gt;-&lt;guid&gt;.tmp</c> in <paramref name="folder"/>, open for reading and writing, and unlinks it.</summary>
    /// <param name="folder">Where it lives while it is open.</param>
    /// <param name="prefix">The start of its name, saying whose it is.</param>
    /// <returns>The handle, which the caller disposes.</returns>
    /// <exception cref="IOException">It could not be created (a full disk, a missing folder).</exception>
    public static SafeFileHandle Create(string folder, string prefix)
    {
        string path = Path.Combine(folder, $"{prefix}-{Guid.NewGuid():N}.tmp");
        var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Delete, FileOptions.DeleteOnClose);
        try
        {
            // Gone from the folder at once (Linux keeps it while open).
            File.Delete(path);
        }
        catch (IOException)
        {
            // Where an open file cannot be deleted, DeleteOnClose removes it at dispose.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return file;
    }
}
