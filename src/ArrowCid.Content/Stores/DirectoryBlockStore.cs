using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Stores;

/// <summary>
/// One file per block under a root folder, sharded
/// <c>&lt;root&gt;/&lt;two characters before the last of the CID&gt;/&lt;CID text&gt;</c>.
/// A block is written to a uniquely named temporary file in its shard folder, fsynced, renamed over
/// its final name (atomic on POSIX file systems) and the folder is fsynced; only then does
/// <see cref="Put(Cid, ReadOnlySpan{byte})"/> return. A reader therefore sees a whole block or
/// none, two processes writing the same CID at once each rename an identical file into place, and
/// a crash leaves at most a temporary file, which <see cref="Enumerate"/> ignores and
/// <see cref="CleanTempFiles"/> removes.
/// </summary>
public sealed class DirectoryBlockStore : IBlockStore
{
    private const int CopyChunkSize = 1 << 16;

    /// <summary>Opens (creating if needed) a store rooted at <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding the shard folders.</param>
    /// <param name="verifyOnRead">
    /// Re-hash every block read and raise <see cref="BlockCorruptedException"/> on a mismatch. Files
    /// on disk can be damaged or edited behind the store's back, so turn this on wherever the bytes
    /// leave the host or feed a decision.
    /// </param>
    public DirectoryBlockStore(string root, bool verifyOnRead = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        VerifyOnRead = verifyOnRead;
        Directory.CreateDirectory(Root);
    }

    /// <summary>The store's root folder (absolute).</summary>
    public string Root { get; }

    /// <summary>Whether reads re-hash the content.</summary>
    public bool VerifyOnRead { get; }

    /// <summary>
    /// The file that holds (or would hold) a block. Callers may map or read it, never write it: it
    /// is replaced only by rename, so an open handle keeps seeing the bytes it opened.
    /// </summary>
    /// <param name="cid">The block's CID.</param>
    /// <returns>The absolute path.</returns>
    public string GetBlockPath(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        string text = cid.ToString();
        return Path.Combine(Root, BlockShards.ShardOf(text), text);
    }

    /// <inheritdoc/>
    public bool Has(Cid cid) => File.Exists(GetBlockPath(cid));

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> Read(Cid cid) =>
        TryRead(cid, out var block) ? block : throw new BlockNotFoundException(cid);

