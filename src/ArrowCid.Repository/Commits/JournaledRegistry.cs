using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// A registry whose changes are also recorded in a <see cref="RegistryJournal"/>: each pin, unpin,
/// tag, deletion and version (and, for the repository's own registry, each row upserted outside the
/// packs' log) is journaled and synced after the registry makes it and before the call returns, so
/// every change a caller saw succeed can be replayed into a rebuilt registry. When the journal
/// fails, an unpin and a tag change are undone in the registry before the error reaches the
/// caller: a caller told an unpin failed must not find its table collected. (A pin, a version or a
/// row left in place only keeps more.) Locations are not
/// journaled: they say which node holds a block, which <see cref="LocalRepository.Gc"/> reconciles
/// from what is stored. Reads go straight through.
/// </summary>
/// <param name="inner">The registry.</param>
/// <param name="journal">Where its changes are recorded.</param>
/// <param name="journalRows">
/// Whether upserted rows are journaled: yes for the repository's own registry (repairs write rows
/// there); no for a shared registry, whose rows are this node's own republished.
/// </param>
/// <param name="copy">Where every entry (rows too) is also appended, or null.</param>
internal sealed class JournaledRegistry(IRegistry inner, RegistryJournal journal, bool journalRows, IJournalCopy? copy = null) : IRegistry
{
    /// <summary>The registry without the journal: for a rebuild replaying it, and for a gc that journals its deletions at once.</summary>
    public IRegistry Inner => inner;

    /// <summary>The journal.</summary>
    public RegistryJournal Journal => journal;

    /// <inheritdoc/>
    public long LatestSequence => inner.LatestSequence;

    /// <inheritdoc/>
    public IReadOnlyDictionary<BlockKind, RegistryTotal> CountByKind() => inner.CountByKind();

    /// <inheritdoc/>
    public BlockRecord Upsert(BlockRecord record)
    {
        var stored = inner.Upsert(record);
        RecordRows([stored]);

        return stored;
    }

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> UpsertAll(IReadOnlyList<BlockRecord> records)
    {
        var stored = inner.UpsertAll(records);
        RecordRows(stored);

        return stored;
    }

    /// <inheritdoc/>
    public BlockRecord? Find(Cid cid) => inner.Find(cid);

    /// <inheritdoc/>
    public bool Contains(Cid cid) => inner.Contains(cid);

    /// <inheritdoc/>
    public IReadOnlyList<BlockRecord> List(RegistryQuery? query = null) => inner.List(query);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> ListCids(Cid? after = null, int? limit = null) => inner.ListCids(after, limit);

    /// <inheritdoc/>
    public bool Pin(Cid cid) => Recorded(inner.Pin(cid), () => new PinJournaled(DateTimeOffset.UtcNow, true, [cid]));

    /// <inheritdoc/>
    public bool Unpin(Cid cid)
    {
        bool wasPinned = inner.Find(cid)?.Pinned == true;
        return Recorded(inner.Unpin(cid), () => new PinJournaled(DateTimeOffset.UtcNow, false, [cid]), undo: () =>
        {
            if (wasPinned)
            {
                inner.Pin(cid);
            }
        });
    }

    /// <inheritdoc/>
    public bool SetTag(Cid cid, string key, string value)
    {
        string? was = inner.Find(cid)?.Tags.GetValueOrDefault(key);
        return Recorded(inner.SetTag(cid, key, value), () => new TagJournaled(DateTimeOffset.UtcNow, cid, key, value), undo: () => RestoreTag(cid, key, was));
    }

    /// <inheritdoc/>
    public bool RemoveTag(Cid cid, string key)
    {
        string? was = inner.Find(cid)?.Tags.GetValueOrDefault(key);
        return Recorded(inner.RemoveTag(cid, key), () => new TagJournaled(DateTimeOffset.UtcNow, cid, key, null), undo: () => RestoreTag(cid, key, was));
    }

    /// <inheritdoc/>
    public bool AddLocation(Cid cid, string location) => inner.AddLocation(cid, location);

    /// <inheritdoc/>
    public int AddLocations(IReadOnlyList<Cid> cids, string location) => inner.AddLocations(cids, location);

    /// <inheritdoc/>
    public LocationRelease ReleaseLocation(Cid cid, string location) => inner.ReleaseLocation(cid, location);

    /// <inheritdoc/>
    public bool ReleaseLocationKeepingCopies(Cid cid, string location, IReadOnlyCollection<string> holders, int copies) =>
        inner.ReleaseLocationKeepingCopies(cid, location, holders, copies);

    /// <inheritdoc/>
    public bool Delete(Cid cid) => Recorded(inner.Delete(cid), () => new DeleteJournaled(DateTimeOffset.UtcNow, [cid]));

