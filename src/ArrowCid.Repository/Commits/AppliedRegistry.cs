using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// The registry as this repository instance sees it: every call first waits until the rows of
/// acknowledged puts are applied (<see cref="LoggedRowApplier.WaitApplied"/>), so what this
/// process put it reads back at once, and its own writes land after them, in order. Other
/// processes see a put's rows once its group is applied, about a commit later (docs/repository.md,
/// "Commit protocol").
/// </summary>
/// <param name="inner">The registry itself.</param>
/// <param name="applier">The applier of this instance's logged groups.</param>
internal sealed class AppliedRegistry(IRegistry inner, LoggedRowApplier applier) : IRegistry
{
    /// <inheritdoc/>
    public long LatestSequence => Readable().LatestSequence;

    /// <inheritdoc/>
    public IReadOnlyDictionary<BlockKind, RegistryTotal> CountByKind() => Readable().CountByKind();

    /// <inheritdoc/>
    public BlockRecord Upsert(BlockRecord record) => Applied().Upsert(record);

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> UpsertAll(IReadOnlyList<BlockRecord> records) => Applied().UpsertAll(records);

    /// <inheritdoc/>
    public BlockRecord? Find(Cid cid) => Readable().Find(cid) ?? applier.FindQueued(cid);

    /// <inheritdoc/>
    public bool Contains(Cid cid) => Readable().Contains(cid) || applier.FindQueued(cid) is not null;

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> List(RegistryQuery? query = null) => Readable().List(query);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> ListCids(Cid? after = null, int? limit = null) => Applied().ListCids(after, limit);

    /// <inheritdoc/>
    public bool Pin(Cid cid) => Applied().Pin(cid);

    /// <inheritdoc/>
    public bool Unpin(Cid cid) => Applied().Unpin(cid);

    /// <inheritdoc/>
    public bool SetTag(Cid cid, string key, string value) => Applied().SetTag(cid, key, value);

    /// <inheritdoc/>
    public bool RemoveTag(Cid cid, string key) => Applied().RemoveTag(cid, key);

    /// <inheritdoc/>
    public bool AddLocation(Cid cid, string location) => Applied().AddLocation(cid, location);

    /// <inheritdoc/>
    public int AddLocations(IReadOnlyList<Cid> cids, string location) => Applied().AddLocations(cids, location);

    /// <inheritdoc/>
    public LocationRelease ReleaseLocation(Cid cid, string location) => Applied().ReleaseLocation(cid, location);

    /// <inheritdoc/>
    public bool ReleaseLocationKeepingCopies(Cid cid, string location, IReadOnlyCollection<string> holders, int copies) =>
        Applied().ReleaseLocationKeepingCopies(cid, location, holders, copies);

    /// <inheritdoc/>
    public bool Delete(Cid cid) => Applied().Delete(cid);

    /// <inheritdoc/>
    public int DeleteAll(IReadOnlyList<Cid> cids) => Applied().DeleteAll(cids);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GetLinkingDatasets(Cid batch) => Applied().GetLinkingDatasets(batch);

    /// <inheritdoc/>
    public Cid? FindRetainingAncestor(Cid cid) => Applied().FindRetainingAncestor(cid);

    /// <inheritdoc/>
    public void AddRetained(CidKeySet retained) => Applied().AddRetained(retained);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GuardTierBlocks(string holder, IReadOnlyList<Cid> cids, TimeSpan deletionLifetime) => Applied().GuardTierBlocks(holder, cids, deletionLifetime);

    /// <inheritdoc/>
    public void ReleaseTierGuards(IReadOnlyList<string> holders) => Applied().ReleaseTierGuards(holders);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> MarkTierDeletions(IReadOnlyList<Cid> cids, TimeSpan guardLifetime) => Applied().MarkTierDeletions(cids, guardLifetime);

    /// <inheritdoc/>
    public void EndTierDeletions(IReadOnlyList<Cid> cids) => Applied().EndTierDeletions(cids);

    /// <inheritdoc/>
    public NamedVersion? AddVersion(string name, Cid cid) => Applied().AddVersion(name, cid);

    /// <inheritdoc/>
    public bool RestoreVersion(NamedVersion version) => Applied().RestoreVersion(version);

    /// <inheritdoc/>
    public Cid? LinkVersion(string name, long version, Cid node, KeptIpnsRecord? record = null) => Applied().LinkVersion(name, version, node, record);

    /// <inheritdoc/>
    public byte[]? FindIpnsRecord(string ipnsName) => Readable().FindIpnsRecord(ipnsName);

    /// <inheritdoc/>
    public bool KeepIpnsRecord(KeptIpnsRecord record) => Applied().KeepIpnsRecord(record);

    /// <inheritdoc/>
    public NamedVersion? FindVersion(string name, long? version = null) => Readable().FindVersion(name, version);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListNames(string? after = null, int? limit = null) => Readable().ListNames(after, limit);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersions(string name, long? after = null, int? limit = null, bool oldestFirst = false) => Readable().ListVersions(name, after, limit, oldestFirst);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersionsOf(Cid cid) => Readable().ListVersionsOf(cid);

    /// <inheritdoc/>
    public IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000) => Readable().ChangesSince(sequence, limit);

    /// <summary>Closes the registry (the repository closes the applier first, see <see cref="LocalRepository.Dispose"/>).</summary>
    public void Dispose() => inner.Dispose();

    private IRegistry Applied()
    {
        applier.WaitApplied();
        return inner;
    }

    // For reads that serve callers: the registry with every queued row applied, or, when the disk
    // is too full to apply them, as it is (Find and Contains also look at the queued rows, so an
    // acknowledged put stays readable). What decides what to keep or delete (AddRetained, ListCids,
    // GetLinkingDatasets, FindRetainingAncestor) and every write waits for the rows strictly, through Applied.
    private IRegistry Readable()
    {
        try
        {
            applier.WaitApplied();
        }
        catch (Exception e) when (StorageFaults.IsFull(e))
        {
            // Served from what is applied; the rows stay queued (and logged) until there is room.
        }

        return inner;
    }
}