    /// <inheritdoc/>
    public bool TryRead(Cid cid, out ReadOnlyMemory<byte> block)
    {
        block = default;
        FileStream? file = TryOpen(GetBlockPath(cid));
        if (file == null)
        {
            return false;
        }

        using (file)
        {
            long length = file.Length;
            if (length > Array.MaxLength)
            {
                throw new InvalidOperationException($"Block {cid} is {length} bytes, more than one array holds; use OpenRead.");
            }

            byte[] bytes = new byte[length];
            int read = file.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);

            // Block files are never rewritten in place, so a short read means the file was cut behind our back.
            if (read != bytes.Length || (VerifyOnRead && !cid.Verify(bytes)))
            {
                throw new BlockCorruptedException(cid, $"Stored block file of {length} bytes does not hash to its CID");
            }

            block = bytes;
            return true;
        }
    }

    /// <inheritdoc/>
    public Stream OpenRead(Cid cid)
    {
        FileStream file = TryOpen(GetBlockPath(cid)) ?? throw new BlockNotFoundException(cid);
        return VerifyOnRead ? new VerifyingReadStream(file, cid) : file;
    }

    /// <inheritdoc/>
    public bool TryGetSize(Cid cid, out long size)
    {
        var info = new FileInfo(GetBlockPath(cid));
        size = info.Exists ? info.Length : 0;
        return info.Exists;
    }

    /// <inheritdoc/>
    public void Put(Cid cid, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!cid.Verify(block))
        {
            throw new BlockCorruptedException(cid, $"Content of {block.Length} bytes does not hash to the CID it was offered under");
        }

        Write(cid, block);
    }

    /// <summary>
    /// Stores a block that was hashed to its CID when it was made (<see cref="HashedBlock"/>): the
    /// same durable write as <see cref="Put(Cid, ReadOnlySpan{byte})"/>, without hashing it again.
    /// </summary>
    /// <param name="block">The block.</param>
    public void Put(HashedBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        Write(block.Cid, block.Bytes.Span);
    }

    // The bytes are known to hash to the CID.
    private void Write(Cid cid, ReadOnlySpan<byte> block)
    {
        string path = GetBlockPath(cid);
        if (IsIntact(cid, path))
        {
            return;
        }

        string temp = CreateTempPath(path);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                file.Write(block);
                file.Flush(flushToDisk: true);
            }

            Publish(temp, path);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <summary>
    /// Stores content that <paramref name="writeContent"/> produces and names it by what was
    /// written: the bytes go to a temp file through SHA-256 in one pass (small writes gathered in a
    /// pooled buffer and written at once, large buffers hashed and written side by side), and the
    /// file is published under the resulting raw CID (fsync, rename, folder fsync, as
    /// <see cref="Put(Cid, ReadOnlySpan{byte})"/>). The CID cannot disagree with the bytes, so
    /// nothing is hashed twice and no copy is held. A block already stored is replaced by the
    /// identical new file (a rename costs less than re-hashing the old one to prove it intact).
    /// </summary>
    /// <param name="writeContent">Writes the block's content (and nothing else: it knows no registry).</param>
    /// <returns>The raw CID and the length written.</returns>
    public (Cid Cid, long Length) PutRaw(Action<Stream> writeContent)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        string staging = Path.Combine(Root, ".staging");
        Directory.CreateDirectory(staging);
        string temp = Path.Combine(staging, $".{Guid.NewGuid():N}.tmp");
        try
        {
            Cid cid;
            long length;
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            using (var hashing = new HashingStream(file))
            {
                writeContent(hashing);
                byte[] digest = hashing.FinishHash();
                file.Flush(flushToDisk: true);
                length = hashing.Length;
                cid = Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, digest));
            }

            string path = GetBlockPath(cid);
            // The shard folder exists (CreateTempPath makes it) before the rename lands in it.
            _ = CreateTempPath(path);
            Publish(temp, path);
            return (cid, length);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <inheritdoc/>
    public void Put(Cid cid, Stream content)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(content);
        string path = GetBlockPath(cid);
        string temp = CreateTempPath(path);
        try
        {
            long length = 0;
            using (var hasher = new BlockHasher(cid))
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                byte[] chunk = new byte[CopyChunkSize];
                int read;
                while ((read = content.Read(chunk)) > 0)
                {
                    hasher.Append(chunk.AsSpan(0, read));
                    file.Write(chunk, 0, read);
                    length += read;
                }

                // The check comes before the rename: a wrong block is never visible under the CID.
                if (!hasher.Matches())
                {
                    throw new BlockCorruptedException(cid, $"Content of {length} bytes does not hash to the CID it was offered under");
                }

                file.Flush(flushToDisk: true);
            }

            if (!IsIntact(cid, path))
            {
                Publish(temp, path);
            }
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    /// <inheritdoc/>
    public bool Delete(Cid cid)
    {
        string path = GetBlockPath(cid);
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        DurableFile.FlushDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <inheritdoc/>
    public IEnumerable<Cid> Enumerate()
    {
        foreach (string shardPath in SafeEnumerate(() => Directory.EnumerateDirectories(Root)))
        {
            string shard = Path.GetFileName(shardPath);
            if (shard.Length != BlockShards.ShardLength)
            {
                continue;
            }

            foreach (string filePath in SafeEnumerate(() => Directory.EnumerateFiles(shardPath)))
            {
                if (BlockShards.CidOfFileName(Path.GetFileName(filePath), shard) is { } cid)
                {
                    yield return cid;
                }
            }
        }
    }

    /// <summary>
    /// Removes temporary files left by writers that died before renaming them. A live writer's
    /// temporary file is young, so pass an age it cannot reach (or zero when no writer can be
    /// running, as under the repository's exclusive lock).
    /// </summary>
    /// <param name="olderThan">Only files last written longer ago than this are removed.</param>
    /// <returns>How many files were removed.</returns>
    public int CleanTempFiles(TimeSpan olderThan)
    {
        DateTime cutoff = DateTime.UtcNow - olderThan;
        int removed = 0;
        foreach (string filePath in ListTempFiles())
        {
            if (File.GetLastWriteTimeUtc(filePath) <= cutoff && DeleteQuietly(filePath))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The temporary files now in the store: live writers' and dead writers' alike.</summary>
    /// <returns>Their absolute paths.</returns>
    public IReadOnlyList<string> ListTempFiles()
    {
        var temps = new List<string>();
        foreach (string shardPath in SafeEnumerate(() => Directory.EnumerateDirectories(Root)))
        {
            foreach (string filePath in SafeEnumerate(() => Directory.EnumerateFiles(shardPath)))
            {
                if (BlockShards.IsTempName(Path.GetFileName(filePath)))
                {
                    temps.Add(filePath);
                }
            }
        }

        return temps;
    }

    private static FileStream? TryOpen(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Whether a good copy is already in place, so a write can be skipped; a damaged one gets replaced.</summary>
    private static bool IsIntact(Cid cid, string path)
    {
        using FileStream? existing = TryOpen(path);
        return existing != null && BlockIntegrity.Matches(cid, existing);
    }

    private string CreateTempPath(string finalPath)
    {
        string shardPath = Path.GetDirectoryName(finalPath)!;
        if (!Directory.Exists(shardPath))
        {
            Directory.CreateDirectory(shardPath);

            // The new folder's own entry must be durable before anything inside it can be.
            DurableFile.FlushDirectory(Root);
        }

        return Path.Combine(shardPath, BlockShards.TempNameFor(Path.GetFileName(finalPath)));
    }

    private static void Publish(string tempPath, string finalPath)
    {
        // rename(2) replaces the target atomically; a concurrent writer of the same CID renames
        // identical bytes, so whichever lands last changes nothing a reader can see.
        File.Move(tempPath, finalPath, overwrite: true);
        DurableFile.FlushDirectory(Path.GetDirectoryName(finalPath)!);
    }

    private static bool DeleteQuietly(string path)
    {
        try
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Enumerates a folder that may vanish or change while we look; what vanished is simply not there.</summary>
    private static IEnumerable<string> SafeEnumerate(Func<IEnumerable<string>> listing)
    {
        string[] entries;
        try
        {
            entries = listing().ToArray();
        }
        catch (DirectoryNotFoundException)
        {
            yield break;
        }

        foreach (string entry in entries)
        {
            yield return entry;
        }
    }
}
