using ArrowCid.Content.Multiformats;

namespace ArrowCid.Repository;

/// <summary>What <see cref="LocalRepository.RebuildRegistry"/> (or <see cref="LocalRepository.RebuildShared"/>) did.</summary>
public sealed record RegistryRebuild
{
    /// <summary>Where the old registry file was moved, or null when there was none.</summary>
    public string? SetAside { get; init; }

    /// <summary>Rows in the rebuilt registry.</summary>
    public int Rows { get; init; }

    /// <summary>Names' versions restored.</summary>
    public int Versions { get; init; }

    /// <summary>Tag changes replayed (a set or a removal each).</summary>
    public int TagChanges { get; init; }

    /// <summary>Pin changes replayed (a pin or an unpin of one CID each).</summary>
    public int PinChanges { get; init; }

    /// <summary>Row deletions replayed.</summary>
    public int Deletions { get; init; }

    /// <summary>Stored blocks no log or journal entry names, registered again and pinned.</summary>
    public IReadOnlyList<Cid> Unrecorded { get; init; } = [];
}
