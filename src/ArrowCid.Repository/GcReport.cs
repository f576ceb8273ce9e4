using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>What <see cref="LocalRepository.Gc"/> removed.</summary>
public sealed record GcReport
{
    /// <summary>Registered blocks removed (row and block): unpinned and not linked by a kept dataset. Each was named to the collection's callback (<see cref="GcRemoval"/>).</summary>
    public long RecordsRemoved { get; init; }

    /// <summary>Unregistered blocks removed. Each was named to the collection's callback.</summary>
    public long OrphansRemoved { get; init; }

    /// <summary>Temporary files of dead writers removed.</summary>
    public int RemovedTempFiles { get; init; }

    /// <summary>Bytes of block files removed.</summary>
    public long BytesFreed { get; init; }

    /// <summary>Pack files rewritten (their live blocks copied to the current pack, the old file deleted).</summary>
    public int PacksRewritten { get; init; }

    /// <summary>CIDs kept because they are pinned or reachable from a pinned dataset.</summary>
    public long Retained { get; init; }

    /// <summary>Guard files of puts whose process died, deleted: what they held is kept no longer (unless something else keeps it).</summary>
    public int AbandonedGuards { get; init; }

    /// <summary>Retained blocks removed here because enough other nodes were verified to serve them (also counted in <see cref="RecordsRemoved"/> or <see cref="OrphansRemoved"/>).</summary>
    public IReadOnlyList<Cid> HandedOver { get; init; } = [];

    /// <summary>Retained blocks held here that fewer nodes than the minimum number of copies are recorded as holding (this one included): kept, and worth replicating.</summary>
    public int BelowMinCopies { get; init; }

    /// <summary>Retained blocks held here that the shared registry did not list this node for (a put killed before it published them, say), now listed.</summary>
    public int LocationsRecorded { get; init; }

    /// <summary>This node's locations released in the shared registry for the blocks removed (0 without one).</summary>
    public int LocationsReleased { get; init; }
}

/// <summary>One block <see cref="LocalRepository.Gc"/> removed, reported as it goes (a collection of millions holds none of them).</summary>
/// <param name="Cid">The block.</param>
/// <param name="Registered">Whether it had a row in the registry (else it was an unregistered block).</param>
/// <param name="HandedOver">Whether it was retained and removed because enough other nodes serve it (<see cref="GcReport.HandedOver"/>).</param>
public readonly record struct GcRemoval(Cid Cid, bool Registered, bool HandedOver);
