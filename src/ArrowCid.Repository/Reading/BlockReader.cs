using System.Collections.Concurrent;
using ArrowCid.Arrow.Memory;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.SharedMemory;

namespace ArrowCid.Repository;

/// <summary>
/// The one way to read a stored block: mapped (or leased in place), checked against its CID, and
/// held by a lease, from wherever this host keeps it — the repository's block file first, then,
/// when a shared-memory store is attached, its segment file, then its arena slot (small batches
/// live in arena slots with no file of their own).
/// <para>
/// The verification policy lives here and nowhere else. A block file is hashed when opened unless
/// its length and write time are those it had when it last hashed to its CID: block files are only
/// ever replaced by rename, so an unchanged stamp means unchanged bytes, which keeps hot content at
/// transport speed while a damaged or swapped file is still caught. A stamp is only remembered once
/// the file's write time lies a little in the past (<see cref="StampSettleTime"/>): file systems
/// keep write times at a coarse clock (a scheduler tick, a second on some), so a file rewritten
/// within the same tick as the hash would otherwise keep its stamp. An arena slot has no stamp
/// (slots are refilled in place), so it is hashed at every open; it is small (at most a slot), so
/// that costs little. A caller that hashes the bytes itself, or only peeks at them, may pass
/// <c>verify: false</c>: files are then mapped without hashing; arena slots are hashed all the same.
/// </para>
/// <para>Thread-safe; one reader per repository (and store) shares what it has verified.</para>
/// </summary>
public sealed class BlockReader
{
    /// <summary>How old a file's write time must be, when it is hashed, for its stamp to be remembered.</summary>
    public static readonly TimeSpan StampSettleTime = TimeSpan.FromSeconds(2);

    private const int MaxRemembered = 100_000;

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
    /// <returns>The leased block; dispose it.</returns>
    /// <exception cref="BlockNotFoundException">No location holds the block.</exception>
    /// <exception cref="BlockCorruptedException">The bytes found do not hash to the CID.</exception>
    public LeasedBlock Open(Cid cid, bool verify = true) => TryOpen(cid, verify) ?? throw new BlockNotFoundException(cid);

    /// <summary>Like <see cref="Open"/>, but null when no location holds the block.</summary>
    /// <param name="cid">The block's CID.</param>
    /// <param name="verify">False only where the caller hashes the bytes itself or merely peeks at them.</param>
    /// <returns>The leased block, or null.</returns>
    /// <exception cref="BlockCorruptedException">The bytes found do not hash to the CID.</exception>
    public LeasedBlock? TryOpen(Cid cid, bool verify = true)
    {
        ArgumentNullException.ThrowIfNull(cid);
        if (TryOpenFile(cid, BlockLocation.RepositoryFile, Blocks.GetBlockPath(cid), verify) is { } stored)
        {
            return stored;
        }

        if (!HoldsInSharedMemory(cid))
        {
            return null;
        }

        return TryOpenFile(cid, BlockLocation.SegmentFile, SharedMemory!.PathOf(cid), verify) ?? TryLeaseArenaSlot(cid);
    }

    /// <summary>Forgets what was verified of a CID, so its next open hashes it (after a delete, or before a check that must not trust the past).</summary>
    /// <param name="cid">Any CID.</param>
    public void Forget(Cid cid)
    {
        ArgumentNullException.ThrowIfNull(cid);
        _verified.TryRemove((cid, BlockLocation.RepositoryFile), out _);
        _verified.TryRemove((cid, BlockLocation.SegmentFile), out _);
    }

    private LeasedBlock? TryOpenFile(Cid cid, BlockLocation location, string path, bool verify)
    {
        MappedFileMemory mapping;
        FileStamp stamp;
        try
        {
            // The stamp is read from the open file, so it describes the bytes mapped, not a file renamed over them since.
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
            stamp = new FileStamp(file.Length, File.GetLastWriteTimeUtc(file.SafeFileHandle));
            mapping = MappedFileMemory.Map(file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Not here, or evicted or collected between the caller's check and the open.
            return null;
        }

        var block = new LeasedBlock(cid, mapping.Memory, new SharedLease(mapping), location, path);
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

    private readonly record struct FileStamp(long Length, DateTime Written);
}
