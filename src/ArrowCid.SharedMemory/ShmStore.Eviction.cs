using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Arena;
using ArrowCid.SharedMemory.Native;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

// Capacity and eviction: pins, removal, the store-wide eviction lock, making room, arena slot reuse.
public sealed partial class ShmStore
{
    // Under the writer lock, for a slot about to be reused. In a store without a capacity limit
    // nothing published may disappear, so the bytes move to a segment file of their own; with a
    // limit, eviction is what the limit asks for and the bytes are dropped.
    private void OnSlotEvicted(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> bytes)
    {
        if (_options.CapacityBytes is null)
        {
            WriteSegmentFile(CidOfDigest(digest), bytes);
        }
        else
        {
            _control.AddBytes(-bytes.Length);
            ShmMetrics.Evictions.Add(1);
        }
    }

    /// <summary>Keeps the segment through eviction (it may still be removed by <see cref="Remove"/>).</summary>
    public void Pin(Cid cid) => File.WriteAllBytes(_layout.PinPath(cid), []);

    /// <summary>Lets eviction take the segment again.</summary>
    public void Unpin(Cid cid) => File.Delete(_layout.PinPath(cid));

    /// <summary>Removes a segment unless a lease is held on it; false when leased or absent.</summary>
    public bool Remove(Cid cid)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(cid);
        bool removed = false;
        if (ArenaFor(cid) is { } arena && RemoveFromArena(arena, cid.Hash.Digest) == SegmentEvictor.Outcome.Removed)
        {
            removed = true;
        }

        string path = _layout.SegmentPath(cid);
        long bytes;
        try
        {
            bytes = new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return removed;
        }

        using (LockEviction())
        {
            if (SegmentEvictor.TryRemove(path, _control) == SegmentEvictor.Outcome.Removed)
            {
                _control.AddBytes(-bytes);
                removed = true;
            }
        }

        return removed;
    }

    /// <summary>
    /// Takes the store-wide eviction lock (blocking flock on <c>evict.lock</c>; the kernel drops it
    /// if the holder dies). Everyone who takes a segment file's exclusive lock — evictors, removal,
    /// the lease probe of <see cref="List"/> — holds it first, so a refused exclusive lock always
    /// means a reader's lease, never another process removing the same segment at that moment
    /// (which made a full store be reported spuriously). Readers never take it.
    /// </summary>
    private LockedFile? TryLockEviction()
    {
        try
        {
            return LockEviction();
        }
        catch (IOException)
        {
            return null;
        }
    }

    private LockedFile LockEviction()
    {
        var file = LockedFile.Open(_layout.EvictionLock, writable: false, create: true, createMode: (int)_fileMode);
        try
        {
            file.LockExclusive();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void MakeRoom(long needed)
    {
        if (_options.CapacityBytes is not { } capacity || _control.CountedBytes + needed <= capacity)
        {
            return;
        }

        using var evicting = LockEviction();
        var candidates = new List<EvictionCandidate>();
        foreach (var file in Segments.SegmentFile.Scan(_layout.Segments))
        {
            candidates.Add(new EvictionCandidate(file.Cid, file.Bytes, file.LastAccessUtc, file.Path, () => SegmentEvictor.TryRemove(file.Path, _control)));
        }

        if (ArenaIfAny() is { } arenas)
        {
            foreach (var (arena, slot) in arenas.List())
            {
                byte[] digest = slot.Digest;
                // Counted bytes are reset from the scan afterwards, so the removal's own count is not applied twice.
                candidates.Add(new EvictionCandidate(CidOfDigest(digest), slot.Length, slot.LastAccessUtc, arena.Path + "@" + slot.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), () => RemoveFromArena(arenas, digest)));
            }
        }

        long total = SegmentEvictor.MakeRoom(candidates, needed, capacity, IsPinned);
        _control.SetBytes(total);
    }

    // Frees the slot unless leased, under the writer lock, and uncounts its bytes.
    private SegmentEvictor.Outcome RemoveFromArena(ShmArenas arena, ReadOnlySpan<byte> digest)
    {
        ShmArena.RemoveOutcome outcome;
        int length;
        using (_feed.EnterWriter())
        {
            outcome = arena.Remove(digest, out length);
        }

        switch (outcome)
        {
            case ShmArena.RemoveOutcome.Removed:
                _control.AddBytes(-length);
                return SegmentEvictor.Outcome.Removed;
            case ShmArena.RemoveOutcome.Leased:
                return SegmentEvictor.Outcome.Leased;
            default:
                return SegmentEvictor.Outcome.Missing;
        }
    }

    private bool IsPinned(Cid cid) =>
        File.Exists(_layout.PinPath(cid)) || _options.IsPinnedElsewhere?.Invoke(cid) == true;
}
