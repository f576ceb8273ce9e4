using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Rebuild: a lost or damaged registry made again from the record it indexes, the packs' log and the journal.
public sealed partial class LocalRepository
{
    private const string UnrecordedProvenance = "re-registered by a registry rebuild: no log or journal entry names this block; pinned so that nothing is collected";

    /// <summary>
    /// Rebuilds the repository's registry from the durable record (docs/reliability.md, "A lost
    /// registry"): the registry file, if any, is moved to <c>quarantine/</c>; a new one is made;
    /// then every row of the packs' log and every change of the journal (rows a compaction dropped
    /// from the log, pins, tags, deletions, names' versions with their numbers and times) is
    /// replayed in the order it was made. A row whose block is no longer stored is not brought
    /// back, nor one deleted since. A stored block that no entry names (written before the
    /// repository kept a journal, say) is registered again and pinned, so nothing is collected.
    /// No node may serve the folder meanwhile.
    /// </summary>
    /// <param name="root">The repository folder.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <returns>What was rebuilt.</returns>
    /// <exception cref="InvalidOperationException">A node serves the folder.</exception>
    public static RegistryRebuild RebuildRegistry(string root, LocalRepositoryOptions? options = null)
    {
        options ??= new LocalRepositoryOptions();
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"no repository at {root}");
        }

        // A node would keep writing to the registry file moved aside.
        using var lease = NodeLease.Acquire(root);
        string? setAside;
        using (new RepositoryLock(Path.Combine(root, LockFileName), options.LockTimeout).Exclusive())
        {
            setAside = SetRegistryAside(root);
        }

        using var repository = new LocalRepository(root, options with { RebuildingRegistry = true });
        return repository.Rebuild(setAside);
    }

    /// <summary>
    /// Writes again, into a registry this node shares with others and that lost what this node put
    /// there: each of this repository's rows, with <paramref name="location"/>, then every change
    /// the node journaled there (<see cref="Journaled"/>), in the order they were made.
    /// </summary>
    /// <param name="shared">The shared registry (not journaled: the changes replayed are journaled already).</param>
    /// <param name="location">This node's location there, if known.</param>
    /// <returns>What was written.</returns>
    public RegistryRebuild RebuildShared(IRegistry shared, string? location)
    {
        ArgumentNullException.ThrowIfNull(shared);
        if (shared is JournaledRegistry journaled)
        {
            shared = journaled.Inner;
        }

        var events = new List<RebuildEvent>();
        foreach (var row in _registry.List())
        {
            events.Add(new RebuildEvent(row.Created, events.Count, new RowsJournaled(row.Created, [row.PublishedFrom(location, row.Pinned)])));
        }

        AddJournal(events, _journaled.Journal.Beside(RegistryJournal.SharedFileName));
        return Replay(events, shared, _ => true) with { SetAside = null };
    }

    /// <summary>
    /// Replays journal entries (an <see cref="IJournalCopy"/>'s, e.g. a durable tier's log) into
    /// <paramref name="registry"/> in the order they were made: rows, pins, tags, deletions and
    /// names' versions with their numbers and times. Replaying an entry twice changes nothing more.
    /// </summary>
    /// <param name="registry">The registry to write (a journaled one is written beneath its journal, which holds these already).</param>
    /// <param name="journals">The journals' bytes (<see cref="EncodeJournal"/>), in any order.</param>
    /// <returns>What was written.</returns>
    /// <exception cref="InvalidDataException">One of them is not a journal.</exception>
    public static RegistryRebuild ReplayJournal(IRegistry registry, IEnumerable<byte[]> journals)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(journals);
        if (registry is JournaledRegistry journaled)
        {
            registry = journaled.Inner;
        }

        var events = new List<RebuildEvent>();
        foreach (byte[] journal in journals)
        {
            AddEntries(events, RegistryJournal.Decode(journal));
        }

        return Replay(events, registry, _ => true) with { SetAside = null };
    }

    /// <summary>
    /// The whole of <paramref name="registry"/> as journals of entries made at <paramref name="at"/>,
    /// each at most about <paramref name="maxBytes"/>: every record as it stands (its pin, tags and
    /// locations), then every name's versions with their numbers and times. What a journal kept
    /// elsewhere (a durable tier's) is compacted to: replayed with what that journal holds from
    /// <paramref name="at"/> on (<see cref="ReplayJournal"/>), it writes the registry again, so the
    /// journal written before the registry was read may go. A record deleted before goes
    /// unmentioned: a copy of it replayed from elsewhere (a pack's) comes back, for a repair to
    /// reconcile with where its block is.
    /// </summary>
    /// <param name="registry">The registry, read a page at a time.</param>
    /// <param name="at">When the registry began to be read: the entries' time.</param>
    /// <param name="maxBytes">A journal's entries at most (one record or version more may pass it).</param>
    /// <returns>The journals' bytes (<see cref="EncodeJournal"/>), in order.</returns>
    public static IEnumerable<byte[]> CompactedJournals(IRegistry registry, DateTimeOffset at, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(registry);
        var entries = new List<byte[]>();
        long bytes = 0;
        foreach (var records in registry.Walk().Chunk(256))
        {
            if (Add(new RowsStated(at, records).Encode()))
            {
                yield return Flush();
            }
        }

        foreach (var name in registry.WalkNames())
        {
            foreach (var version in registry.WalkVersions(name.Name, oldestFirst: true))
            {
                if (Add(new VersionJournaled(at, version).Encode()))
                {
                    yield return Flush();
                }
            }
        }

        if (entries.Count > 0)
        {
            yield return Flush();
        }

        bool Add(byte[] entry)
        {
            entries.Add(entry);
            bytes += entry.Length;
            return bytes >= maxBytes;
        }

        byte[] Flush()
        {
            byte[] journal = RegistryJournal.Encode(entries);
            entries.Clear();
            bytes = 0;
            return journal;
        }
    }

    /// <summary>Frames journal entries (what an <see cref="IJournalCopy"/> is given) as one journal's bytes, for <see cref="ReplayJournal"/>.</summary>
    /// <param name="entries">The entries, in order.</param>
    /// <returns>The bytes.</returns>
    public static byte[] EncodeJournal(IReadOnlyList<byte[]> entries) => RegistryJournal.Encode(entries);

    /// <summary>One journal entry recording <paramref name="rows"/> as upserted now: for a copy of the journal written apart from the registry's own calls (a pack carrying its blocks' records).</summary>
    /// <param name="rows">The rows.</param>
    /// <returns>The entry, for <see cref="EncodeJournal"/>.</returns>
    public static byte[] JournalRows(IReadOnlyList<BlockRecord> rows) => new RowsJournaled(DateTimeOffset.UtcNow, rows).Encode();

    private RegistryRebuild Rebuild(string? setAside)
    {
        using (_lock.Exclusive())
        {
            var events = new List<RebuildEvent>();
            var lastEntries = new Dictionary<ulong, long>();
            foreach (ulong pack in Blocks.Packs.ListLogPacks())
            {
                foreach (var (at, rows) in _log.ReadLogged(pack))
                {
                    lastEntries[pack] = at.Offset;
                    foreach (var row in rows)
                    {
                        events.Add(new RebuildEvent(row.Created, events.Count, new RowsJournaled(row.Created, [row])));
                    }
                }
            }

            AddJournal(events, _journaled.Journal);
            var rebuilt = Replay(events, _journaled.Inner, Blocks.Has);

            // The log is applied through its last entry: nothing is replayed again at the next open.
            foreach (var (pack, last) in lastEntries)
            {
                _log.Logged.UpsertLogged(pack, last, [], _ => []);
            }

            var registered = _journaled.Inner.ListCids().ToHashSet();
            var unrecorded = new List<Cid>();
            foreach (var cid in Blocks.Enumerate().Where(c => !registered.Contains(c)).ToList())
            {
                if (TryReregister(cid, UnrecordedProvenance))
                {
                    _journaled.Pin(cid);
                    unrecorded.Add(cid);
                }
            }

            return rebuilt with { SetAside = setAside, Unrecorded = unrecorded };
        }
    }

    // The journal's entries, a row each for the rows entries (ordered by the time each row was made).
    private static void AddJournal(List<RebuildEvent> events, RegistryJournal journal) => AddEntries(events, journal.ReadAll());

    private static void AddEntries(List<RebuildEvent> events, IEnumerable<byte[]> payloads)
    {
        foreach (byte[] payload in payloads)
        {
            var entry = JournalEntry.Decode(payload);
            if (entry is RowsJournaled rows)
            {
                foreach (var row in rows.Records)
                {
                    events.Add(new RebuildEvent(row.Created, events.Count, new RowsJournaled(row.Created, [row])));
                }
            }
            else
            {
                events.Add(new RebuildEvent(entry.At, events.Count, entry));
            }
        }
    }

    // Applies the events in time order (ties in the order read), runs of rows in one upsert.
    private static RegistryRebuild Replay(List<RebuildEvent> events, IRegistry registry, Func<Cid, bool> stored)
    {
        events.Sort(static (a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Order.CompareTo(b.Order));
        var rows = new List<BlockRecord>();
        var report = new RegistryRebuild();
        int versions = 0, tags = 0, pins = 0, deletions = 0;
        foreach (var (_, _, entry) in events)
        {
            if (entry is RowsJournaled journaled)
            {
                rows.AddRange(journaled.Records.Where(r => stored(r.Cid)));
                continue;
            }

            Flush();
            entry.ApplyTo(registry);
            switch (entry)
            {
                case VersionJournaled:
                    versions++;
                    break;
                case TagJournaled:
                    tags++;
                    break;
                case PinJournaled pin:
                    pins += pin.Cids.Count;
                    break;
                case DeleteJournaled deleted:
                    deletions += deleted.Cids.Count;
                    break;
            }
        }

        Flush();
        return report with
        {
            Rows = registry.ListCids().Count,
            Versions = versions,
            TagChanges = tags,
            PinChanges = pins,
            Deletions = deletions,
        };

        void Flush()
        {
            if (rows.Count > 0)
            {
                registry.UpsertAll(rows);
                rows.Clear();
            }
        }
    }

    // Moves registry.db and its SQLite companions into quarantine/; returns where the database went (null when there was none).
    private static string? SetRegistryAside(string root)
    {
        string database = Path.Combine(root, RegistryFileName);
        string folder = Path.Combine(root, QuarantineFolderName);
        string target = Path.Combine(folder, $"{RegistryFileName}.{DateTime.UtcNow.Ticks}");
        string? moved = null;
        foreach (string suffix in new[] { string.Empty, "-wal", "-shm", "-journal" })
        {
            if (File.Exists(database + suffix))
            {
                Arrow.IO.PrivateFiles.CreateFolder(folder);
                Arrow.IO.FileFaults.Check(Arrow.IO.FileOperation.Rename, database + suffix);
                File.Move(database + suffix, target + suffix);
                moved ??= suffix.Length == 0 ? target : null;
            }
        }

        Arrow.IO.DurableFile.FlushDirectory(root);
        return moved;
    }

    private readonly record struct RebuildEvent(DateTimeOffset At, int Order, JournalEntry Entry);
}
