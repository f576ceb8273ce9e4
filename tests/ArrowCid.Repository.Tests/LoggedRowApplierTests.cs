using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository.Tests.Content;
using ArrowCid.TestSupport;
using Microsoft.Data.Sqlite;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// The commit protocol's last step (docs/repository.md): a put is acknowledged once its group's log
/// entry is synced, and the registry applies its rows after. These tests hold SQLite's write lock
/// from outside (as another process's long transaction would) to keep the rows from being applied,
/// then check what the process reads, what it reports when the registry fails, and that nothing
/// acknowledged is lost.
/// </summary>
public sealed class LoggedRowApplierTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string RegistryPath => Path.Combine(_folder.Path, LocalRepository.RegistryFileName);

    [Fact]
    public void A_put_is_acknowledged_without_the_registry_and_this_process_never_reads_it_stale()
    {
        using var content = ContentRepository.Open(_folder.Path, new LocalRepositoryOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });
        using var batch = SampleBatches.Build(1, 5);
        Cid cid;
        using (HoldWriteLock())
        {
            // The registry's write lock is taken elsewhere for the whole put, longer than the lock
            // timeout: a put that waited for its registry transaction would fail; this one returns.
            cid = content.PutStream(SampleBatches.Schema, [batch]).Table.Cid;
            Assert.False(RowVisibleToOthers(cid));

            // A read in this process waits for the row, never answers without it: while the
            // registry stays locked past the timeout, it fails with the registry's error.
            var busy = Assert.Throws<SqliteException>(() => content.Repository.Registry.Find(cid));
            Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
        }

        var record = content.Repository.Registry.Find(cid) ?? throw new InvalidOperationException("the acknowledged row was not read back");
        Assert.True(record.Pinned);
        Assert.Equal(5, record.Rows);
        Assert.True(RowVisibleToOthers(cid));
        Assert.True(content.Repository.Verify().IsClean);
    }

    [Fact]
    public void A_registry_that_fails_reaches_the_reader_with_its_error_and_loses_no_acknowledged_put()
    {
        var puts = new List<Cid>();
        using (var content = ContentRepository.Open(_folder.Path, new LocalRepositoryOptions { LockTimeout = TimeSpan.FromMilliseconds(200) }))
        {
            using (HoldWriteLock())
            {
                using (var batch = SampleBatches.Build(2, 7))
                {
                    puts.Add(content.PutStream(SampleBatches.Schema, [batch]).Table.Cid);
                }

                var busy = Assert.Throws<SqliteException>(() => content.Repository.Registry.Find(puts[0]));
                Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY

                // The next group commit finds the registry failing and waits for it: its put fails
                // with the same error, although its rows are logged and will be applied.
                using var second = SampleBatches.Build(3, 7);
                Assert.Throws<SqliteException>(() => content.PutStream(SampleBatches.Schema, [second]));
                puts.Add(ContentRepository.ComputeCid(second).Cid);
            }

            // Once the registry is free again, every row is applied on the next read.
            Assert.All(puts, cid => Assert.True(content.Repository.GetRecord(cid)?.Pinned));
            Assert.True(content.Repository.Verify().IsClean);
        }

        // And after closing while the registry fails, the log's replay on the next open applies them.
        Cid third;
        var closing = ContentRepository.Open(_folder.Path, new LocalRepositoryOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });
        var held = HoldWriteLock();
        try
        {
            using (var batch = SampleBatches.Build(4, 7))
            {
                third = closing.PutStream(SampleBatches.Schema, [batch]).Table.Cid;
            }

            closing.Dispose();
            Assert.False(RowVisibleToOthers(third));
        }
        finally
        {
            held.Dispose();
        }

        using (var reopened = ContentRepository.Open(_folder.Path))
        {
            Assert.True(reopened.Repository.GetRecord(third)?.Pinned);
            Assert.All(puts, cid => Assert.NotNull(reopened.Repository.GetRecord(cid)));
            Assert.True(reopened.Repository.Verify().IsClean);
        }
    }

    [Fact]
    public void A_writer_leaves_the_pins_others_set_and_pins_nothing_of_its_own_but_its_table()
    {
        using var content = ContentRepository.Open(_folder.Path, new LocalRepositoryOptions { LockTimeout = TimeSpan.FromSeconds(5) });
        var first = content.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(16, 0, ChunkedTables.SeveralChunks), new PutOptions { Pin = false });
        Assert.True(first.Batches.Count >= 3, $"{first.Batches.Count} chunks");
        var pinnedByHand = first.Batches[1].Cid;
        Assert.True(content.Repository.Pin(pinnedByHand));

        // The same table again, pinned: its guard holds the chunks in a guard file, not as pins, so
        // it never unpins what someone else pinned and leaves no chunk of its own pinned.
        var again = content.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(16, 0, ChunkedTables.SeveralChunks), new PutOptions { Pin = true });

        Assert.Equal(first.Table.Cid, again.Table.Cid);
        Assert.True(content.Repository.GetRecord(again.Table.Cid)!.Pinned);
        Assert.True(content.Repository.GetRecord(pinnedByHand)!.Pinned);
        Assert.All(again.Batches.Where(b => b.Cid != pinnedByHand), b => Assert.False(content.Repository.GetRecord(b.Cid)!.Pinned));
    }

    [Fact]
    public void Garbage_collection_waits_for_queued_rows_and_keeps_what_they_pin()
    {
        using var content = ContentRepository.Open(_folder.Path, new LocalRepositoryOptions { LockTimeout = TimeSpan.FromMilliseconds(200) });
        Cid cid;
        using (HoldWriteLock())
        {
            using var batch = SampleBatches.Build(8, 4);
            cid = content.PutStream(SampleBatches.Schema, [batch]).Table.Cid;

            // The row is queued and the registry locked throughout: a collection that did not wait
            // for it would take the block for an orphan; this one fails with the registry's error.
            var busy = Assert.Throws<SqliteException>(() => content.Repository.GcListed());
            Assert.Equal(5, busy.SqliteErrorCode); // SQLITE_BUSY
            Assert.NotEmpty(content.Repository.Blocks.Read(cid).ToArray());
        }

        // Once the registry is free, the collection applies the row first and keeps what it pins.
        var report = content.Repository.GcListed();
        Assert.DoesNotContain(cid, report.RemovedOrphans);
        Assert.DoesNotContain(cid, report.RemovedRecords);
        Assert.True(content.Repository.GetRecord(cid)?.Pinned);
        Assert.NotEmpty(content.Repository.GetBlock(cid).ToArray());
    }

    [Fact]
    public async Task Concurrent_puts_each_read_their_own_row_back_at_once()
    {
        // Many groups in flight, the applier behind (held back at first by SQLite's write lock,
        // taken from outside): every put's own row must be there when it returns, in this process,
        // whichever thread applies it.
        using var content = ContentRepository.Open(_folder.Path);
        const int writers = 8;
        const int putsEach = 60;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        // The gate: the lock goes once every writer's first put is acknowledged (none of them can
        // read its row before), so groups are queued behind the registry whatever the machine's speed.
        var writeLock = HoldWriteLock();
        int acknowledged = 0;
        var allAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseSoon = allAcknowledged.Task.ContinueWith(_ => writeLock.Dispose(), TaskScheduler.Default);
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < putsEach; i++)
            {
                using var batch = SampleBatches.Build(1000 + (w * putsEach) + i, 3);
                var cid = content.PutStream(SampleBatches.Schema, [batch]).Table.Cid;
                if (i == 0 && Interlocked.Increment(ref acknowledged) == writers)
                {
                    allAcknowledged.SetResult();
                }

                if (content.Repository.Registry.Find(cid) is not { Pinned: true })
                {
                    failures.Add($"{cid} (writer {w}, put {i})");
                }
            }
        })));
        await releaseSoon;

        Assert.Empty(failures);
        Assert.Equal(writers * putsEach, content.Repository.Registry.ListCids().Count);
    }

    [Fact]
    public void A_group_after_a_failed_log_entry_is_applied_apart_so_the_entry_between_is_not_passed_over()
    {
        // A commit that failed after appending its entry leaves it in the log with no group queued:
        // the group after it must not share a transaction with the one before, or the log's applied
        // position would move past that entry without applying it.
        var logged = new ScriptedLoggedCommits { Fail = true };
        var applier = new LoggedRowApplier(logged, (_, _, _) => []);
        var random = new Random(31);
        var before = Group(random, offset: 100, followsGap: false);
        var after = Group(random, offset: 300, followsGap: true);
        var alongside = Group(random, offset: 400, followsGap: false);

        // The first apply fails, so the groups after it wait in the queue together.
        applier.Enqueue(before);
        Assert.True(SpinWait.SpinUntil(() => applier.MustCatchUp, TimeSpan.FromSeconds(10)), "the first apply did not fail");
        applier.Enqueue(after);
        applier.Enqueue(alongside);
        logged.Fail = false;
        applier.WaitApplied();

        Assert.Equal([(100L, 1), (100L, 1), (400L, 2)], logged.Calls.Select(c => (c.Position, c.Records)));
        Assert.All(new[] { before, after, alongside }.SelectMany(g => g.Rows), row => Assert.True(row.IsApplied));
        applier.Close();
    }

    private static LoggedGroup Group(Random random, long offset, bool followsGap)
    {
        var record = Registry.Tests.Support.TestBlocks.BatchRecord(Registry.Tests.Support.TestBlocks.RandomBatch(random, 64).Cid);
        return new LoggedGroup(Pack: 7, offset, [record], [new RegisteredRow(record)], new Hold(), followsGap);
    }

    // Records each UpsertLogged call (position, how many records); fails while told to.
    private sealed class ScriptedLoggedCommits : ILoggedCommits
    {
        public volatile bool Fail;

        public System.Collections.Concurrent.ConcurrentQueue<(long Position, int Records)> Calls { get; } = new();

        public long AppliedThrough(ulong log) => -1;

        public IReadOnlyDictionary<ulong, long> ListApplied() => new Dictionary<ulong, long>();

        public void MakeDurable()
        {
        }

        public void ForgetLog(ulong log)
        {
        }

        public IReadOnlyList<BlockRecord> UpsertLogged(ulong log, long position, IReadOnlyList<BlockRecord> records, Func<long, IReadOnlyList<IReadOnlyList<BlockRecord>>> missed)
        {
            Calls.Enqueue((position, records.Count));
            return Fail ? throw new IOException("the registry is failing") : records;
        }
    }

    private sealed class Hold : IDisposable
    {
        public void Dispose()
        {
        }
    }

    // SQLite's write lock, taken on a connection of its own (a BEGIN IMMEDIATE left open); disposing lets it go.
    private SqliteConnection HoldWriteLock()
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = RegistryPath, Pooling = false }.ToString());
        connection.Open();
        using (var begin = connection.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE;";
            begin.ExecuteNonQuery();
        }

        return connection;
    }

    // What another process reading the registry sees.
    private bool RowVisibleToOthers(Cid cid)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = RegistryPath, Pooling = false, Mode = SqliteOpenMode.ReadOnly }.ToString());
        connection.Open();
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT COUNT(*) FROM blocks WHERE cid = $cid;";
        query.Parameters.AddWithValue("$cid", cid.ToString());
        return (long)query.ExecuteScalar()! > 0;
    }
}
