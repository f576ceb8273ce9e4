using System.Buffers;
using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores.Packs;

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
/// <para>
/// Blocks of at most <see cref="PackThreshold"/> bytes are appended to pack files instead
/// (<see cref="Packs"/>, in <c>&lt;root&gt;/packs/</c>): a file, an fsync, a rename and a folder
/// fsync per small block cost far more than the block, on disk and in time. Every read, listing
/// and deletion looks in both places, so a store written with either layout reads the same.
/// </para>
/// </summary>
public sealed class DirectoryBlockStore : IBlockStore, IDisposable
{
    private const int CopyChunkSize = 1 << 16;

    /// <summary>Opens (creating if needed) a store rooted at <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding the shard folders.</param>
    /// <param name="verifyOnRead">
    /// Re-hash every block read and raise <see cref="BlockCorruptedException"/> on a mismatch. Files
    /// on disk can be damaged or edited behind the store's back, so turn this on wherever the bytes
    /// leave the host or feed a decision.
    /// </param>
    /// <param name="packThreshold">Blocks of at most this many bytes go to pack files (0: every block gets a file of its own).</param>
    public DirectoryBlockStore(string root, bool verifyOnRead = false, int packThreshold = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentOutOfRangeException.ThrowIfNegative(packThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packThreshold, MaxPackThreshold);
        Root = Path.GetFullPath(root);
        VerifyOnRead = verifyOnRead;
        PackThreshold = packThreshold;
        PrivateFiles.CreateFolder(Root);
        Packs = new PackStore(Path.Combine(Root, PackStore.FolderName));
    }

    /// <summary>The largest <see cref="PackThreshold"/> allowed: a pack holds small blocks; large ones keep files (mapped, sent with sendfile).</summary>
    public const int MaxPackThreshold = 1 << 20;

    /// <summary>Blocks of at most this many bytes are written to pack files; larger ones to files of their own.</summary>
    public int PackThreshold { get; }

    /// <summary>The pack files small blocks are appended to.</summary>
    public PackStore Packs { get; }

    /// <summary>Seals this process's pack (see <see cref="PackStore.Dispose"/>).</summary>
    public void Dispose() => Packs.Dispose();

    /// <summary>Whether a block lies in a pack (not in a file of its own).</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="block">Where, when packed.</param>
    /// <returns>True when packed.</returns>
    public bool TryGetPacked(Cid cid, out PackedBlock block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (Packs.TryLocate(cid, out block))
        {
            return true;
        }

        if (File.Exists(GetBlockPath(cid)))
        {
            return false;
        }

        // Appended by another process since this one last looked.
        if (Packs.Find(cid) is { } found)
        {
            block = found;
            return true;
        }

        return false;
    }

    /// <summary>The store's root folder (absolute).</summary>
    public string Root { get; }

    /// <summary>Whether reads re-hash the content.</summary>
    public bool VerifyOnRead { get; }

    /// <summary>
    /// The file that holds (or would hold) a block stored as a file of its own (a packed block has
    /// none: see <see cref="TryGetPacked"/>). Callers may map or read it, never write it: it
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
    public bool Has(Cid cid) => TryGetPacked(cid, out _) || File.Exists(GetBlockPath(cid));

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> Read(Cid cid) =>
        TryRead(cid, out var block) ? block : throw new BlockNotFoundException(cid);

    /// <inheritdoc/>
    public bool TryRead(Cid cid, out ReadOnlyMemory<byte> block)
    {
        block = default;
        if (TryReadPacked(cid) is { } packed)
        {
            block = packed;
            return true;
        }

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
        if (TryReadPacked(cid) is { } packed)
        {
            return new MemoryStream(packed, writable: false);
        }

        FileStream file = TryOpen(GetBlockPath(cid)) ?? throw new BlockNotFoundException(cid);
        return VerifyOnRead ? new VerifyingReadStream(file, cid) : file;
    }

    /// <inheritdoc/>
    public bool TryGetSize(Cid cid, out long size)
    {
        if (TryGetPacked(cid, out var packed))
        {
            size = packed.Length;
            return true;
        }

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
        if (StageHashed(cid, block).NeedsSync)
        {
            Packs.Sync();
        }
    }

