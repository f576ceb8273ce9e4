using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>What <see cref="LocalRepository.Gc"/> removed.</summary>
public sealed record GcReport
{
    /// <summary>Registered blocks removed (row and file): unpinned and not linked by a kept dataset.</summary>
    public IReadOnlyList<Cid> RemovedRecords { get; init; } = [];

    /// <summary>Unregistered block files removed.</summary>
    public IReadOnlyList<Cid> RemovedOrphans { get; init; } = [];

    /// <summary>Temporary files of dead writers removed.</summary>
    public int RemovedTempFiles { get; init; }

    /// <summary>Bytes of block files removed.</summary>
    public long BytesFreed { get; init; }

    /// <summary>Pack files rewritten (their live blocks copied to the current pack, the old file deleted).</summary>
    public int PacksRewritten { get; init; }

    /// <summary>CIDs kept because they are pinned or reachable from a pinned dataset.</summary>
    public int Retained { get; init; }

    /// <summary>This node's locations released in the shared registry for the blocks removed (0 without one).</summary>
    public int LocationsReleased { get; init; }
}
