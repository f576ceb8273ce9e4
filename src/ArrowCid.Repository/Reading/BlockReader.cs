using System.Buffers;
using System.Collections.Concurrent;
using ArrowCid.Arrow.IO;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Content.Stores.Packs;
using ArrowCid.SharedMemory;

namespace ArrowCid.Repository;

/// <summary>
/// The one way to read a stored block: mapped (or leased in place), checked against its CID, and
/// held by a lease, from wherever this host keeps it — the repository's block file first, then,
/// when a shared-memory store is attached, its segment file, then its arena slot (small batches
/// live in arena slots with no file of their own). A small block the repository keeps in a pack
/// file (<see cref="DirectoryBlockStore.Packs"/>) is read before its own file would be: a slice of
/// the mapped pack, leased through the pack's mapping.
/// <para>
/// The verification policy lives here and nowhere else. A block file is hashed when opened unless
/// its length and write time are those it had when it last hashed to its CID: block files are only
/// ever replaced by rename, so an unchanged stamp means unchanged bytes, which keeps hot content at
/// transport speed while a damaged or swapped file is still caught. A stamp is only remembered once
/// the file's write time lies a little in the past (<see cref="StampSettleTime"/>): file systems
/// keep write times at a coarse clock (a scheduler tick, a second on some), so a file rewritten
/// within the same tick as the hash would otherwise keep its stamp. An arena slot has no stamp
/// (slots are refilled in place), so it is hashed at every open; it is small (at most a slot), so
/// that costs little. A packed block is hashed at every open for the same reason: it is small (at
/// most the store's pack threshold), and a pack file's stamp changes with every append. A caller that hashes the bytes itself, or only peeks at them, may pass
/// <c>verify: false</c>: files are then mapped without hashing; arena slots are hashed all the same.
/// </para>
/// <para>
/// A caller that holds a block only briefly (a stream that sends it and lets go) may ask for
/// <see cref="BlockAccess.Read"/>: a file of at most <see cref="ReadLimit"/> bytes is then read into
/// a pooled buffer instead of mapped. Mapping and unmapping a file costs more than copying a small
/// one (the unmap flushes every core's TLB, and each page of the fresh mapping faults once);
/// the pooled buffer goes back when the lease's last reference is dropped. A server that sends the
/// same blocks again and again may ask for <see cref="BlockAccess.Keep"/>: the reader then keeps a
/// verified block file mapped (up to <see cref="KeptMappingCount"/> files and
/// <see cref="KeptMappingBytes"/> bytes) and serves later opens from that mapping after one status
/// call of the path; a file whose stamp moved is dropped and opened (and hashed) afresh. A kept
/// block deleted without <see cref="Forget"/> keeps its disk space until its mapping is dropped.
/// </para>
/// <para>Thread-safe; one reader per repository (and store) shares what it has verified.</para>
/// </summary>
public sealed class BlockReader
{
    /// <summary>How old a file's write time must be, when it is hashed, for its stamp to be remembered.</summary>
    public static readonly TimeSpan StampSettleTime = TimeSpan.FromSeconds(2);

    /// <summary>The largest block file <see cref="BlockAccess.Read"/> reads into a buffer (a chunk's or manifest node's limit); larger files are mapped.</summary>
    public const int ReadLimit = 1 << 20;

    /// <summary>The most block files <see cref="BlockAccess.Keep"/> keeps mapped (each a mapping, not an open file: <see cref="MappedFileMemory"/> closes the file once mapped).</summary>
    public const int KeptMappingCount = 4096;

    /// <summary>The most bytes of block files <see cref="BlockAccess.Keep"/> keeps mapped (address space and page tables; the pages stay the page cache's).</summary>
    public const long KeptMappingBytes = 2L << 30;

    private const int MaxRemembered = 100_000;

    private readonly KeptMappings _kept = new(KeptMappingCount, KeptMappingBytes);

    private readonly ConcurrentDictionary<(Cid Cid, BlockLocation Location), FileStamp> _verified = new();

