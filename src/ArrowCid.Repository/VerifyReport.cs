using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>What <see cref="LocalRepository.Verify"/> found, and (with repair) what it did about it.</summary>
public sealed record VerifyReport
{
    /// <summary>Registry rows checked.</summary>
    public int RecordsChecked { get; init; }

    /// <summary>Blocks checked (each file and packed copy re-hashed).</summary>
    public int BlocksChecked { get; init; }

    /// <summary>Intact blocks with no registry row: a write that crashed before registering, or a deleted record's block. Harmless.</summary>
    public IReadOnlyList<Cid> OrphanBlocks { get; init; } = [];

    /// <summary>Registry rows whose block file is gone.</summary>
    public IReadOnlyList<Cid> MissingBlocks { get; init; } = [];

    /// <summary>Blocks (files or packed copies) whose bytes do not hash to their CID.</summary>
    public IReadOnlyList<Cid> CorruptBlocks { get; init; } = [];

    /// <summary>Temporary files left by writers that died mid-write.</summary>
    public int TempFiles { get; init; }

    /// <summary>Packs whose writer died mid-append, leaving a tail no whole record explains (repair cuts it; it was never acknowledged).</summary>
    public int TornPackTails { get; init; }

    /// <summary>Pack indexes whose entries do not match their checksum (repair rebuilds them from their packs; no block is lost either way, a lookup checks the pack's record).</summary>
    public int DamagedPackIndexes { get; init; }

    /// <summary>Whether repairs were applied (each listed problem was fixed).</summary>
    public bool Repaired { get; init; }

    /// <summary>Orphans kept because a pinned dataset links them, re-registered with the kind their codec implies (repair only).</summary>
    public IReadOnlyList<Cid> Reregistered { get; init; } = [];

    /// <summary>Where corrupt block files were moved (repair only).</summary>
    public IReadOnlyList<string> Quarantined { get; init; } = [];

    /// <summary>No acknowledged content is missing or damaged (orphans and temporary files are allowed).</summary>
    public bool IsConsistent => MissingBlocks.Count == 0 && CorruptBlocks.Count == 0;

    /// <summary>Nothing at all to report.</summary>
    public bool IsClean => IsConsistent && OrphanBlocks.Count == 0 && TempFiles == 0 && TornPackTails == 0 && DamagedPackIndexes == 0;
}
