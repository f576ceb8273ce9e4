using System.Diagnostics;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory.Notifications;

/// <summary>One published CID as the notification feed carries it.</summary>
/// <param name="Sequence">Position in the store's feed: 1, 2, 3… with no gaps.</param>
/// <param name="Cid">The batch's CID.</param>
/// <param name="Bytes">Length of the segment (the canonical bytes).</param>
/// <param name="Rows">Rows in the batch.</param>
/// <param name="Tags">The tags given at publish.</param>
/// <param name="PublishedUtc">Wall-clock time of the publish.</param>
/// <param name="PublishedTimestamp">
/// <see cref="Stopwatch.GetTimestamp"/> of the publishing process at publish: on Linux this is
/// CLOCK_MONOTONIC, one clock for every process on the host, so a subscriber can measure delivery latency.
/// </param>
public sealed record ShmNotice(
    long Sequence,
    Cid Cid,
    long Bytes,
    long Rows,
    IReadOnlyDictionary<string, string> Tags,
    DateTimeOffset PublishedUtc,
    long PublishedTimestamp)
{
    /// <summary>Whether every tag of <paramref name="filter"/> is on this notice with the same value.</summary>
    public bool Matches(IReadOnlyDictionary<string, string>? filter) =>
        filter is null || filter.All(f => Tags.TryGetValue(f.Key, out var value) && value == f.Value);
}
