using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>Settings for <see cref="LocalRepository"/>.</summary>
public sealed record LocalRepositoryOptions
{
    /// <summary>Re-hash blocks on every read (default true: block files are outside input).</summary>
    public bool VerifyOnRead { get; init; } = true;

    /// <summary>How long an operation waits for the repository lock or the database before failing.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Blocks of at most this many bytes are appended to pack files (docs/repository.md, "Pack
    /// files"); larger ones keep files of their own (mapped and sent whole). 0 gives every block a
    /// file. Default 64 KiB: small tables, manifest nodes and small chunks are packed; chunks of a
    /// large table (up to 1 MiB) stay files.
    /// </summary>
    public int PackThreshold { get; init; } = DefaultPackThreshold;

    /// <summary>
    /// Bytes set aside in the repository folder (the file <c>space-reserve</c>) so that gc, unpin and
    /// repair can free space on a full disk: they give the reserve back when the disk is full and
    /// try again. 0 keeps no reserve. Default 2 MiB, room for the registry's journal.
    /// </summary>
    public long SpaceReserveBytes { get; init; } = 2 << 20;

    /// <summary>
    /// CID keys gc, repair and a delete hold in memory before the set of what is retained spills
    /// to a temporary file in the repository folder (<see cref="Content.Multiformats.CidKeySet"/>).
    /// Default <see cref="Content.Multiformats.CidKeySet.DefaultSpillThreshold"/> (about 5 MiB).
    /// </summary>
    public int KeySetSpillThreshold { get; init; } = Content.Multiformats.CidKeySet.DefaultSpillThreshold;

    /// <summary>
    /// CIDs a gc holds of the rows it removed before they spill to a temporary file (to be
    /// journaled after the compaction), and the most one journal entry of them lists (tests set it low).
    /// </summary>
    internal int RemovedSpillThreshold { get; init; } = Content.Multiformats.CidSpillList.DefaultSpillThreshold;

    /// <summary>Set by <see cref="LocalRepository.RebuildRegistry"/>: the packs' log is replayed by the rebuild, in order with the journal, not on open.</summary>
    internal bool RebuildingRegistry { get; init; }

    /// <summary>The default <see cref="PackThreshold"/>.</summary>
    public const int DefaultPackThreshold = 64 << 10;
}
