using ArrowCid.Content.Multiformats;

using ArrowCid.Registry;

namespace ArrowCid.Repository;

// Garbage collection: what no pin, name or pinned link retains is removed.
public sealed partial class LocalRepository
{
    /// <summary>
    /// Removes every block that is neither pinned, nor named by a version of a table name, nor
    /// linked (transitively) by a pinned or named dataset or a pinned foreign DAG node:
    /// registered ones (row first, then block, so a crash leaves only an orphan) and unregistered
    /// blocks, plus temporary files of dead writers. Packed blocks are removed by compaction
    /// (<see cref="Content.Stores.Packs.PackStore.Compact"/>): a tombstone each, and packs whose
    /// live records fill less than <see cref="PackLiveFraction"/> are rewritten. Runs alone
    /// (exclusive lock).
    /// </summary>
    /// <remarks>
    /// <para>
    /// With a registry this node shares with others (<paramref name="shared"/>), what any node's
    /// names and pins retain there is kept too, whatever this repository's own registry says, and
    /// for each block removed only this node's <paramref name="location"/> is released there: the
    /// shared record goes only with its last location (<see cref="IRegistry.ReleaseLocation"/>).
    /// </para>
    /// <para>
    /// With <paramref name="replication"/> as well, a retained block is handed over to other nodes
    /// when at least <see cref="GcReplication.MinCopies"/> others are recorded as holding it and
    /// verified to serve it (<see cref="GcReplication.Serves"/>): this node's location goes first,
    /// in one registry transaction that checks those holders are still recorded
    /// (<see cref="IRegistry.ReleaseLocationKeepingCopies"/>), then its row and block. A retained
    /// block recorded in fewer copies than that, this one included, is kept and counted
    /// (<see cref="GcReport.BelowMinCopies"/>). What a live put's guard holds is never handed over.
    /// </para>
    /// </remarks>
    /// <param name="shared">The registry shared with other nodes, if any.</param>
    /// <param name="location">This node's location in <paramref name="shared"/>, if known.</param>
    /// <param name="replication">How many copies the nodes keep, and how another node's copy is verified; null: every retained block is kept here.</param>
    /// <param name="removed">
    /// Called with each block removed, as it goes (the registered ones first, as the rows are
    /// walked, then the unregistered ones): a collection of millions of blocks holds none of them.
    /// </param>
    /// <param name="walked">Called as the registry's rows are walked, with how many were walked since the last call (a progress that moves: against the registry's row count).</param>
    /// <returns>What was removed, counted.</returns>
    public GcReport Gc(IRegistry? shared = null, string? location = null, GcReplication? replication = null, Action<GcRemoval>? removed = null, Action<long>? walked = null)
    {
        // Outlives a first attempt that a full disk stops halfway (FreeingSpace then gives the
        // reserve back and runs it again): the rows it removed stay counted, told from unregistered
        // blocks and journaled, and what it reported is not reported twice.
        using var removals = new GcRemovals(NewKeySet(), new CidSpillList(Root, _removedSpillThreshold));
        return _reserve.FreeingSpace(() => Collect(shared, location, replication, removed, walked, removals));
    }

    // What a collection removed, kept across its attempts.
    private sealed class GcRemovals(CidKeySet reported, CidSpillList toJournal) : IDisposable
    {
        /// <summary>
        /// The keys of the blocks reported removed: the packs' removals of rows removed above are
        /// told from unregistered blocks, and none is reported twice.
        /// </summary>
        public CidKeySet Reported { get; } = reported;

        /// <summary>The removed rows, journaled after the compaction.</summary>
        public CidSpillList ToJournal { get; } = toJournal;

        public long Records { get; set; }

        public long Orphans { get; set; }

        public long BytesFreed { get; set; }

        public void Dispose()
        {
            Reported.Dispose();
            ToJournal.Dispose();
        }
    }

