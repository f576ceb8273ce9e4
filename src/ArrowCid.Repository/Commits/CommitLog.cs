using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Content.Stores.Packs;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

/// <summary>
/// The commit protocol in one place (docs/repository.md, "Commit protocol"): a group of rows is
/// logged in this process's pack after its blocks (<see cref="LoggedRows"/>) and the pack synced
/// once, which makes the group durable; the <see cref="LoggedRowApplier"/> then upserts the rows
/// into the registry without a sync of its own, recording how far each pack's log is applied
/// (<see cref="ILoggedCommits"/>, the registry's side); after a crash what lies past that position
/// is replayed. <see cref="GroupCommit{TItem, TResult}"/> gathers the groups.
/// </summary>
internal sealed class CommitLog
{
    private readonly DirectoryBlockStore _blocks;
    private readonly RepositoryLock _lock;
    private readonly ILoggedCommits _logged;

    // Schemas remembered for references; past this many (a node taking many table shapes) they are given in full again.
    private const int MaxLoggedSchemas = 1024;

    // The schemas this process's current pack has logged in full (only the committing thread uses them).
    private readonly Dictionary<string, LoggedSchema> _loggedSchemas = new(StringComparer.Ordinal);
    private ulong _loggedSchemasPack;

    // Whether a log entry failed after it may have been appended, with no group queued for it since (only the committing thread uses it).
    private bool _logGap;

    /// <summary>Logs in <paramref name="blocks"/>' packs what <paramref name="logged"/> applies.</summary>
    /// <param name="blocks">The block store whose packs hold the log.</param>
    /// <param name="repositoryLock">The repository lock: a queued group holds it shared until applied.</param>
    /// <param name="logged">The registry's logged commits.</param>
    public CommitLog(DirectoryBlockStore blocks, RepositoryLock repositoryLock, ILoggedCommits logged)
    {
        this._blocks = blocks;
        this._lock = repositoryLock;
        this._logged = logged;
        Applier = new LoggedRowApplier(logged, DecodeLogEntries);
    }

    /// <summary>Applies logged groups' rows after their acknowledgement.</summary>
    public LoggedRowApplier Applier { get; }

    /// <summary>The registry's side of the protocol.</summary>
    public ILoggedCommits Logged => _logged;

    // One group, one sync (docs/repository.md, "Commit protocol"): the group's rows are appended to
    // this process's pack after its blocks as a log entry and the pack is synced once; then the group
    // is durable and acknowledged, and the applier upserts its rows in a registry transaction that
    // does not sync (recording the entry as applied), with whatever other groups queued meanwhile;
    // after a crash the entry is replayed (Replay).
    /// <summary>Commits one group of rows (the <see cref="GroupCommit{TItem, TResult}"/> step): logged and synced, then queued for the registry.</summary>
    public RegisteredRow[] CommitGroup(IReadOnlyList<BlockRecord> rows)
    {
        // The creation time is fixed before logging, so a replay stores the time the apply would have.
        var now = DateTimeOffset.UtcNow;
        var records = rows.Select(r => r.Created == default ? r with { Created = now } : r).ToList();
        var at = LogRows(records);
        var logged = records.ConvertAll(r => new RegisteredRow(r));
        Applier.Enqueue(new LoggedGroup(at.Pack, at.Offset, records, logged, _lock.Shared(), _logGap));
        _logGap = false;
        if (Applier.MustCatchUp)
        {
            // A registry that fails or falls behind is the group's to wait for: its error reaches
            // the puts (their rows stay logged and queued), and the queue stops growing.
            Applier.WaitApplied();
        }

        return [.. logged];
    }

    /// <summary>
    /// Appends a group's rows to this process's pack as a log entry and syncs the pack: the group's
    /// one sync. A schema the same pack logged in full before is written as a reference to it (it
    /// is most of a row, and puts of one table shape repeat it); the references are remembered only
    /// once the entry is synced, and forgotten when the pack changes or a write fails.
    /// </summary>
    private PackLogPosition LogRows(IReadOnlyList<BlockRecord> records)
    {
        var given = new Dictionary<string, LoggedSchema>(StringComparer.Ordinal);
        PackLogPosition at;
        try
        {
            at = _blocks.Packs.AppendLogEntry(position =>
            {
                if (position.Pack != _loggedSchemasPack)
                {
                    _loggedSchemas.Clear();
                    _loggedSchemasPack = position.Pack;
                }

                return LoggedRows.Encode(records, (schema, index) =>
                {
                    if (_loggedSchemas.TryGetValue(schema, out var earlier) || given.TryGetValue(schema, out earlier))
                    {
                        return earlier;
                    }

                    given[schema] = new LoggedSchema(position.Offset, index);
                    return null;
                });
            });
            _blocks.SyncPacks();
        }
        catch
        {
            // The entry may be in the pack, unsynced or torn, and no group is queued for it.
            _loggedSchemas.Clear();
            _logGap = true;
            throw;
        }

        if (_loggedSchemas.Count + given.Count > MaxLoggedSchemas)
        {
            _loggedSchemas.Clear();
        }

        foreach (var (schema, first) in given)
        {
            _loggedSchemas[schema] = first;
        }

        return at;
    }