    /// <summary>
    /// Stores a block hashed when it was made, for group commit: a small block is appended to this
    /// process's pack and is durable only after <see cref="SyncPacks"/>; a large one is written to
    /// its own file as <see cref="Put(HashedBlock)"/> does (durable on return).
    /// </summary>
    /// <param name="block">The block.</param>
    /// <returns>What was staged.</returns>
    public StagedBlock Stage(HashedBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return StageHashed(block.Cid, block.Bytes.Span);
    }

    /// <summary>Like <see cref="Stage(HashedBlock)"/> for bytes from outside, checked against <paramref name="cid"/> first.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="block">The content.</param>
    /// <returns>What was staged.</returns>
    /// <exception cref="BlockCorruptedException">The content does not hash to the CID; nothing was stored.</exception>
    public StagedBlock Stage(Cid cid, ReadOnlySpan<byte> block)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (!cid.Verify(block))
        {
            throw new BlockCorruptedException(cid, $"Content of {block.Length} bytes does not hash to the CID it was offered under");
        }

        return StageHashed(cid, block);
    }

    // The bytes are known to hash to the CID: a small block is appended to the pack (not synced), a large one written durably.
    private StagedBlock StageHashed(Cid cid, ReadOnlySpan<byte> block)
    {
        StoreMetrics.OfferedBytes.Add(block.Length);
        if (block.Length <= PackThreshold)
        {
            Packs.Append(cid, block);
            return new StagedBlock(cid, block.Length, NeedsSync: true);
        }

        WriteFile(cid, block);
        return new StagedBlock(cid, block.Length, NeedsSync: false);
    }

    /// <summary>Makes every block staged into a pack durable (one fsync for all of them).</summary>
    public void SyncPacks() => Packs.Sync();

    private void WriteFile(Cid cid, ReadOnlySpan<byte> block)
    {
        string path = GetBlockPath(cid);
        if (IsIntact(cid, path))
        {
            return;
        }

        StoreMetrics.NewBytes.Add(block.Length);

        string temp = CreateTempPath(path);
        try
        {
            using (var file = CreateChecked(temp))
            {
                FileFaults.Check(FileOperation.Write, temp);
                file.Write(block);
                FileFaults.Check(FileOperation.Sync, temp);
                file.Flush(flushToDisk: true);
            }

            DurableFile.Publish(temp, path);
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
        var staged = StageRaw(writeContent);
        if (staged.NeedsSync)
        {
            Packs.Sync();
        }

        return (staged.Cid, staged.Length);
    }

    /// <summary>
    /// Like <see cref="PutRaw"/>, for group commit: content of at most <see cref="PackThreshold"/>
    /// bytes is gathered in memory through SHA-256 and appended to this process's pack, durable
    /// only after <see cref="SyncPacks"/>; content that grows past it spills to a temporary file,
    /// which is fsynced and renamed as <see cref="PutRaw"/> does (durable on return).
    /// </summary>
    /// <param name="writeContent">Writes the block's content.</param>
    /// <returns>The raw CID, the length and whether a pack sync is still needed.</returns>
    public StagedBlock StageRaw(Action<Stream> writeContent)
    {
        ArgumentNullException.ThrowIfNull(writeContent);
        using var spill = new SpillingStream(PackThreshold, CreateStagingFile);
        Cid cid;
        long length;
        try
        {
            using var hashing = new HashingStream(spill);
            writeContent(hashing);
            byte[] digest = hashing.FinishHash();
            length = hashing.Length;
            cid = Cid.CreateV1(Multicodec.Raw, new Multihash(Multicodec.Sha2256, digest));
        }
        catch
        {
            if (spill.File is { } spilled)
            {
                spilled.Dispose();
                DeleteQuietly(spilled.Name);
            }

            throw;
        }

        StoreMetrics.OfferedBytes.Add(length);
        if (spill.File is not { } file)
        {
            Packs.Append(cid, spill.Buffered);
            return new StagedBlock(cid, length, NeedsSync: true);
        }

        string temp = file.Name;
        try
        {
            FileFaults.Check(FileOperation.Sync, temp);
            file.Flush(flushToDisk: true);
            file.Dispose();
            string path = GetBlockPath(cid);
            if (!File.Exists(path))
            {
                StoreMetrics.NewBytes.Add(length);
            }

            // The shard folder exists (CreateTempPath makes it) before the rename lands in it.
            _ = CreateTempPath(path);
            DurableFile.Publish(temp, path);
            return new StagedBlock(cid, length, NeedsSync: false);
        }
        finally
        {
            DeleteQuietly(temp);
        }
    }

    private FileStream CreateStagingFile()
    {
        string staging = Path.Combine(Root, ".staging");
        string path = Path.Combine(staging, $".{Guid.NewGuid():N}.tmp");
        PrivateFiles.CreateFolder(staging);
        return CreateChecked(path);
    }

    /// <inheritdoc/>
    public void Put(Cid cid, Stream content)
    {
        ArgumentNullException.ThrowIfNull(cid);
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek && content.Length - content.Position <= PackThreshold)
        {
            byte[] small = new byte[content.Length - content.Position];
            content.ReadExactly(small);
            Put(cid, small);
            return;
        }

        string path = GetBlockPath(cid);
        string temp = CreateTempPath(path);
        try
        {
            long length = 0;
            using (var hasher = new BlockHasher(cid))
            using (var file = CreateChecked(temp))
            {
                byte[] chunk = new byte[CopyChunkSize];
                int read;
                while ((read = content.Read(chunk)) > 0)
                {
                    hasher.Append(chunk.AsSpan(0, read));
                    FileFaults.Check(FileOperation.Write, temp);
                    file.Write(chunk, 0, read);
                    length += read;
                }

                // The check comes before the rename: a wrong block is never visible under the CID.
                if (!hasher.Matches())
                {
                    throw new BlockCorruptedException(cid, $"Content of {length} bytes does not hash to the CID it was offered under");
                }

                FileFaults.Check(FileOperation.Sync, temp);
                file.Flush(flushToDisk: true);
            }

            if (!IsIntact(cid, path))
            {
                DurableFile.Publish(temp, path);
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
        ArgumentNullException.ThrowIfNull(cid);
        bool packed = Packs.Delete(cid);
        string path = GetBlockPath(cid);
        if (!File.Exists(path))
        {
            return packed;
        }

        FileFaults.Check(FileOperation.Delete, path);
        File.Delete(path);
        DurableFile.FlushDirectory(Path.GetDirectoryName(path)!);
        return true;
    }

    /// <inheritdoc/>
    public IEnumerable<Cid> Enumerate()
    {
        // Walked, not gathered: the packs' CIDs as their indexes list them, then the files of blocks no pack holds.
        foreach (var cid in Packs.Enumerate())
        {
            yield return cid;
        }

        foreach (var cid in EnumerateFiles())
        {
            if (!Packs.TryLocate(cid, out _))
            {
                yield return cid;
            }
        }
    }

    /// <summary>Every block stored as a file of its own, in no particular order.</summary>
    /// <returns>The CIDs.</returns>
    public IEnumerable<Cid> EnumerateFiles()
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

    // A packed copy's bytes (hashed when the store verifies reads), or null when no pack holds the block.
    private byte[]? TryReadPacked(Cid cid)
    {
        if (!TryGetPacked(cid, out var packed))
        {
            return null;
        }

        byte[] bytes = new byte[packed.Length];
        if (!Packs.TryRead(packed, bytes) || (VerifyOnRead && !cid.Verify(bytes)))
        {
            throw new BlockCorruptedException(cid, $"Packed block of {packed.Length} bytes does not hash to its CID");
        }

        return bytes;
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
            FileFaults.Check(FileOperation.Create, shardPath);
            PrivateFiles.CreateFolder(shardPath);

            // The new folder's own entry must be durable before anything inside it can be.
            DurableFile.FlushDirectory(Root);
        }

        return Path.Combine(shardPath, BlockShards.TempNameFor(Path.GetFileName(finalPath)));
    }

    private static FileStream CreateChecked(string path)
    {
        FileFaults.Check(FileOperation.Create, path);
        return PrivateFiles.Open(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
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
