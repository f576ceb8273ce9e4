using ArrowCid.Content.Multiformats;

namespace ArrowCid.Registry;

/// <summary>
/// CID → metadata, pins, dataset links, named versions and a change feed. Every method is one transaction: it
/// happens entirely or not at all, and once it returns it is durable. Implementations are safe
/// for concurrent use from many threads and processes. The contract is pinned down by the
/// abstract contract tests in ArrowCid.Registry.Tests, which every implementation runs.
/// </summary>
public interface IRegistry : IDisposable
{
    /// <summary>
    /// Registers a block, or merges a second registration into the first: <c>Created</c> keeps
    /// the first registration's time, <c>Pinned</c> is or-ed (registering never unpins), tags are
    /// merged with the new values winning, locations are united, and kind, schema, rows, bytes,
    /// producer, provenance and batches take the new values. Records one change.
    /// </summary>
    /// <param name="record">The record; a default <c>Created</c> means now.</param>
    /// <returns>The record as now stored.</returns>
    BlockRecord Upsert(BlockRecord record);

    /// <summary>
    /// Registers several records in one transaction, each as <see cref="Upsert"/> would, in order:
    /// group commit makes many puts durable with one commit. All or none are stored.
    /// </summary>
    /// <param name="records">The records.</param>
    /// <returns>The records as now stored, in the same order.</returns>
    IReadOnlyList<BlockRecord> UpsertAll(IReadOnlyList<BlockRecord> records);

    /// <summary>The record for a CID.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>The record, or null when not registered.</returns>
    BlockRecord? Find(Cid cid);

    /// <summary>Whether a CID is registered.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>True when registered.</returns>
    bool Contains(Cid cid);

    /// <summary>Records matching a query, oldest first (ties in CID text order).</summary>
    /// <param name="query">Filters; null lists everything.</param>
    /// <returns>The records.</returns>
    IReadOnlyList<BlockRecord> List(RegistryQuery? query = null);

    /// <summary>Registered CIDs in CID text order: every one, or a page (<see cref="RegistryWalk.WalkCids"/> walks them all a page at a time).</summary>
    /// <param name="after">Only CIDs whose text comes after this one's, when given.</param>
    /// <param name="limit">At most this many, when given.</param>
    /// <returns>The CIDs.</returns>
    IReadOnlyList<Cid> ListCids(Cid? after = null, int? limit = null);

    /// <summary>Pins a record; records a change when it was not pinned.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>False when the CID is not registered.</returns>
    bool Pin(Cid cid);

    /// <summary>Unpins a record; records a change when it was pinned.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>False when the CID is not registered.</returns>
    bool Unpin(Cid cid);

    /// <summary>Sets (or replaces) a tag; records a change when the value changed.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="key">Tag key.</param>
    /// <param name="value">Tag value.</param>
    /// <returns>False when the CID is not registered.</returns>
    bool SetTag(Cid cid, string key, string value);

    /// <summary>Removes a tag; records a change when there was one.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="key">Tag key.</param>
    /// <returns>True when a tag was removed.</returns>
    bool RemoveTag(Cid cid, string key);

    /// <summary>Adds a location; records a change when it is new.</summary>
    /// <param name="cid">The CID.</param>
    /// <param name="location">Where a copy can be fetched.</param>
    /// <returns>False when the CID is not registered.</returns>
    bool AddLocation(Cid cid, string location);

    /// <summary>Adds one location to several records in one transaction, each as <see cref="AddLocation"/> would.</summary>
    /// <param name="cids">The CIDs (one not registered is passed over).</param>
    /// <param name="location">Where a copy of each can be fetched.</param>
    /// <returns>How many of them are registered.</returns>
    int AddLocations(IReadOnlyList<Cid> cids, string location);

    /// <summary>
    /// Records that the node at <paramref name="location"/> no longer holds a block: the location
    /// goes, and with the last location the record too, unless it is pinned or a version of a name
    /// points at it (then it stays, known to be held nowhere, so a read says so rather than that it
    /// never existed). One transaction; records a change for each step taken. What one node drops
    /// never removes another node's location or record.
    /// </summary>
    /// <param name="cid">The CID.</param>
    /// <param name="location">The location of the node that dropped its copy.</param>
    /// <returns>What happened.</returns>
    LocationRelease ReleaseLocation(Cid cid, string location);

    /// <summary>
    /// Releases <paramref name="location"/> for a block only while at least <paramref name="copies"/>
    /// of the <paramref name="holders"/> (other nodes the caller verified to serve it) are still
    /// recorded as holding it: checked and released in one write transaction, so nodes dropping
    /// their copies at once can never all go (each sees the others' releases). The record stays,
    /// since other locations remain. Records a change when released.
    /// </summary>
    /// <param name="cid">The CID.</param>
    /// <param name="location">The location of the node dropping its copy.</param>
    /// <param name="holders">Other nodes' locations verified to serve the block.</param>
    /// <param name="copies">How many of them must remain recorded (at least 1).</param>
    /// <returns>True when the location was released; false when too few holders remain or it was not recorded.</returns>
    bool ReleaseLocationKeepingCopies(Cid cid, string location, IReadOnlyCollection<string> holders, int copies);