    private GcReport Collect(IRegistry? shared, string? location, GcReplication? replication, Action<GcRemoval>? removed, Action<long>? walked, GcRemovals removals)
    {
        // This instance's queued rows hold the shared lock until applied: apply them (or fail with the registry's error) first.
        WaitApplied();
        using (_lock.Exclusive())
        {
            // Rows a lost registry commit left only in a pack's log count (and keep their entries) too.
            _log.Replay(everyPack: true);
            // Held as keys, a few bytes a block, spilled to a file in the repository beyond a few MiB:
            // the set is as large as what the repository keeps. A key it shares with a garbage block
            // (one chance in 2^48 per block and kept one) keeps that block too; it never lets a
            // retained one go.
            using var retained = NewKeySet();
            _registry.AddRetained(retained);

            // A live put's guard holds what it stored until its table is registered; a dead put's guard file goes.
            var guarded = PinGuard.ListHeld(Root, out int abandonedGuards);
            retained.UnionWith(guarded);
            if (shared is not null)
            {
                // Read after the local set: a name or pin added in between keeps its block either way.
                shared.AddRetained(retained);
            }

            var copies = shared is not null && location is not null
                ? ReconcileCopies(retained, guarded, shared, location, replication)
                : new CopiesReport([], 0, 0);
            var handedOverKeys = copies.HandedOver.Select(CidKey.Of).ToHashSet();

            // By key, as the packs' indexes list blocks: the compaction reads the CID of none it keeps.
            bool KeepKey(UInt128 key) => retained.ContainsKey(key) && !handedOverKeys.Contains(key);
            bool Keep(Cid cid) => KeepKey(CidKey.Of(cid));
            int released = copies.HandedOver.Count;
            void Release(Cid cid)
            {
                if (shared is not null && location is not null && shared.ReleaseLocation(cid, location) != LocationRelease.NotHeld)
                {
                    released++;
                }
            }

            if (_registry.ListCids(limit: 1).Count == 0 && (Blocks.EnumerateFiles().Any() || Blocks.Packs.ListCopies().Any()))
            {
                // Everything stored would look unregistered and go: a registry without a single row
                // beside stored blocks was lost or replaced, and its blocks may be acknowledged tables.
                throw new RegistryLostException(
                    "gc stopped: the registry has no rows but the repository stores blocks (was registry.db lost or replaced?); run 'arrowcid verify --repair' first, which registers them again, pinned");
            }

            // What was reported removed, to tell the packs' removals of rows removed above from
            // unregistered blocks (as keys: one unregistered block in 2^48 per removal taken for one
            // reported goes unreported, though it is removed and released below), and the removed
            // rows to be journaled after the compaction; both spill to the repository's folder, so
            // millions removed take no memory.
            var reported = removals.Reported;
            var toJournal = removals.ToJournal;
            void Report(Cid cid, bool registered) => removed?.Invoke(new GcRemoval(cid, registered, handedOverKeys.Count > 0 && handedOverKeys.Contains(CidKey.Of(cid))));
            // The rows are walked a page at a time (in CID order, so deleting behind the walk moves nothing ahead of it).
            var garbage = new List<Cid>(GarbageRowsPerTransaction);
            void RemoveRows()
            {
                // The shared registry stops naming this node first: a failure in between leaves a
                // block held but not listed (verify --repair lists it), never a listed one gone.
                foreach (var cid in garbage)
                {
                    Release(cid);
                }

                // Rows first, then blocks (a crash between leaves orphans, which the next gc takes).
                // Journaled after the compaction, which frees the space that takes on a full disk.
                _journaled.Inner.DeleteAll(garbage);
                foreach (var cid in garbage)
                {
                    removals.BytesFreed += DeleteBlockFile(cid);
                    reported.Add(cid);
                    toJournal.Add(cid);
                    removals.Records++;
                    Report(cid, registered: true);
                }

                garbage.Clear();
            }

            // Told a page's worth at a time: a call a row would cost more than the walk at ten million.
            const int WalkedStep = 1024;
            long sinceTold = 0;
            foreach (var cid in _registry.WalkCids())
            {
                if (++sinceTold == WalkedStep)
                {
                    walked?.Invoke(sinceTold);
                    sinceTold = 0;
                }

                if (!Keep(cid))
                {
                    garbage.Add(cid);
                    if (garbage.Count == GarbageRowsPerTransaction)
                    {
                        RemoveRows();
                    }
                }
            }

            RemoveRows();
            walked?.Invoke(sinceTold);

            foreach (var cid in Blocks.EnumerateFiles().ToList())
            {
                // Every registered block not retained went above, so a row here means the block is kept.
                if (!Keep(cid) && !_registry.Contains(cid))
                {
                    Release(cid);
                    removals.BytesFreed += DeleteBlockFile(cid);
                    reported.Add(cid);
                    removals.Orphans++;
                    Report(cid, registered: false);
                }
            }

            // Rows are gone first; the packs then drop every block nothing retains, in one pass. A
            // rewrite drops log entries already applied, so the commits that applied them are made
            // durable first; a pack holding one not applied is left as it is.
            var logged = _log.Logged;
            logged.MakeDurable();
            var applied = logged.ListApplied();
            void RemovingPacked(Cid cid, int length)
            {
                // Released before its tombstone, as a row's block is above (releasing one whose row
                // went above again finds it released already).
                Release(cid);
                removals.BytesFreed += length;

                // Every registered block the packs drop lost its row above; any other was an orphan.
                // (Not added to the set: an add between its reads sorts it again. A first attempt
                // stopped by a full disk between reporting one and its tombstone reports it again.)
                if (!reported.Contains(cid))
                {
                    removals.Orphans++;
                    Report(cid, registered: false);
                }
            }

            var compaction = Blocks.Packs.Compact(KeepKey, PackLiveFraction, pack => applied.GetValueOrDefault(pack, -1), JournalLoggedRows, RemovingPacked);
            ForgetRewrittenLogs(applied);

            // A rebuilt registry must not bring these rows back if their blocks are stored again. A
            // crash before this leaves them unjournaled: a rebuild still drops them while their blocks
            // are gone, and otherwise loses only their old tags (nothing acknowledged since). In
            // entries of at most as many rows as the list holds in memory, read back from it.
            foreach (var chunk in toJournal.ReadChunks(_removedSpillThreshold))
            {
                _journaled.Record(new DeleteJournaled(DateTimeOffset.UtcNow, chunk));
            }

            // No repository writer can hold the shared lock now, so every temporary file is a dead writer's.
            int temps = Blocks.CleanTempFiles(TimeSpan.Zero);
            return new GcReport
            {
                RecordsRemoved = removals.Records,
                OrphansRemoved = removals.Orphans,
                RemovedTempFiles = temps,
                BytesFreed = removals.BytesFreed,
                PacksRewritten = compaction.PacksRewritten,
                Retained = retained.Count - handedOverKeys.Count,
                LocationsReleased = released,
                AbandonedGuards = abandonedGuards,
                HandedOver = copies.HandedOver,
                BelowMinCopies = copies.BelowMinCopies,
                LocationsRecorded = copies.Recorded,
            };
        }
    }

