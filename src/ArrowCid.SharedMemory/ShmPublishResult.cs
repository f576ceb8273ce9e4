using ArrowCid.Arrow.Arrays;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>What <see cref="ShmStore.Publish"/> (or a table publish) did.</summary>
public sealed record ShmPublishResult
{
    // Where the path is made from, on demand: a publish of a 1 KiB batch is a few µs, and the
    // path's text (the CID in base32 under the store's folder) was a tenth of it.
    private readonly ShmStoreLayout _layout;

    internal ShmPublishResult(Cid cid, ShmStoreLayout layout, long bytes, long rows, long sequence)
    {
        Cid = cid;
        _layout = layout;
        Bytes = bytes;
        Rows = rows;
        Sequence = sequence;
    }

    /// <summary>The table's CID: a one-chunk table's raw CID (the batch's), else its manifest tree's root (dag-cbor).</summary>
    public Cid Cid { get; init; }

    /// <summary>
    /// The segment file that holds the bytes, or for a batch in the arena the file it gets when
    /// <see cref="ShmStore.SegmentFile"/> promotes it; for a table of several chunks, its root
    /// node's file (made when read).
    /// </summary>
    public string Path => _layout.SegmentPath(Cid);

    /// <summary>Length of the canonical bytes (of every chunk, for a table of several).</summary>
    public long Bytes { get; init; }

    /// <summary>Rows in the batch (the table).</summary>
    public long Rows { get; init; }

    /// <summary>The notification's feed sequence; 0 when the segment (the table's root) already existed (nothing was announced).</summary>
    public long Sequence { get; init; }

    /// <summary>Whether this call created the segment (the table's root) and announced it.</summary>
    public bool Created => Sequence > 0;

    /// <summary>Chunks of the table: 1 for a batch published as one segment.</summary>
    public int Chunks { get; init; } = 1;
}

/// <summary>A batch a publish has just written, as <see cref="ShmStoreOptions.Published"/> receives it.</summary>
/// <param name="Cid">The batch's CID.</param>
/// <param name="Path">As <see cref="ShmPublishResult.Path"/>: the segment file, or the file an arena batch gets when promoted.</param>
/// <param name="Bytes">Length of the canonical bytes.</param>
/// <param name="Batch">The batch as the publisher passed it (valid only during the call).</param>
/// <param name="Tags">The tags it was published with (empty when none).</param>
public sealed record ShmPublishedBatch(Cid Cid, string Path, long Bytes, RecordBatch Batch, IReadOnlyDictionary<string, string> Tags);

/// <summary>One segment as <see cref="ShmStore.List"/> sees it.</summary>
/// <param name="Cid">The CID it holds.</param>
/// <param name="Path">The segment file, or the arena file for a batch in the arena.</param>
/// <param name="Bytes">Its length.</param>
/// <param name="LastAccessUtc">When it was last attached (or published).</param>
/// <param name="Pinned">Whether eviction must keep it.</param>
/// <param name="Leased">Whether a process held a lease on it when listed.</param>
/// <param name="ArenaOffset">
/// For a batch in the arena (the small-batch fast path): the offset of its bytes in the arena file
/// <paramref name="Path"/>; null for a segment file of its own.
/// </param>
public sealed record ShmSegmentInfo(Cid Cid, string Path, long Bytes, DateTime LastAccessUtc, bool Pinned, bool Leased, long? ArenaOffset = null);

/// <summary>A store's totals.</summary>
/// <param name="Directory">The store's folder.</param>
/// <param name="Segments">Number of segments.</param>
/// <param name="Bytes">Bytes of segments.</param>
/// <param name="CapacityBytes">The capacity, when limited.</param>
/// <param name="Pinned">Pinned segments.</param>
/// <param name="Leased">Segments some process held a lease on.</param>
/// <param name="PublishedSequence">Newest notification sequence.</param>
public sealed record ShmStoreStats(string Directory, int Segments, long Bytes, long? CapacityBytes, int Pinned, int Leased, long PublishedSequence);
