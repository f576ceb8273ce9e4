using ArrowCid.Content.Multiformats;
using ArrowCid.SharedMemory.Native;
using ArrowCid.SharedMemory.Notifications;

namespace ArrowCid.SharedMemory.Segments;

/// <summary>
/// Removes segments: only under flock(LOCK_EX|LOCK_NB), which fails while any process holds a
/// lease (LOCK_SH), so a leased segment is skipped, never unlinked. Candidates for capacity go
/// least recently attached first (attach stamps the file's access time).
/// </summary>
internal static class SegmentEvictor
{
    /// <summary>What happened to one segment.</summary>
    public enum Outcome
    {
        Removed,
        Leased,
        Missing,
    }

    /// <summary>Unlinks the segment at <paramref name="path"/> unless a lease is held on it, and counts the removal in <paramref name="control"/>.</summary>
    public static Outcome TryRemove(string path, ShmControlBlock control)
    {
        using var segment = LockedFile.TryOpen(path, writable: false);
        if (segment is null)
        {
            return Outcome.Missing;
        }

        if (!segment.TryLockExclusive())
        {
            return Outcome.Leased;
        }

        // Another evictor may have unlinked this inode (and a publisher put a new one at the path)
        // between our open and our lock: only unlink what we hold.
        if (segment.Status().LinkCount == 0)
        {
            return Outcome.Missing;
        }

        File.Delete(path);
        control.NoteFileRemoved();
        return Outcome.Removed;
    }

    /// <summary>Whether some process holds a lease on the segment (a probe: the answer can change at once).</summary>
    public static bool IsLeased(string path)
    {
        using var segment = LockedFile.TryOpen(path, writable: false);
        if (segment is null || !segment.TryLockExclusive())
        {
            return segment is not null;
        }

        segment.Unlock();
        return false;
    }

    /// <summary>
    /// Evicts until <paramref name="needed"/> more bytes fit under <paramref name="capacity"/>;
    /// returns the bytes segments take afterwards. Throws when only pinned or leased ones are left.
    /// </summary>
    public static long MakeRoom(IReadOnlyList<EvictionCandidate> segments, long needed, long capacity, Func<Cid, bool> isPinned)
    {
        long total = segments.Sum(s => s.Bytes);
        if (needed > capacity)
        {
            throw new ShmStoreFullException($"a segment of {needed} bytes exceeds the store's capacity of {capacity} bytes");
        }

        foreach (var candidate in segments.OrderBy(s => s.LastAccessUtc).ThenBy(s => s.Key, StringComparer.Ordinal))
        {
            if (total + needed <= capacity)
            {
                break;
            }

            if (isPinned(candidate.Cid))
            {
                continue;
            }

            var outcome = candidate.TryRemove();
            if (outcome != Outcome.Leased)
            {
                total -= candidate.Bytes;
            }

            if (outcome == Outcome.Removed)
            {
                ShmMetrics.Evictions.Add(1);
            }
        }

        return total + needed <= capacity
            ? total
            : throw new ShmStoreFullException($"the store holds {total} bytes of pinned or leased segments; {needed} more do not fit its capacity of {capacity}");
    }
}

/// <summary>
/// Something capacity eviction may remove: a segment file or an arena slot. <paramref name="Key"/>
/// orders equal access times; <paramref name="TryRemove"/> removes it unless leased.
/// </summary>
internal sealed record EvictionCandidate(Cid Cid, long Bytes, DateTime LastAccessUtc, string Key, Func<SegmentEvictor.Outcome> TryRemove);

/// <summary>A segment file as a directory scan saw it.</summary>
internal sealed record SegmentFile(Cid Cid, string Path, long Bytes, DateTime LastAccessUtc)
{
    /// <summary>Every segment in <paramref name="folder"/> (temp files and strays ignored).</summary>
    public static List<SegmentFile> Scan(string folder)
    {
        var found = new List<SegmentFile>();
        foreach (var info in new DirectoryInfo(folder).EnumerateFiles())
        {
            if (ShmStoreLayout.CidOfSegment(info.FullName) is { } cid)
            {
                try
                {
                    found.Add(new SegmentFile(cid, info.FullName, info.Length, info.LastAccessTimeUtc));
                }
                catch (FileNotFoundException)
                {
                    // Evicted between the listing and the stat.
                }
            }
        }

        return found;
    }
}
