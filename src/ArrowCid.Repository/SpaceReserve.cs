namespace ArrowCid.Repository;

/// <summary>
/// Space set aside in the repository folder (one preallocated file) for the commands that free
/// space. When the disk fills, a put fails cleanly, but deleting rows also needs room: SQLite
/// writes its journal before it frees a page. So gc, unpin and repair, when the disk is full, give
/// the reserve back and try once more, and the reserve is taken again when there is room (after
/// they freed some, or the next time the repository opens). Elasticsearch and etcd keep such a
/// margin below the disk's size for the same reason.
/// </summary>
internal sealed class SpaceReserve(string path, long bytes)
{
    /// <summary>The reserve file's name in the repository folder.</summary>
    public const string FileName = "space-reserve";

    /// <summary>Sets the reserve aside unless it is there already or there is no room for it (then later).</summary>
    public void TryTake()
    {
        if (bytes <= 0 || (File.Exists(path) && new FileInfo(path).Length == bytes))
        {
            return;
        }

        try
        {
            // Preallocated (fallocate): the blocks are really the reserve's, not a sparse promise.
            Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Create, path);
            var options = Arrow.IO.PrivateFiles.Options(path, FileMode.Create, FileAccess.Write);
            options.PreallocationSize = bytes;
            using var file = Arrow.IO.PrivateFiles.Open(path, options);
            file.SetLength(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No room now (.NET reports a failed preallocation in words of its own), or a folder
            // this process may only read: a partial reserve would only take what others need.
            // Taken again later.
            TryDelete();
        }
    }

    /// <summary>Runs <paramref name="action"/>; on a full disk gives the reserve back and runs it once more; then sets the reserve aside again if it can.</summary>
    public T FreeingSpace<T>(Func<T> action)
    {
        try
        {
            return Opening(action);
        }
        finally
        {
            TryTake();
        }
    }

    /// <summary>
    /// Runs <paramref name="open"/>, which needs room (opening the registry: SQLite writes its WAL
    /// index and journal even to read); on a full disk gives the reserve back and runs it once more.
    /// The reserve is taken again later.
    /// </summary>
    public T Opening<T>(Func<T> open)
    {
        ArgumentNullException.ThrowIfNull(open);
        try
        {
            return open();
        }
        catch (Exception e) when (StorageFaults.MayBeFull(e) && Release())
        {
            return open();
        }
    }

    private void TryDelete()
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing was made, or nothing can be.
        }
    }

    private bool Release()
    {
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }
}