    /// <summary>Deletes a record with its tags, locations and outgoing links; records a change.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>True when a record was deleted.</returns>
    bool Delete(Cid cid);

    /// <summary>
    /// Deletes records as <see cref="Delete"/> does, in one transaction (gc removing a page of
    /// rows at a time: a transaction each cost most of a deletion); CIDs without a record are skipped.
    /// </summary>
    /// <param name="cids">The CIDs.</param>
    /// <returns>How many records were deleted.</returns>
    int DeleteAll(IReadOnlyList<Cid> cids);

    /// <summary>The registered datasets that link a batch.</summary>
    /// <param name="batch">The batch CID.</param>
    /// <returns>Dataset CIDs, in CID text order.</returns>
    IReadOnlyList<Cid> GetLinkingDatasets(Cid batch);

    /// <summary>
    /// A CID that links <paramref name="cid"/>, directly or through others, and is itself retained
    /// at its root (pinned, or a version of a name): what makes <paramref name="cid"/> part of a
    /// table garbage collection keeps. The walk goes up the links, so it costs what lies above
    /// <paramref name="cid"/>, not what the registry holds. The CID's own pin or name does not count.
    /// </summary>
    /// <param name="cid">The CID.</param>
    /// <returns>Such an ancestor, or null when none.</returns>
    Cid? FindRetainingAncestor(Cid cid);

    /// <summary>
    /// Everything garbage collection must keep: pinned records, every CID a version of a name points
    /// at and, transitively, every CID a kept dataset links, whether or not that CID is itself registered.
    /// </summary>
    /// <param name="retained">The set the retained CIDs are added to, as keys (a few bytes each: the set can be as large as the registry, so the caller chooses where it may spill).</param>
    void AddRetained(CidKeySet retained);

    /// <summary>
    /// Guards blocks a put is writing to a durable tier (blocks on object storage) until
    /// <see cref="ReleaseTierGuards"/>: a collection on any host sharing this registry does not
    /// delete them from the tier (<see cref="MarkTierDeletions"/>), though nothing names them yet.
    /// A block a collection is deleting now is not guarded but returned: the put waits for that
    /// deletion to end (the mark goes) and guards it again, then writes it anew.
    /// </summary>
    /// <param name="holder">Who holds the guard: one put, unique across hosts.</param>
    /// <param name="cids">The blocks.</param>
    /// <param name="deletionLifetime">How long a deletion's mark counts: an older one is a collection that died.</param>
    /// <returns>The blocks not guarded because a collection is deleting them.</returns>
    IReadOnlyList<Cid> GuardTierBlocks(string holder, IReadOnlyList<Cid> cids, TimeSpan deletionLifetime);

    /// <summary>Lets go of every guard the <paramref name="holders"/> hold (<see cref="GuardTierBlocks"/>), in one transaction: their puts are named or abandoned.</summary>
    /// <param name="holders">The puts (or packs of puts).</param>
    void ReleaseTierGuards(IReadOnlyList<string> holders);

    /// <summary>
    /// Marks for deletion from the durable tier, in one transaction, those of <paramref name="cids"/>
    /// that nothing keeps at that moment: no guard younger than <paramref name="guardLifetime"/>, no
    /// pin, no version of a name, no retaining ancestor (<see cref="FindRetainingAncestor"/>). A put
    /// that guards one of them afterwards waits until <see cref="EndTierDeletions"/>.
    /// </summary>
    /// <param name="cids">The candidates, found unretained by an earlier walk.</param>
    /// <param name="guardLifetime">How long a guard counts: an older one is a put that died.</param>
    /// <returns>The blocks marked, which the caller now deletes from the tier.</returns>
    IReadOnlyList<Cid> MarkTierDeletions(IReadOnlyList<Cid> cids, TimeSpan guardLifetime);

    /// <summary>Removes the deletion marks of <paramref name="cids"/> (<see cref="MarkTierDeletions"/>): their objects are gone, or were left.</summary>
    /// <param name="cids">The blocks.</param>
    void EndTierDeletions(IReadOnlyList<Cid> cids);

    /// <summary>
    /// Records a registered CID as the next version of a dataset name: version 1 for a new name,
    /// else one more than its latest. Versions are numbered without gaps or duplicates however many
    /// writers name at once, and are never rewritten; a version keeps its CID from garbage
    /// collection (see <see cref="AddRetained"/>). Records one change (<see cref="RegistryChangeKind.Versioned"/>).
    /// </summary>
    /// <param name="name">The name (see <see cref="DatasetName"/>).</param>
    /// <param name="cid">The batch or dataset the new version names.</param>
    /// <returns>The version recorded, or null when the CID is not registered (nothing is recorded).</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    NamedVersion? AddVersion(string name, Cid cid);

