using System.Text;

using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// The one pin policy of every put that stores several blocks before the one that keeps them (a
/// <see cref="TableWriter"/>, a CAR import, a table copy): each block it stores is held by the
/// guard, so a concurrent <see cref="LocalRepository.Gc"/> — in this process or another — cannot
/// remove it before the table, name or root that will keep it is registered.
/// </summary>
/// <remarks>
/// A guard's holds are not registry pins: they are lines in a guard file of its own,
/// <c>guards/&lt;pid&gt;-&lt;id&gt;.held</c>, which the guard keeps open under a shared flock(2)
/// (how .NET maps FileShare on Unix) for as long as it lives. A collection, under the exclusive
/// repository lock, keeps every CID listed in a file it cannot lock exclusively (a live put), and
/// deletes the files it can (the put's process died: the kernel dropped its lock). So a put killed
/// halfway leaves its chunks registered and unpinned, for the next collection, rather than pinned
/// forever as a registry pin would be; and a pin a user set is never the guard's to release.
/// Holds are written under the shared repository lock, before the block's row is submitted, so a
/// collection never sees a guarded block without its hold. Thread-safe; one guard per put.
/// </remarks>
internal sealed class PinGuard(LocalRepository repository)
{
    /// <summary>The folder of guard files inside the repository.</summary>
    public const string FolderName = "guards";

    private const string Extension = ".held";

    private readonly object _gate = new();
    private readonly HashSet<Cid> _held = [];
    private FileStream? _file;
    private string? _path;

    /// <summary>
    /// Holds <paramref name="cid"/> until <see cref="Release"/>. Called by the repository under its
    /// shared lock, before the block's row is submitted; the line reaches the file (the kernel's
    /// cache: only a live process's holds matter) before this returns.
    /// </summary>
    /// <param name="cid">A block the put stored or found stored.</param>
    internal void Hold(Cid cid)
    {
        lock (_gate)
        {
            if (!_held.Add(cid))
            {
                return;
            }

            _file ??= Create();
            _file.Write(Encoding.ASCII.GetBytes(cid.ToString() + "\n"));
        }
    }

    /// <summary>
    /// Lets every hold go: the guard file is deleted, so whatever keeps the blocks now (a table's
    /// pin, a name's version, a user's pin) decides. Releasing twice does nothing more.
    /// </summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_file is null)
            {
                return;
            }

            // Deleted while still locked: a collection never finds it unlocked and half-read.
            Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Delete, _path!);
            File.Delete(_path!);
            _file.Dispose();
            _file = null;
            _held.Clear();
        }
    }

    private FileStream Create()
    {
        string folder = Path.Combine(repository.Root, FolderName);
        Arrow.IO.PrivateFiles.CreateFolder(folder);
        _path = Path.Combine(folder, $"{Environment.ProcessId}-{Guid.NewGuid():N}{Extension}");

        // FileShare other than None is a shared flock: a collection's exclusive probe fails while it lives.
        Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Create, _path);
        return Arrow.IO.PrivateFiles.Open(_path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>
    /// What live guards hold in the repository at <paramref name="root"/>, deleting the guard files
    /// of dead puts. Call under the exclusive repository lock, so no hold is being written.
    /// </summary>
    /// <param name="root">The repository folder.</param>
    /// <param name="abandoned">How many guard files of dead puts were deleted.</param>
    /// <returns>The CIDs live guards hold.</returns>
    internal static HashSet<Cid> ListHeld(string root, out int abandoned)
    {
        abandoned = 0;
        var held = new HashSet<Cid>();
        string folder = Path.Combine(root, FolderName);
        if (!Directory.Exists(folder))
        {
            return held;
        }

        foreach (string path in Directory.EnumerateFiles(folder, "*" + Extension))
        {
            switch (DeleteIfAbandoned(path))
            {
                case GuardFile.Deleted:
                    abandoned++;
                    continue;
                case GuardFile.Gone:
                    continue;
            }

            string text;
            try
            {
                using var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                text = new StreamReader(reader, Encoding.ASCII).ReadToEnd();
            }
            catch (FileNotFoundException)
            {
                // Released between the probe and the read: it holds nothing any more.
                continue;
            }

            foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // Lines are written whole under the shared lock; one that does not parse holds nothing.
                if (Cid.TryParse(line, out var cid))
                {
                    held.Add(cid);
                }
            }
        }

        return held;
    }

    // Deletes the file when its put is dead (an exclusive lock is granted).
    private static GuardFile DeleteIfAbandoned(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
            {
                File.Delete(path);
            }

            return GuardFile.Deleted;
        }
        catch (FileNotFoundException)
        {
            return GuardFile.Gone;
        }
        catch (IOException)
        {
            // Locked: a live put holds it.
            return GuardFile.Live;
        }
    }

    private enum GuardFile
    {
        Live,
        Deleted,
        Gone,
    }
}
