using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>
/// How <see cref="LocalRepository.Gc"/> on a node sharing a registry treats the retained blocks
/// other nodes hold: it never goes below <see cref="MinCopies"/> verified copies of a block in all,
/// and hands its own copy over only to nodes that served the block re-hashed just now.
/// </summary>
/// <param name="MinCopies">The copies a retained block keeps across the nodes (at least 1): this node drops its own only while that many others verifiably serve it.</param>
/// <param name="Serves">
/// Whether the node at a location serves a block now: fetched from it (without forwarding) and
/// re-hashed to the CID. False when it cannot be reached, lacks the block or sends other bytes.
/// </param>
public sealed record GcReplication(int MinCopies, Func<Cid, string, bool> Serves)
{
    /// <summary>The copies a retained block keeps unless told otherwise: one, wherever it is.</summary>
    public const int DefaultMinCopies = 1;

    /// <summary>The copies a retained block keeps across the nodes (at least 1).</summary>
    public int MinCopies { get; } = MinCopies >= 1 ? MinCopies : throw new ArgumentOutOfRangeException(nameof(MinCopies), MinCopies, "at least one copy is kept");
}