    /// <inheritdoc/>
    public int DeleteAll(IReadOnlyList<Cid> cids)
    {
        int deleted = inner.DeleteAll(cids);
        Recorded(deleted > 0, () => new DeleteJournaled(DateTimeOffset.UtcNow, cids));
        return deleted;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GetLinkingDatasets(Cid batch) => inner.GetLinkingDatasets(batch);

    /// <inheritdoc/>
    public Cid? FindRetainingAncestor(Cid cid) => inner.FindRetainingAncestor(cid);

    /// <inheritdoc/>
    public void AddRetained(CidKeySet retained) => inner.AddRetained(retained);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> GuardTierBlocks(string holder, IReadOnlyList<Cid> cids, TimeSpan deletionLifetime) => inner.GuardTierBlocks(holder, cids, deletionLifetime);

    /// <inheritdoc/>
    public void ReleaseTierGuards(IReadOnlyList<string> holders) => inner.ReleaseTierGuards(holders);

    /// <inheritdoc/>
    public IReadOnlyList<Cid> MarkTierDeletions(IReadOnlyList<Cid> cids, TimeSpan guardLifetime) => inner.MarkTierDeletions(cids, guardLifetime);

    /// <inheritdoc/>
    public void EndTierDeletions(IReadOnlyList<Cid> cids) => inner.EndTierDeletions(cids);

    /// <inheritdoc/>
    public NamedVersion? AddVersion(string name, Cid cid)
    {
        var version = inner.AddVersion(name, cid);
        if (version is not null)
        {
            Record(new VersionJournaled(DateTimeOffset.UtcNow, version));
        }

        return version;
    }

    /// <inheritdoc/>
    public bool RestoreVersion(NamedVersion version) =>
        Recorded(inner.RestoreVersion(version), () => new VersionJournaled(DateTimeOffset.UtcNow, version));

    // A chain's nodes and records are not journaled: a rebuilt registry links its versions again
    // from the nodes the same rows and keys make (NameChain), and signs their records anew.

    /// <inheritdoc/>
    public Cid? LinkVersion(string name, long version, Cid node, KeptIpnsRecord? record = null) => inner.LinkVersion(name, version, node, record);

    /// <inheritdoc/>
    public byte[]? FindIpnsRecord(string ipnsName) => inner.FindIpnsRecord(ipnsName);

    /// <inheritdoc/>
    public bool KeepIpnsRecord(KeptIpnsRecord record) => inner.KeepIpnsRecord(record);

    /// <inheritdoc/>
    public NamedVersion? FindVersion(string name, long? version = null) => inner.FindVersion(name, version);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListNames(string? after = null, int? limit = null) => inner.ListNames(after, limit);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersions(string name, long? after = null, int? limit = null, bool oldestFirst = false) => inner.ListVersions(name, after, limit, oldestFirst);

    /// <inheritdoc/>
    public IReadOnlyList<NamedVersion> ListVersionsOf(Cid cid) => inner.ListVersionsOf(cid);

    /// <inheritdoc/>
    public IReadOnlyList<RegistryChange> ChangesSince(long sequence, int limit = 1000) => inner.ChangesSince(sequence, limit);

    /// <summary>Journals entries made in <see cref="Inner"/> directly (a gc's deletions, a compaction's dropped rows), synced.</summary>
    public void Record(params JournalEntry[] entries)
    {
        byte[][] payloads = Array.ConvertAll(entries, e => e.Encode());
        journal.Append(payloads);
        copy?.Append(payloads);
    }

    // Rows go to the journal when it keeps rows, and to the copy always: a copy beyond the folder
    // is all a rebuild has when the folder is gone.
    private void RecordRows(IReadOnlyList<BlockRecord> stored)
    {
        if (stored.Count == 0)
        {
            return;
        }

        if (journalRows)
        {
            Record(new RowsJournaled(DateTimeOffset.UtcNow, stored));
        }
        else
        {
            copy?.Append([new RowsJournaled(DateTimeOffset.UtcNow, stored).Encode()]);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => inner.Dispose();

    // Journals a change the registry made (when it made one); if the journal fails, undo puts the registry back first.
    private bool Recorded(bool changed, Func<JournalEntry> entry, Action? undo = null)
    {
        if (!changed)
        {
            return false;
        }

        try
        {
            Record(entry());
        }
        catch
        {
            undo?.Invoke();
            throw;
        }

        return true;
    }

    private void RestoreTag(Cid cid, string key, string? value) =>
        _ = value is null ? inner.RemoveTag(cid, key) : inner.SetTag(cid, key, value);
}