    // The retained blocks held here, set right in the shared registry: one it does not list this
    // node for is listed (a put killed before it published, say), and, with replication, one that
    // enough other nodes verifiably serve is handed over: its location released here (checked
    // against the same holders in the registry's transaction), and the collection then removes its
    // row and block like any other. The stored blocks are walked, each once.
    private CopiesReport ReconcileCopies(CidKeySet retained, HashSet<Cid> guarded, IRegistry shared, string location, GcReplication? replication)
    {
        var handedOver = new List<Cid>();
        int below = 0;
        int recorded = 0;
        foreach (var cid in Blocks.Enumerate())
        {
            if (!retained.Contains(cid) || guarded.Contains(cid))
            {
                continue;
            }

            var record = shared.Find(cid);
            if (record is null || !record.Locations.Contains(location, StringComparer.OrdinalIgnoreCase))
            {
                if (record is not null)
                {
                    recorded += shared.AddLocation(cid, location) ? 1 : 0;
                }
                else if (_registry.Find(cid) is { } local)
                {
                    // Not published at all: as the node publishes what it stores.
                    shared.Upsert(local.PublishedFrom(location));
                    recorded++;
                }

                continue;
            }

            if (replication is null)
            {
                continue;
            }

            int minCopies = replication.MinCopies;
            var others = record.Locations.Where(l => !string.Equals(l, location, StringComparison.OrdinalIgnoreCase)).ToList();
            if (others.Count + 1 < minCopies)
            {
                below++;
                continue;
            }

            if (others.Count < minCopies)
            {
                continue;
            }

            var verified = new List<string>(minCopies);
            foreach (string other in others)
            {
                if (replication.Serves(cid, other))
                {
                    verified.Add(other);
                    if (verified.Count == minCopies)
                    {
                        break;
                    }
                }
            }

            if (verified.Count == minCopies && shared.ReleaseLocationKeepingCopies(cid, location, verified, minCopies))
            {
                handedOver.Add(cid);
            }
        }

        return new CopiesReport(handedOver, below, recorded);
    }

    private sealed record CopiesReport(List<Cid> HandedOver, int BelowMinCopies, int Recorded);

    // Positions of packs a rewrite deleted are dead weight in the registry.
    private void ForgetRewrittenLogs(IReadOnlyDictionary<ulong, long> applied)
    {
        var logged = _log.Logged;
        foreach (ulong pack in applied.Keys)
        {
            if (!File.Exists(Blocks.Packs.PathOf(pack)))
            {
                logged.ForgetLog(pack);
            }
        }
    }

    // Rows gc deletes in one registry transaction (a transaction each cost most of a deletion).
    private const int GarbageRowsPerTransaction = 256;

    /// <summary>A pack whose live records fill less than this fraction of it is rewritten by <see cref="Gc"/>.</summary>
    public const double PackLiveFraction = 0.5;

    // Before a compaction drops a pack's applied log entries, the rows of stored blocks they hold go
    // to the journal, synced: the packs' log and the journal together stay the registry's record.
    private void JournalLoggedRows(ulong pack)
    {
        var rows = _log.ReadLogged(pack).SelectMany(entry => entry.Rows).ToList();
        if (rows.Count > 0)
        {
            _journaled.Record(new RowsJournaled(DateTimeOffset.UtcNow, rows));
        }
    }
}