    /// <summary>Reads the blocks of <paramref name="blocks"/> and, when given, of <paramref name="sharedMemory"/> (neither owned).</summary>
    /// <param name="blocks">The repository's block store.</param>
    /// <param name="sharedMemory">This host's shared-memory store, or null to read the repository only.</param>
    public BlockReader(DirectoryBlockStore blocks, ShmStore? sharedMemory = null)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        Blocks = blocks;
        SharedMemory = sharedMemory;
    }

    /// <summary>The repository's block store.</summary>
    public DirectoryBlockStore Blocks { get; }

    /// <summary>The shared-memory store read after the repository, if any.</summary>
    public ShmStore? SharedMemory { get; }

    /// <summary>Whether this host holds the block (a repository file, a segment file or an arena slot).</summary>
    /// <param name="cid">Any CID.</param>
    /// <returns>True when it is held.</returns>
    public bool Has(Cid cid) => Blocks.Has(cid) || (HoldsInSharedMemory(cid) && SharedMemory!.Contains(cid));

    /// <summary>The block's bytes, mapped or leased in place and checked as the class describes.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="verify">False only where the caller hashes the bytes itself or merely peeks at them: files are then not hashed.</param>
    /// <param name="access">How a block file is brought into memory: mapped, or (a small one, for a brief hold) read.</param>
    /// <returns>The leased block; dispose it.</returns>
    /// <exception cref="BlockNotFoundException">No location holds the block.</exception>
    /// <exception cref="BlockCorruptedException">The bytes found do not hash to the CID.</exception>
    public LeasedBlock Open(Cid cid, bool verify = true, BlockAccess access = BlockAccess.Map) =>
        TryOpen(cid, verify, access) ?? throw new BlockNotFoundException(cid);

    /// <summary>
    /// Called with a block whose stored copy here does not hash to its CID, before that is thrown:
    /// true when the block is held again (the damaged copy set aside, by this call or a concurrent
    /// one, and the block stored again from where it is kept durably: a node whose disk caches a
    /// durable tier), so the open is tried once more and throws if it finds damage again; false,
    /// or unset, to throw. It may block while the block is fetched.
    /// </summary>
    public Func<Cid, bool>? DamagedCopy { get; set; }

    /// <summary>Like <see cref="Open"/>, but null when no location holds the block.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="verify">False only where the caller hashes the bytes itself or merely peeks at them.</param>
    /// <param name="access">How a block file is brought into memory: mapped, or (a small one, for a brief hold) read.</param>
    /// <returns>The leased block, or null.</returns>
    /// <exception cref="BlockCorruptedException">The bytes found do not hash to the CID (and <see cref="DamagedCopy"/> did not restore it).</exception>
    public LeasedBlock? TryOpen(Cid cid, bool verify = true, BlockAccess access = BlockAccess.Map)
    {
        ArgumentNullException.ThrowIfNull(cid);
        try
        {
            return TryOpenOnce(cid, verify, access);
        }
        catch (BlockCorruptedException) when (DamagedCopy is not null)
        {
            if (!DamagedCopy(cid))
            {
                throw;
            }
        }

        // Stored again: opened and hashed afresh (a copy damaged again is thrown this time).
        return TryOpenOnce(cid, verify, access);
    }

    private LeasedBlock? TryOpenOnce(Cid cid, bool verify, BlockAccess access)
    {
        // The pack index first (a dictionary lookup), then the block's own file; only when neither has
        // it are the packs searched for one another process appended since (which stats the file
        // again and may list the packs): a held file block costs no status call of its own.
        if (TryOpenPacked(cid, verify, access, searchPacks: false) is { } indexed)
        {
            return indexed;
        }

        string path = Blocks.GetBlockPath(cid);
        // Windows cannot delete a mapped file, so nothing is kept mapped there.
        if (access == BlockAccess.Keep && verify && !OperatingSystem.IsWindows() && TryOpenKept(cid, path) is { } kept)
        {
            return kept;
        }

        if (TryOpenFile(cid, BlockLocation.RepositoryFile, path, verify, access) is { } stored)
        {
            return stored;
        }

        if (TryOpenPacked(cid, verify, access, searchPacks: true) is { } packed)
        {
            return packed;
        }

        if (!HoldsInSharedMemory(cid))
        {
            return null;
        }

        return TryOpenFile(cid, BlockLocation.SegmentFile, SharedMemory!.PathOf(cid), verify, access) ?? TryLeaseArenaSlot(cid);
    }

    /// <summary>Forgets what was verified of a CID, so its next open hashes it (after a delete, or before a check that must not trust the past).</summary>
    /// <param name="cid">Any CID.</param>
    public void Forget(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        _verified.TryRemove((cid, BlockLocation.RepositoryFile), out _);
        _verified.TryRemove((cid, BlockLocation.SegmentFile), out _);
        _kept.Drop(cid);
    }

    /// <summary>How many block files <see cref="BlockAccess.Keep"/> holds mapped now (for tests and diagnostics).</summary>
    public int KeptMappings => _kept.Count;

    /// <summary>
    /// The repository's file of a block, open for reading straight into a caller's memory, when it is
    /// at most <see cref="ReadLimit"/> bytes and its length and write time (read from the open file)
    /// are those it had when it last hashed to its CID here; else null, and the caller opens the
    /// block with <see cref="Open"/>, which hashes it (and, once the file has settled, remembers it).
    /// One open, one status call and the reads: for a server that copies a held block to a socket
    /// without a buffer of its own, under the same verification policy as <see cref="Open"/>.
    /// </summary>
    /// <param name="cid">Any CID.</param>
    /// <returns>The open, verified file (dispose it), or null.</returns>
    public VerifiedBlockFile? TryOpenVerifiedFile(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);

        // Never hashed here (or a packed block, which has no file): the caller opens it with Open.
        // Looked up before the open so such a block costs no system call here.
        if (!_verified.TryGetValue((cid, BlockLocation.RepositoryFile), out var known))
        {
            return null;
        }

        string path = Blocks.GetBlockPath(cid);
        Microsoft.Win32.SafeHandles.SafeFileHandle file;
        try
        {
            file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            var stamp = new FileStamp(RandomAccess.GetLength(file), File.GetLastWriteTimeUtc(file));
            if (stamp.Length <= ReadLimit && known == stamp)
            {
                return new VerifiedBlockFile(cid, file, (int)stamp.Length, path);
            }
        }
        catch
        {
            file.Dispose();
            throw;
        }

        file.Dispose();
        return null;
    }

    // BlockAccess.Keep: the kept mapping of a verified repository file whose path still has the
    // stamp it was verified under, or a fresh mapping of it, kept; null when the block is to be
    // opened as BlockAccess.Read (never verified here, changed, gone, too large, or no room).
    private LeasedBlock? TryOpenKept(Cid cid, string path)
    {
        if (!_verified.TryGetValue((cid, BlockLocation.RepositoryFile), out var known))
        {
            return null;
        }

        var status = new FileInfo(path);
        if (!status.Exists || new FileStamp(status.Length, status.LastWriteTimeUtc) != known || known.Length > ReadLimit)
        {
            _kept.Drop(cid);
            return null;
        }

        DateTime now = DateTime.UtcNow;
        if (_kept.TryAcquire(cid, known, now) is { } hit)
        {
            return new LeasedBlock(cid, hit.Memory, new SharedLease(hit.Reference), BlockLocation.RepositoryFile, path);
        }

        if (!_kept.HasRoomFor(known.Length, now))
        {
            return null;
        }

        MappedFileMemory mapping;
        try
        {
            // As in TryOpenFile, the stamp that vouches for the bytes is read from the open file that is mapped.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            if (new FileStamp(file.Length, File.GetLastWriteTimeUtc(file.SafeFileHandle)) != known)
            {
                return null;
            }

            mapping = MappedFileMemory.Map(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        // Another open may have filled the room since: the mapping then serves this open alone.
        IDisposable reference = _kept.TryKeep(cid, known, mapping, now) ?? mapping;
        return new LeasedBlock(cid, mapping.Memory, new SharedLease(reference), BlockLocation.RepositoryFile, path);
    }

    private LeasedBlock? TryOpenFile(Cid cid, BlockLocation location, string path, bool verify, BlockAccess access)
    {
        ReadOnlyMemory<byte> memory;
        IDisposable owner;
        FileStamp stamp;
        try
        {
            // The stamp is read from the open file, so it describes the bytes mapped or read, not a file renamed over them since.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            stamp = new FileStamp(file.Length, File.GetLastWriteTimeUtc(file.SafeFileHandle));
            if (access != BlockAccess.Map && stamp.Length <= ReadLimit)
            {
                var buffer = PooledBlockBuffer.Read(file.SafeFileHandle, (int)stamp.Length);
                (memory, owner) = (buffer.Memory, buffer);
            }
            else
            {
                var mapping = MappedFileMemory.Map(file);
                (memory, owner) = (mapping.Memory, mapping);
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not here, or evicted or collected between the caller's check and the open.
            return null;
        }

        var block = new LeasedBlock(cid, memory, new SharedLease(owner), location, path);
        if (!verify)
        {
            return block;
        }

        var key = (cid, location);
        if (_verified.TryGetValue(key, out var known) && known == stamp)
        {
            return block;
        }

        DateTime hashedAt = DateTime.UtcNow;
        if (!cid.Verify(block.Memory.Span))
        {
            block.Dispose();
            _verified.TryRemove(key, out _);
            throw new BlockCorruptedException(cid, $"the stored copy at {path} ({stamp.Length} bytes) does not hash to its CID");
        }

        if (stamp.Written < hashedAt - StampSettleTime)
        {
            if (_verified.Count >= MaxRemembered)
            {
                _verified.Clear();
            }

            _verified[key] = stamp;
        }

        return block;
    }

    // A slice of the mapped pack (or, read briefly, a pooled copy), hashed at every verified open.
    // searchPacks: false looks in this process's pack index only; true also searches the packs for
    // records other processes appended (DirectoryBlockStore.TryGetPacked).
    private LeasedBlock? TryOpenPacked(Cid cid, bool verify, BlockAccess access, bool searchPacks)
    {
        // A second try covers a pack another process compacted away since this one indexed it.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            PackedBlock packed;
            if (!(searchPacks ? Blocks.TryGetPacked(cid, out packed) : Blocks.Packs.TryLocate(cid, out packed)))
            {
                return null;
            }

            ReadOnlyMemory<byte> memory;
            IDisposable owner;
            if (access != BlockAccess.Map)
            {
                var buffer = PooledBlockBuffer.Rent(packed.Length);
                if (!Blocks.Packs.TryRead(packed, buffer.Writable))
                {
                    buffer.Dispose();
                    Blocks.Packs.Refresh();
                    continue;
                }

                (memory, owner) = (buffer.Memory, buffer);
            }
            else if (Blocks.Packs.Map(packed) is { } mapped)
            {
                (memory, owner) = mapped;
            }
            else
            {
                Blocks.Packs.Refresh();
                continue;
            }

            string where = $"{Blocks.Packs.PathOf(packed.Pack)}@{packed.Offset}";
            var block = new LeasedBlock(cid, memory, new SharedLease(owner), BlockLocation.RepositoryPack, where);
            if (verify && !cid.Verify(memory.Span))
            {
                block.Dispose();
                throw new BlockCorruptedException(cid, $"the packed copy at {where} ({packed.Length} bytes) does not hash to its CID");
            }

            return block;
        }

        return null;
    }

    // Served in place under the slot's lease, which ShmStore hashes at every lease.
    private LeasedBlock? TryLeaseArenaSlot(Cid cid)
    {
        ShmLeasedBytes? leased;
        try
        {
            leased = SharedMemory!.TryLeaseArenaBytes(cid);
        }
        catch (ShmSegmentCorruptedException e)
        {
            throw new BlockCorruptedException(cid, e.Message);
        }

        return leased is null ? null : new LeasedBlock(cid, leased.Memory, new SharedLease(leased), BlockLocation.ArenaSlot, leased.Location);
    }

    // The shared-memory store holds raw sha2-256 blocks only.
    private bool HoldsInSharedMemory(Cid cid) =>
        SharedMemory is not null && cid.Codec == Multicodec.Raw && cid.Hash.Code == Multicodec.Sha2256;

    /// <summary>A small block file's bytes in a buffer from the shared pool, returned when disposed (by the lease's last reference).</summary>
    private sealed class PooledBlockBuffer : IDisposable
    {
        private byte[]? _array;

        private PooledBlockBuffer(byte[] array, int length)
        {
            _array = array;
            Memory = array.AsMemory(0, length);
        }

        public ReadOnlyMemory<byte> Memory { get; }

        /// <summary>The buffer's bytes, for filling right after <see cref="Rent"/>.</summary>
        public Span<byte> Writable => _array.AsSpan(0, Memory.Length);

        /// <summary>A buffer of <paramref name="length"/> bytes to fill.</summary>
        public static PooledBlockBuffer Rent(int length) => new(ArrayPool<byte>.Shared.Rent(length), length);

        /// <summary>Reads the first <paramref name="length"/> bytes of the open file (the length it had when opened).</summary>
        public static PooledBlockBuffer Read(Microsoft.Win32.SafeHandles.SafeFileHandle file, int length)
        {
            byte[] array = ArrayPool<byte>.Shared.Rent(length);
            try
            {
                // Block files are replaced by rename, never truncated; a short file is damage the hash check reports.
                int filled = PositionalRead.Fill(file, array.AsSpan(0, length), 0);
                return new PooledBlockBuffer(array, filled);
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(array);
                throw;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}

/// <summary>A block file's length and write time: unchanged means the bytes are those that were hashed (files are replaced by rename only).</summary>
internal readonly record struct FileStamp(long Length, DateTime Written);
