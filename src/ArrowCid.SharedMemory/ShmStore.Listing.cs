using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Segments;

namespace ArrowCid.SharedMemory;

// Listing: every segment and arena slot once, and the store's totals.
public sealed partial class ShmStore
{
    /// <summary>
    /// Every segment, least recently attached first: one entry per CID. A CID both in the arena and
    /// in a file of its own (promoted by <see cref="SegmentFile"/>) is listed once, as the file,
    /// leased when either is.
    /// </summary>
    public IReadOnlyList<ShmSegmentInfo> List()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slots = new Dictionary<Cid, ArenaSlotEntry>();
        foreach (var (arena, slot) in ArenaIfAny()?.List() ?? [])
        {
            slots[CidOfDigest(slot.Digest)] = new ArenaSlotEntry(arena.Path, slot.Length, slot.Offset, slot.LastAccessUtc, slot.Leased);
        }

        var found = new List<ShmSegmentInfo>();
        // A reader of another user's group-readable store may be unable to create the lock file:
        // its listing then probes without it (a probe's answer can change at once anyway).
        using (TryLockEviction())
        {
            foreach (var file in Segments.SegmentFile.Scan(_layout.Segments))
            {
                bool leasedInArena = slots.Remove(file.Cid, out var twin) && twin.Leased;
                found.Add(new ShmSegmentInfo(file.Cid, file.Path, file.Bytes, file.LastAccessUtc, IsPinned(file.Cid), leasedInArena || SegmentEvictor.IsLeased(file.Path)));
            }
        }

        foreach (var (cid, slot) in slots)
        {
            found.Add(new ShmSegmentInfo(cid, slot.Path, slot.Length, slot.LastAccessUtc, IsPinned(cid), slot.Leased, slot.Offset));
        }

        return [.. found.OrderBy(s => s.LastAccessUtc).ThenBy(s => s.Path, StringComparer.Ordinal).ThenBy(s => s.ArenaOffset)];
    }

    private readonly record struct ArenaSlotEntry(string Path, int Length, long Offset, DateTime LastAccessUtc, bool Leased);

    /// <summary>The store's totals.</summary>
    public ShmStoreStats Stats()
    {
        var segments = List();
        return new ShmStoreStats(Directory, segments.Count, segments.Sum(s => s.Bytes), _options.CapacityBytes,
            segments.Count(s => s.Pinned), segments.Count(s => s.Leased), PublishedSequence);
    }
}
