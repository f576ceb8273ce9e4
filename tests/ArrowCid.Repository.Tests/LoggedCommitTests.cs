using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests;

/// <summary>
/// The commit protocol of docs/repository.md: a group's rows are logged in the pack and synced with
/// its blocks, the SQLite commit does not sync, and a commit lost to power loss is replayed from the
/// pack. Power loss is simulated by putting back a copy of the registry taken before the puts.
/// </summary>
public sealed class LoggedCommitTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly Random _random = new(16);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_registry_commit_lost_after_the_pack_sync_is_replayed_on_open_with_its_pins()
    {
        var (before, beforeBytes) = TestBlocks.RandomBatch(_random, 1024);
        var lost = Enumerable.Range(0, 5).Select(_ => TestBlocks.RandomBatch(_random, 1024)).ToList();
        Dictionary<string, byte[]> saved;
        using (var repo = new LocalRepository(_folder.Path))
        {
            // Logged with its schema in full; the lost puts' entries name it (its commit is kept).
            repo.PutBlock(before, beforeBytes, TestBlocks.BatchRecord(before) with { Pinned = true });
            saved = SaveRegistry();
            foreach (var (cid, bytes) in lost)
            {
                repo.PutBlock(cid, bytes, TestBlocks.BatchRecord(cid) with { Pinned = true, Tags = new Dictionary<string, string> { ["k"] = "v" } });
            }

            Assert.All(lost, b => Assert.NotNull(repo.GetRecord(b.Cid)));
        }

        RestoreRegistry(saved);
        using (var bare = new Registry.Sqlite.SqliteRegistry(Path.Combine(_folder.Path, LocalRepository.RegistryFileName)))
        {
            Assert.All(lost, b => Assert.Null(bare.Find(b.Cid)));
        }

        using var reopened = new LocalRepository(_folder.Path);
        foreach (var (cid, bytes) in lost)
        {
            var record = reopened.GetRecord(cid) ?? throw new InvalidOperationException($"{cid} was not replayed");
            Assert.True(record.Pinned);
            Assert.Equal("v", record.Tags["k"]);
            Assert.Equal(bytes.Length, record.Bytes);
            Assert.Equal(TestBlocks.BatchRecord(cid).Schema, record.Schema);
            Assert.Equal(bytes, reopened.GetBlock(cid).ToArray());
        }

        Assert.NotNull(reopened.GetRecord(before));
        Assert.True(reopened.Verify().IsClean);
        Assert.Empty(reopened.GcListed().RemovedRecords);
    }

    [Fact]
    public void Replay_is_idempotent_a_second_open_changes_nothing()
    {
        using (new LocalRepository(_folder.Path))
        {
        }

        var saved = SaveRegistry();
        var lost = Enumerable.Range(0, 3).Select(_ => TestBlocks.RandomBatch(_random, 1024)).ToList();
        using (var repo = new LocalRepository(_folder.Path))
        {
            foreach (var (cid, bytes) in lost)
            {
                repo.PutBlock(cid, bytes, TestBlocks.BatchRecord(cid));
            }
        }

        RestoreRegistry(saved);
        long sequence;
        IReadOnlyList<BlockRecord> replayed;
        using (var first = new LocalRepository(_folder.Path))
        {
            sequence = first.Registry.LatestSequence;
            replayed = first.Registry.List();
            Assert.Equal(lost.Select(b => b.Cid).ToHashSet(), replayed.Select(r => r.Cid).ToHashSet());
        }

        using var second = new LocalRepository(_folder.Path);
        Assert.Equal(sequence, second.Registry.LatestSequence);
        Assert.Equal(replayed, second.Registry.List(), new RecordComparer());
    }

    [Fact]
    public void Each_commit_moves_its_packs_applied_position_to_its_log_entry()
    {
        using var repo = new LocalRepository(_folder.Path);
        var logged = repo.LoggedCommits;
        var positions = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            var (cid, bytes) = TestBlocks.RandomBatch(_random, 1024);
            repo.PutBlock(cid, bytes, TestBlocks.BatchRecord(cid));
            Assert.True(repo.Blocks.TryGetPacked(cid, out var packed));
            var entries = repo.Blocks.Packs.ReadLogEntries(packed.Pack, -1);
            Assert.Equal(i + 1, entries.Count);
            Assert.True(entries[^1].At.Offset > packed.RecordOffset);
            Assert.Equal(entries[^1].At.Offset, logged.AppliedThrough(packed.Pack));
            positions.Add(logged.AppliedThrough(packed.Pack));
        }

        Assert.Equal(positions.Order(), positions);
        Assert.Equal(3, positions.Distinct().Count());
    }

    [Fact]
    public void A_large_block_in_a_file_of_its_own_still_logs_its_row_in_the_pack()
    {
        byte[] bytes = new byte[LocalRepositoryOptions.DefaultPackThreshold + 1];
        _random.NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        using (new LocalRepository(_folder.Path))
        {
        }

        var saved = SaveRegistry();
        using (var repo = new LocalRepository(_folder.Path))
        {
            repo.PutBlock(cid, bytes, TestBlocks.BatchRecord(cid) with { Pinned = true });
            Assert.False(repo.Blocks.TryGetPacked(cid, out _));
        }

        RestoreRegistry(saved);
        using var reopened = new LocalRepository(_folder.Path);
        Assert.True(reopened.GetRecord(cid)?.Pinned);
    }

    [Fact]
    public void Gc_rewrites_packs_without_losing_or_reviving_rows()
    {
        var kept = new List<(Cid Cid, byte[] Bytes)>();
        var dropped = new List<Cid>();
        using (var repo = new LocalRepository(_folder.Path))
        {
            for (int i = 0; i < 40; i++)
            {
                var (cid, bytes) = TestBlocks.RandomBatch(_random, 1024);
                bool keep = i % 8 == 0;
                repo.PutBlock(cid, bytes, TestBlocks.BatchRecord(cid) with { Pinned = keep });
                if (keep)
                {
                    kept.Add((cid, bytes));
                }
                else
                {
                    dropped.Add(cid);
                }
            }

            var report = repo.GcListed();
            Assert.True(report.PacksRewritten > 0);
            Assert.Equal(dropped.ToHashSet(), report.RemovedRecords.ToHashSet());

            // The rewritten packs' log entries were applied and are gone with them, and so are their positions.
            var applied = repo.LoggedCommits.ListApplied();
            Assert.All(applied.Keys, pack => Assert.True(File.Exists(repo.Blocks.Packs.PathOf(pack))));
        }

        using var reopened = new LocalRepository(_folder.Path);
        Assert.Equal(kept.Select(b => b.Cid).ToHashSet(), reopened.Registry.ListCids().ToHashSet());
        foreach (var (cid, bytes) in kept)
        {
            Assert.Equal(bytes, reopened.GetBlock(cid).ToArray());
        }

        Assert.True(reopened.Verify().IsClean);
    }

    [Fact]
    public void Gc_replays_a_commit_lost_in_another_process_before_deciding_what_to_remove()
    {
        using var collector = new LocalRepository(_folder.Path);
        var (cid, bytes) = TestBlocks.RandomBatch(_random, 1024);
        using (var writer = new LocalRepository(_folder.Path))
        {
            // What a put does up to its registry commit, which never happens (the writer dies).
            writer.Blocks.Stage(cid, bytes);
            writer.Blocks.Packs.AppendLogEntry(LoggedRows.Encode([TestBlocks.BatchRecord(cid) with { Pinned = true, Bytes = bytes.Length }]));
            writer.Blocks.SyncPacks();
        }

        // The collector opened before the entry was logged; the collection itself replays it.
        var report = collector.GcListed();
        Assert.DoesNotContain(cid, report.RemovedOrphans);
        Assert.True(collector.GetRecord(cid)?.Pinned);
        Assert.Equal(bytes, collector.GetBlock(cid).ToArray());
    }

    // The database and its WAL as they are now (no write in flight); the shared-memory index is rebuilt from them on open.
    private Dictionary<string, byte[]> SaveRegistry() =>
        Directory.GetFiles(_folder.Path, LocalRepository.RegistryFileName + "*").Where(f => !f.EndsWith("-shm", StringComparison.Ordinal)).ToDictionary(f => f, File.ReadAllBytes);

    // Puts the registry back as it was when saved: what a power loss does to commits that were never synced.
    private void RestoreRegistry(Dictionary<string, byte[]> saved)
    {
        foreach (string file in Directory.GetFiles(_folder.Path, LocalRepository.RegistryFileName + "*"))
        {
            File.Delete(file);
        }

        foreach (var (file, bytes) in saved)
        {
            File.WriteAllBytes(file, bytes);
        }
    }

    private sealed class RecordComparer : IEqualityComparer<BlockRecord>
    {
        public bool Equals(BlockRecord? x, BlockRecord? y) =>
            x is not null && y is not null && x.Cid == y.Cid && x.Created == y.Created && x.Pinned == y.Pinned && x.Bytes == y.Bytes;

        public int GetHashCode(BlockRecord obj) => obj.Cid.GetHashCode();
    }
}