    /// <summary>
    /// Records a version with the number and time it was given when first recorded: how a registry
    /// rebuilt from the repository's journal gets its names back (versions are never renumbered).
    /// Records one change (<see cref="RegistryChangeKind.Versioned"/>) when it records the version.
    /// </summary>
    /// <param name="version">The version as <see cref="AddVersion"/> returned it.</param>
    /// <returns>Whether it was recorded: false when the name has that version already or the CID is not registered.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    bool RestoreVersion(NamedVersion version);

    /// <summary>
    /// Records <paramref name="node"/> as the chain node of a version unless it has one already:
    /// of writers linking the same version at once, the first wins and every one gets its node
    /// back, so a name has one chain. Records no change (the version's change was recorded).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="node">The CID of the version's node.</param>
    /// <param name="record">
    /// A record pointing at <paramref name="node"/> to keep in the same transaction (as
    /// <see cref="KeepIpnsRecord"/> keeps one) when the node recorded is <paramref name="node"/>:
    /// one durable write for a version linked and published instead of two.
    /// </param>
    /// <returns>The version's node as now recorded, or null when the name has no such version.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    Cid? LinkVersion(string name, long version, Cid node, KeptIpnsRecord? record = null);

    /// <summary>The latest IPNS record kept for an IPNS name (<see cref="KeepIpnsRecord"/>).</summary>
    /// <param name="ipnsName">The IPNS name as text (<c>k51…</c>).</param>
    /// <returns>The record's bytes, or null when none is kept.</returns>
    byte[]? FindIpnsRecord(string ipnsName);

    /// <summary>
    /// Keeps an IPNS record (already verified by the caller) as its name's latest unless the one
    /// kept is better: a higher sequence wins, and of equal sequences the later validity (as the
    /// IPNS spec orders records).
    /// </summary>
    /// <param name="record">The record, its name, sequence and validity.</param>
    /// <returns>Whether it is now the one kept.</returns>
    bool KeepIpnsRecord(KeptIpnsRecord record);

    /// <summary>One version of a name.</summary>
    /// <param name="name">The name.</param>
    /// <param name="version">The version number; null for the latest.</param>
    /// <returns>The version, or null when the name or that version does not exist.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    NamedVersion? FindVersion(string name, long? version = null);

    /// <summary>Names with their latest version, in name order (ordinal, as UTF-8 bytes sort): every one, or a page (<see cref="RegistryWalk.WalkNames"/> walks them all a page at a time).</summary>
    /// <param name="after">Only names after this one, when given.</param>
    /// <param name="limit">At most this many, when given.</param>
    /// <returns>The latest version of each name.</returns>
    IReadOnlyList<NamedVersion> ListNames(string? after = null, int? limit = null);

    /// <summary>
    /// The versions of a name, newest first (or oldest first): every one, or a page
    /// (<see cref="RegistryWalk.WalkVersions"/> walks them all a page at a time, as a name updated
    /// every second has millions).
    /// </summary>
    /// <param name="name">The name.</param>
    /// <param name="after">Only versions after this number in the listing's order (older ones, newest first), when given.</param>
    /// <param name="limit">At most this many, when given.</param>
    /// <param name="oldestFirst">List the oldest first.</param>
    /// <returns>The versions; empty when the name has none.</returns>
    /// <exception cref="InvalidDatasetNameException">The name breaks the naming rules.</exception>
    IReadOnlyList<NamedVersion> ListVersions(string name, long? after = null, int? limit = null, bool oldestFirst = false);

    /// <summary>Every version (of any name) that names a CID, in name then version order.</summary>
    /// <param name="cid">The CID.</param>
    /// <returns>The versions; empty when no name points at it.</returns>
    IReadOnlyList<NamedVersion> ListVersionsOf(Cid cid);

    /// <summary>The sequence number of the newest change, or 0 when there is none.</summary>
    long LatestSequence { get; }

    /// <summary>
    /// How many records of each kind the registry holds, with their rows and bytes, counted by the
    /// database (one aggregate query: no row is read into memory; it scans the table, so callers
    /// that ask often, as a metrics scrape does, keep the answer a while).
    /// </summary>
    /// <returns>The totals by kind (kinds with no record left out).</returns>
    IReadOnlyDictionary<BlockKind, RegistryTotal> CountByKind();

    /// <summary>
    /// Changes with a sequence number greater than <paramref name="sequence"/>, oldest first. A
    /// change becomes visible only after every change with a smaller number, so a subscriber that
    /// remembers the last number it saw never misses one.
    /// </summary>
    /// <param name="sequence">The last sequence number already seen (0 for everything).</param>
    /// <param name="limit">At most this many changes.</param>
    /// <returns>The changes.</returns>
    IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000);
}

/// <summary>What the registry holds of one kind (<see cref="IRegistry.CountByKind"/>).</summary>
/// <param name="Records">Records.</param>
/// <param name="Rows">Their rows, summed.</param>
/// <param name="Bytes">Their bytes, summed.</param>
public readonly record struct RegistryTotal(long Records, long Rows, long Bytes);
