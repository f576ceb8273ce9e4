using ArrowCid.Content.Multiformats;

namespace ArrowCid.SharedMemory;

/// <summary>How a <see cref="ShmStore"/> is opened.</summary>
public sealed record ShmStoreOptions
{
    /// <summary>The environment variable that overrides the default base folder.</summary>
    public const string DirectoryEnvironmentVariable = "ARROWCID_SHM_DIR";

    /// <summary>
    /// The base folder when neither an explicit folder nor the environment variable is given: one per
    /// user on tmpfs, <c>/dev/shm/arrowcid-UID</c>, made 0700, so that no other user can make it
    /// first and read what is published there (issue 65). A store shared between users lives under a
    /// base folder the operator names, with <see cref="GroupReadable"/>.
    /// </summary>
    public static string DefaultBaseDirectory => DefaultBaseDirectoryPrefix + Native.LinuxNative.EffectiveUserId().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What <see cref="DefaultBaseDirectory"/> is before the user id.</summary>
    public const string DefaultBaseDirectoryPrefix = "/dev/shm/arrowcid-";

    /// <summary>The store name used when none is given.</summary>
    public const string DefaultStoreName = "default";

    /// <summary>Name of the store: its folder is <c>&lt;base&gt;/&lt;name&gt;</c>.</summary>
    public string StoreName { get; init; } = DefaultStoreName;

    /// <summary>Base folder (<c>--shm-dir</c>); null means <c>$ARROWCID_SHM_DIR</c>, else <see cref="DefaultBaseDirectory"/>.</summary>
    public string? BaseDirectory { get; init; }

    /// <summary>
    /// Most bytes of segments kept; publishing beyond it evicts unpinned, unleased segments, least
    /// recently attached first. Null means no limit.
    /// </summary>
    public long? CapacityBytes { get; init; }

    /// <summary>
    /// Folders 0750 and files 0640 instead of 0700 and 0600, so members of the folder's group can
    /// attach (give the base folder the group and the set-group-id bit).
    /// </summary>
    public bool GroupReadable { get; init; }

    /// <summary>
    /// How attach checks a segment. The default, <see cref="SegmentVerification.Full"/>, hashes the
    /// whole mapping; see <see cref="SegmentVerification.TrustOwnSegments"/> for the opt-out.
    /// </summary>
    public SegmentVerification Verification { get; init; } = SegmentVerification.Full;

    /// <summary>
    /// Largest canonical encoding that goes into the arena, the small-batch fast path (one shared
    /// file of fixed-size slots mapped once per process, see docs/shared-memory.md); larger batches
    /// get a segment file of their own. 0 turns the arena off. A multiple of 4 KiB, at most 16 MiB.
    /// An existing arena keeps the geometry it was created with.
    /// </summary>
    public int ArenaSlotBytes { get; init; } = DefaultArenaSlotBytes;

    /// <summary>Slots of the arena (a multiple of 8). The file is sparse: only written slots take memory.</summary>
    public int ArenaSlots { get; init; } = DefaultArenaSlots;

    /// <summary>
    /// Slot size of the small arena, which takes the smallest batches first: its slot bytes are
    /// backed once when it is created (<see cref="ArenaSmallSlots"/> × this, 64 MiB by default), so
    /// publishing there allocates no page and makes no system call beyond the writer lock (and, the
    /// first time a process fills a slot in each 2 MiB of it, one call that maps those 2 MiB). A
    /// multiple of 512; 0, or not below <see cref="ArenaSlotBytes"/>, means no small arena.
    /// </summary>
    public int ArenaSmallSlotBytes { get; init; } = DefaultArenaSmallSlotBytes;

    /// <summary>Slots of the small arena (a multiple of 8; 0: no small arena).</summary>
    public int ArenaSmallSlots { get; init; } = DefaultArenaSmallSlots;

    /// <summary>Default <see cref="ArenaSmallSlotBytes"/>: 2 KiB.</summary>
    public const int DefaultArenaSmallSlotBytes = 2 << 10;

    /// <summary>Default <see cref="ArenaSmallSlots"/>: 32,768.</summary>
    public const int DefaultArenaSmallSlots = 1 << 15;

    /// <summary>Default <see cref="ArenaSlotBytes"/>: 64 KiB.</summary>
    public const int DefaultArenaSlotBytes = 64 << 10;

    /// <summary>Default <see cref="ArenaSlots"/>: 65,536 (4 GiB of address space, sparse).</summary>
    public const int DefaultArenaSlots = 1 << 16;

    /// <summary>
    /// Called for each batch a publish writes (not for one the store held already), before its
    /// notice goes on the feed, so whatever it records (a registry's record with location
    /// <c>shm:&lt;path&gt;</c>, say) exists by the time a subscriber hears of the batch. A small
    /// batch's call is on the publishing thread; the chunks of a larger table are written on
    /// worker threads, several at once, and each call is made on the thread that wrote the chunk,
    /// so the callback must be thread-safe. Optional; the store itself knows nothing of registries.
    /// </summary>
    public Action<ShmPublishedBatch>? Published { get; init; }

    /// <summary>
    /// Whether something outside the store (a registry's pin, say) keeps a CID: eviction then
    /// skips it as it skips the store's own pin markers. Optional.
    /// </summary>
    public Func<Cid, bool>? IsPinnedElsewhere { get; init; }

    /// <summary>The store's folder for these options.</summary>
    public string ResolveDirectory() => Path.GetFullPath(Path.Combine(ResolveBaseDirectory(), CheckedStoreName()));

    /// <summary>The base folder these options name: explicit, else from the environment, else <see cref="DefaultBaseDirectory"/>.</summary>
    private string ResolveBaseDirectory() => BaseDirectory is { Length: > 0 } explicitBase
        ? explicitBase
        : Environment.GetEnvironmentVariable(DirectoryEnvironmentVariable) is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : DefaultBaseDirectory;

    private string CheckedStoreName()
    {
        if (StoreName.Length == 0 || StoreName.IndexOfAny(['/', '\0']) >= 0 || StoreName is "." or "..")
        {
            throw new ArgumentException($"'{StoreName}' is not a valid store name", nameof(StoreName));
        }

        return StoreName;
    }
}

/// <summary>How <see cref="ShmStore.Attach"/> checks a segment before handing out a batch.</summary>
public enum SegmentVerification
{
    /// <summary>SHA-256 of the whole mapping must equal the CID's digest, then the IPC stream is fully validated.</summary>
    Full,

    /// <summary>
    /// For stores shared only by one user: when the segment file belongs to this process's user
    /// and no one else can write it (mode without group/other write bits, in a folder only the
    /// user can write), the hash is skipped, because only this user's own publish (which hashed the
    /// bytes it wrote) could have created it. The IPC stream is still validated structurally, so a
    /// bad segment can never make a reader go out of bounds; segments owned by anyone else are
    /// hashed in full. Attach then costs the same for 1 KiB and 1 GiB.
    /// </summary>
    TrustOwnSegments,
}