    /// <summary>
    /// Applies the log entries that lie past each pack's applied position (groups whose registry
    /// commit was lost, or never made) to the registry: those of every pack no live process appends
    /// to or, under the exclusive lock (no group in flight anywhere), of every pack.
    /// </summary>
    /// <param name="everyPack">Replay every pack's entries (under the exclusive lock), not only idle packs'.</param>
    /// <param name="packsJustRead">The packs were read a moment ago (a repository's open): they are not listed again.</param>
    /// <returns>How many entries were applied.</returns>
    public int Replay(bool everyPack, bool packsJustRead = false)
    {
        // This instance's own groups first (a pack it sealed may hold some), so none is applied twice.
        Applier.WaitApplied();

        int replayed = 0;
        // Read once: an open goes through hundreds of packs, and nearly every one is applied
        // through its last entry, which its index tells without a look at the pack or its lock.
        var applied = _logged.ListApplied();
        foreach (ulong pack in _blocks.Packs.ListLogPacks(refresh: !packsJustRead))
        {
            if (!_blocks.Packs.HasLogEntriesAfter(pack, applied.GetValueOrDefault(pack, -1)))
            {
                continue;
            }

            using var held = everyPack ? null : _blocks.Packs.TryHoldIdlePack(pack);
            if (!everyPack && held is null)
            {
                continue;
            }

            // Read again under the hold: another process may have replayed it meanwhile.
            var entries = _blocks.Packs.ReadLogEntries(pack, _logged.AppliedThrough(pack));
            if (entries.Count == 0)
            {
                continue;
            }

            long last = entries[^1].At.Offset;
            _logged.UpsertLogged(pack, last, [], applied => DecodeLogEntries(pack, applied, last + 1));
            replayed += entries.Count;
        }

        return replayed;
    }

    /// <summary>The rows of every log entry of a pack whose blocks are stored, by entry, in order (for a rebuild, and for the journal before a compaction drops them).</summary>
    /// <param name="pack">The pack.</param>
    /// <returns>Each entry's position and rows.</returns>
    public IReadOnlyList<(PackLogPosition At, IReadOnlyList<BlockRecord> Rows)> ReadLogged(ulong pack)
    {
        var entries = _blocks.Packs.ReadLogEntries(pack, -1);
        if (entries.Count == 0)
        {
            return [];
        }

        var groups = DecodeLogEntries(pack, -1, entries[^1].At.Offset + 1);
        return [.. entries.Select(e => e.At).Zip(groups)];
    }

    // The rows of a pack's log entries after one position and before another, schema references resolved from the entries they name.
    private List<IReadOnlyList<BlockRecord>> DecodeLogEntries(ulong pack, long after, long before)
    {
        var decoded = new Dictionary<long, IReadOnlyList<BlockRecord>>();
        var groups = new List<IReadOnlyList<BlockRecord>>();
        foreach (var entry in _blocks.Packs.ReadLogEntries(pack, after, before))
        {
            var records = LoggedRows.Decode(entry.Payload.Span, entry.At.Offset, ResolveSchema);
            decoded[entry.At.Offset] = records;

            // A logged row whose block is gone was deleted since (gc, delete, repair: a crash never
            // leaves a row without its block), so it is not registered again: a registry rebuilt
            // from the log does not bring back what a gc removed.
            groups.Add(records.All(r => _blocks.Has(r.Cid)) ? records : [.. records.Where(r => _blocks.Has(r.Cid))]);
        }

        return groups;

        string? ResolveSchema(LoggedSchema reference)
        {
            if (!decoded.TryGetValue(reference.Entry, out var records))
            {
                var named = _blocks.Packs.ReadLogEntries(pack, reference.Entry - 1, reference.Entry + 1);
                if (named.Count == 0)
                {
                    return null;
                }

                // The entry named gave the schema in full, so it needs no resolving itself.
                records = LoggedRows.Decode(named[0].Payload.Span, named[0].At.Offset);
                decoded[reference.Entry] = records;
            }

            return reference.Record < records.Count ? records[reference.Record].Schema : null;
        }
    }
}
