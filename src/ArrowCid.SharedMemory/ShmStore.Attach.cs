using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Validation;
using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

// Attach: a batch (or an arena slot's bytes) by CID, leased, mapped and verified; a file for programs that map one.
public sealed partial class ShmStore
{
    /// <summary>
    /// Maps the segment of <paramref name="cid"/> read-only and returns its batch without copying
    /// (buffers point into the mapping), after verifying it as <see cref="ShmStoreOptions.Verification"/>
    /// says. The batch holds a lease: dispose it to let the segment go.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">No segment holds the CID.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The segment does not hash to the CID or is not a valid stream.</exception>
    public RecordBatch Attach(Cid cid) => TryAttach(cid) ?? throw new ShmSegmentNotFoundException(cid);

    /// <summary>Like <see cref="Attach"/>, but null when no segment holds the CID.</summary>
    /// <exception cref="ArgumentException">Not a raw sha2-256 CID (a table of several chunks is attached with <see cref="AttachTable"/>).</exception>
    public RecordBatch? TryAttach(Cid cid) => TryAttach(cid, out _);

    private RecordBatch? TryAttach(Cid cid, out long length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec != Multicodec.Raw || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException(cid.Codec == Multicodec.DagCbor
                ? $"{cid}: a table of several chunks, not one batch: attach it with AttachTable or AttachChunks"
                : $"{cid}: segments hold raw sha2-256 CIDs (bafkrei…)", nameof(cid));
        }

        if (ArenaIfAny() is { } arena && TryAttachFromArena(arena, cid, out length) is { } fromArena)
        {
            return fromArena;
        }

        string path = _layout.SegmentPath(cid);
        var batch = SegmentAttacher.TryAttach(cid, path, _options.Verification, out length);
        if (batch is not null)
        {
            Touch(path);
        }

        return batch;
    }

    private RecordBatch? TryAttachFromArena(ShmArenas arenas, Cid cid, out long length)
    {
        // No system call here: the arena is mapped already and the lease is a count in it.
        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        length = bytes.Length;
        if (arena is null)
        {
            return null;
        }

        var owner = new SharedLease(new ArenaLease(arena, slot));
        try
        {
            bool hash = _options.Verification == SegmentVerification.Full || !arena.OwnPrivate;
            // Only described when something is refused; the label costs nothing otherwise.
            var where = new ArenaLocation(arena.Path, offset);
            if (hash)
            {
                SegmentAttacher.VerifyHash(cid, where, bytes.Span);
            }

            return SegmentAttacher.ReadSingleBatch(where, bytes, owner, hash ? ValidationLevel.Full : ValidationLevel.Structural);
        }
        finally
        {
            owner.Release();
        }
    }

    /// <summary>
    /// The canonical bytes of a batch held in the arena, in place (no copy) under a lease and
    /// checked against the CID — always hashed, whatever <see cref="ShmStoreOptions.Verification"/>
    /// says, since the caller may hand them to another host. For servers that send a block's bytes
    /// as they are (Flight DoGet); a batch with a segment file of its own is mapped from
    /// <see cref="PathOf"/> instead. Dispose the result to let the slot go.
    /// </summary>
    /// <returns>The leased bytes, or null when no arena slot holds the CID (a manifest node never does).</returns>
    /// <exception cref="ShmSegmentCorruptedException">The slot does not hash to the CID.</exception>
    /// <exception cref="ArgumentException">Neither a raw nor a dag-cbor sha2-256 CID.</exception>
    public ShmLeasedBytes? TryLeaseArenaBytes(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        if (cid.Codec is not (Multicodec.Raw or Multicodec.DagCbor) || cid.Hash.Code != Multicodec.Sha2256)
        {
            throw new ArgumentException($"{cid}: segments hold raw sha2-256 CIDs (bafkrei…), manifest nodes dag-cbor ones (bafyrei…)", nameof(cid));
        }

        if (ArenaFor(cid) is not { } arenas)
        {
            return null;
        }

        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        if (arena is null)
        {
            return null;
        }

        var lease = new ArenaLease(arena, slot);
        try
        {
            var where = new ArenaLocation(arena.Path, offset);
            SegmentAttacher.VerifyHash(cid, where, bytes.Span);
            return new ShmLeasedBytes(bytes, where.ToString(), lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <summary>Whether a segment file or the arena holds <paramref name="cid"/>.</summary>
    public bool Contains(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        return (ArenaFor(cid) is { } arena && arena.Contains(cid.Hash.Digest)) || File.Exists(_layout.SegmentPath(cid));
    }

    /// <summary>
    /// The segment file that holds (or would hold) <paramref name="cid"/>. A batch in the arena has
    /// no file of its own until <see cref="SegmentFile"/> gives it one.
    /// </summary>
    public string PathOf(Cid cid) => _layout.SegmentPath(cid);

    /// <summary>
    /// A segment file holding exactly the canonical bytes of <paramref name="cid"/>, for programs
    /// that map a file (pyarrow, apache-arrow): the existing file, or for a batch in the arena a new
    /// one, copied once from its slot after verifying the slot hashes to the CID.
    /// </summary>
    /// <exception cref="ShmSegmentNotFoundException">Neither a file nor the arena holds the CID.</exception>
    /// <exception cref="ShmSegmentCorruptedException">The arena slot does not hash to the CID.</exception>
    public string SegmentFile(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        string path = _layout.SegmentPath(cid);
        if (File.Exists(path))
        {
            return path;
        }

        if (ArenaFor(cid) is not { } arenas)
        {
            throw new ShmSegmentNotFoundException(cid);
        }

        var (arena, slot) = arenas.TryLease(cid.Hash.Digest, out var bytes, out long offset);
        if (arena is null)
        {
            // Evicted (perhaps into a file) since we looked.
            return File.Exists(path) ? path : throw new ShmSegmentNotFoundException(cid);
        }

        try
        {
            SegmentAttacher.VerifyHash(cid, new ArenaLocation(arena.Path, offset), bytes.Span);
            if (WriteSegmentFile(cid, bytes.Span))
            {
                _control.AddBytes(bytes.Length);
            }

            return path;
        }
        finally
        {
            arena.Release(slot);
        }
    }

    private static void Touch(string path)
    {
        try
        {
            // Eviction's recency: mapped reads do not move atime, so attach stamps it.
            File.SetLastAccessTimeUtc(path, DateTime.UtcNow);
        }
        catch (UnauthorizedAccessException)
        {
            // A group member cannot stamp the owner's file: recency then follows publish order.
        }
    }

    // As Touch(string), through a handle already open on the file (futimens: no path lookup).
    private static void Touch(Microsoft.Win32.SafeHandles.SafeFileHandle file)
    {
        try
        {
            File.SetLastAccessTimeUtc(file, DateTime.UtcNow);
        }
        catch (UnauthorizedAccessException)
        {
            // A group member cannot stamp the owner's file: recency then follows publish order.
        }
    }
}
