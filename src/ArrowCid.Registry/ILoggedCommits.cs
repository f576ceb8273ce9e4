namespace ArrowCid.Registry;

/// <summary>
/// Commits whose durability comes from a write-ahead log the caller keeps (the repository's packs,
/// docs/repository.md "Commit protocol"): the caller appends a group's rows to its log (encoded by
/// the repository's LoggedRows) and syncs it once with the group's blocks; the registry then commits
/// the group without a sync of its own, recording in the same transaction how far that log has been
/// applied, and the caller replays what lies past that position after a crash. SQLite implements it
/// (a synced commit of its own would cost a second sync); it is no part of <see cref="IRegistry"/>:
/// only the repository that owns the log (its CommitLog) uses it.
/// </summary>
public interface ILoggedCommits
{
    /// <summary>How far a log has been applied: the position of its last applied entry, or -1 for none.</summary>
    /// <param name="log">The log (a pack id).</param>
    /// <returns>The position.</returns>
    long AppliedThrough(ulong log);

    /// <summary>Every log with an applied position.</summary>
    /// <returns>Log → position of its last applied entry.</returns>
    IReadOnlyDictionary<ulong, long> ListApplied();

    /// <summary>Makes every commit made so far durable (one synced commit): before the caller drops log entries already applied.</summary>
    void MakeDurable();

    /// <summary>Forgets a log's position (its entries are gone: the pack was rewritten).</summary>
    /// <param name="log">The log.</param>
    void ForgetLog(ulong log);

    /// <summary>
    /// In one transaction whose commit is not synced: upserts each group <paramref name="missed"/>
    /// returns (given the position applied so far; the entries logged after it and before
    /// <paramref name="position"/>, in order), then <paramref name="records"/> (as
    /// <see cref="IRegistry.UpsertAll"/>), and records <paramref name="position"/> as applied for
    /// <paramref name="log"/> (a position never moves back). Durable only as far as the caller's log is.
    /// When the log is applied through <paramref name="position"/> already (another process replayed
    /// it), nothing is written: the records as stored are returned.
    /// </summary>
    /// <param name="log">The log holding the entry.</param>
    /// <param name="position">The entry's position in it.</param>
    /// <param name="records">The entry's records (empty when only replaying).</param>
    /// <param name="missed">Earlier entries not applied yet, from the position applied so far.</param>
    /// <returns>The records as now stored, in order.</returns>
    IReadOnlyList<BlockRecord> UpsertLogged(ulong log, long position, IReadOnlyList<BlockRecord> records, Func<long, IReadOnlyList<IReadOnlyList<BlockRecord>>> missed);
}
