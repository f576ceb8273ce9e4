using ArrowCid.Arrow.IO;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.TestSupport;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

namespace ArrowCid.Repository.Tests.Commits;

/// <summary>
/// The registry journal: every kind of entry reads back as written; a torn tail ends the read and
/// is cut by the next append; appends from many threads interleave whole; and a rebuild replays
/// changes in the order they were made (a tag removed, then set again by a later put; a row gc
/// deleted whose block is stored again).
/// </summary>
public sealed class RegistryJournalTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Every_kind_of_entry_reads_back_as_written()
    {
        var at = RegistryTime.Truncate(DateTimeOffset.UtcNow);
        var cid = FakeCid(1);
        var row = BatchRecord(cid) with { Created = at, Tags = new Dictionary<string, string> { ["k"] = "v" }, Schema = "a: int32\n" };
        JournalEntry[] written =
        [
            new RowsJournaled(at, [row]),
            new PinJournaled(at, true, [cid, FakeCid(2)]),
            new PinJournaled(at, false, [cid]),
            new TagJournaled(at, cid, "team", "north"),
            new TagJournaled(at, cid, "team", null),
            new DeleteJournaled(at, [FakeCid(3)]),
            new VersionJournaled(at, new NamedVersion("sales", 7, cid, at)),
        ];
        var journal = new RegistryJournal(Path.Combine(_folder.Path, "j"), TimeSpan.FromSeconds(5));
        journal.Append([.. written.Select(e => e.Encode())]);

        var read = journal.ReadAll().Select(p => JournalEntry.Decode(p)).ToList();
        Assert.Equal(written.Length, read.Count);
        var rows = Assert.IsType<RowsJournaled>(read[0]);
        Assert.Equal(row.Cid, rows.Records[0].Cid);
        Assert.Equal(row.Created, rows.Records[0].Created);
        Assert.Equal("v", rows.Records[0].Tags["k"]);
        Assert.Equal(written[1..], read[1..], (a, b) => Describe(a) == Describe(b));
    }

    [Fact]
    public void A_torn_tail_ends_the_read_and_the_next_append_cuts_it()
    {
        string path = Path.Combine(_folder.Path, "j");
        var journal = new RegistryJournal(path, TimeSpan.FromSeconds(5));
        for (int i = 0; i < 3; i++)
        {
            journal.Append([new TagJournaled(DateTimeOffset.UtcNow, FakeCid(i), "n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Encode()]);
        }

        long whole = new FileInfo(path).Length;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.SetLength(whole - 3);
        }

        Assert.Equal(2, journal.ReadAll().Count());

        // Another process's append (a new instance knows nothing of this file) cuts the torn entry first.
        var other = new RegistryJournal(path, TimeSpan.FromSeconds(5));
        other.Append([new TagJournaled(DateTimeOffset.UtcNow, FakeCid(9), "n", "9").Encode()]);
        var values = journal.ReadAll().Select(p => ((TagJournaled)JournalEntry.Decode(p)).Value).ToList();
        Assert.Equal(["0", "1", "9"], values);
    }

    [Fact]
    public void A_file_that_is_not_a_journal_is_refused_not_overwritten()
    {
        string path = Path.Combine(_folder.Path, "j");
        File.WriteAllText(path, "this is somebody's notes, not a journal");
        var journal = new RegistryJournal(path, TimeSpan.FromSeconds(5));
        Assert.Throws<InvalidDataException>(() => journal.ReadAll().ToList());
        Assert.Throws<InvalidDataException>(() => journal.Append([new DeleteJournaled(DateTimeOffset.UtcNow, [FakeCid(1)]).Encode()]));
        Assert.StartsWith("this is somebody's notes", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void Appends_from_many_threads_and_instances_all_read_back_whole()
    {
        string path = Path.Combine(_folder.Path, "j");
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            // An instance each, as separate processes would have: the flock orders them.
            var journal = new RegistryJournal(path, TimeSpan.FromSeconds(30));
            for (int i = 0; i < 40; i++)
            {
                journal.Append([new PinJournaled(DateTimeOffset.UtcNow, true, [FakeCid((t * 1000) + i)]).Encode()], sync: i % 8 == 0);
            }
        });

        var pinned = new RegistryJournal(path, TimeSpan.FromSeconds(5)).ReadAll().Select(p => ((PinJournaled)JournalEntry.Decode(p)).Cids[0]).ToHashSet();
        Assert.Equal(320, pinned.Count);
    }

    [Fact]
    public void A_gc_of_more_rows_than_it_holds_journals_every_one_and_a_rebuild_keeps_them_gone()
    {
        // Four CIDs in memory: the removed rows and the set telling them from unregistered blocks
        // both spill, and the rows are journaled in entries of four.
        string root = Path.Combine(_folder.Path, "repo");
        var random = new Random(11);
        var kept = RandomBatch(random);
        var garbage = Enumerable.Range(0, 30).Select(_ => RandomBatch(random)).ToList();
        var orphans = Enumerable.Range(0, 5).Select(_ => RandomBatch(random)).ToList();
        using (var repository = new LocalRepository(root, new LocalRepositoryOptions { KeySetSpillThreshold = 4, RemovedSpillThreshold = 4 }))
        {
            repository.PutBlock(kept.Cid, kept.Bytes, BatchRecord(kept.Cid) with { Pinned = true });
            foreach (var (cid, bytes) in garbage)
            {
                repository.PutBlock(cid, bytes, BatchRecord(cid) with { Tags = new Dictionary<string, string> { ["team"] = "old" } });
            }

            foreach (var (cid, bytes) in orphans)
            {
                repository.Blocks.Put(cid, bytes);
            }

            var report = repository.GcListed();
            Assert.Equal(garbage.Select(g => g.Cid).ToHashSet(), report.RemovedRecords.ToHashSet());
            Assert.Equal(orphans.Select(o => o.Cid).ToHashSet(), report.RemovedOrphans.ToHashSet());
            Assert.Empty(Directory.GetFiles(root, "*.tmp", SearchOption.AllDirectories));

            // Stored again without tags: no old tag may come back from the journal.
            foreach (var (cid, bytes) in garbage)
            {
                repository.PutBlock(cid, bytes, BatchRecord(cid) with { Pinned = true });
            }
        }

        var before = Snapshot(root);
        File.Delete(Path.Combine(root, LocalRepository.RegistryFileName));
        Assert.Equal(garbage.Count, LocalRepository.RebuildRegistry(root).Deletions);
        Assert.Equal(before, Snapshot(root));
        Assert.DoesNotContain("team=old", before, StringComparison.Ordinal);
        Assert.Equal(31, before.Split('\n').Count(line => line.Contains(" True ", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_gc_a_full_disk_stops_halfway_and_runs_again_counts_and_journals_each_row_once()
    {
        // The first write to a pack (the compaction's first tombstone, after the rows went) fails as
        // on a full disk: gc gives its reserve back and runs again, and the rows the first attempt
        // removed are still records, reported once and journaled, not unregistered blocks.
        string root = Path.Combine(_folder.Path, "repo");
        var random = new Random(12);
        var garbage = Enumerable.Range(0, 20).Select(_ => RandomBatch(random)).ToList();
        var kept = RandomBatch(random);
        using (var repository = new LocalRepository(root))
        {
            repository.PutBlock(kept.Cid, kept.Bytes, BatchRecord(kept.Cid) with { Pinned = true });
            foreach (var (cid, bytes) in garbage)
            {
                repository.PutBlock(cid, bytes, BatchRecord(cid));
            }

            repository.Blocks.Packs.Sync();
            var fault = new FileFaultInjector(root) { FailAt = 1, Counts = (operation, path) => operation == FileOperation.Write && path.EndsWith(".pack", StringComparison.Ordinal) };
            GcListing report;
            using (FileFaults.Install(fault))
            {
                report = repository.GcListed();
            }

            Assert.True(fault.Failed, "the compaction's write was reached");
            Assert.Equal(garbage.Select(g => g.Cid).ToHashSet(), report.RemovedRecords.ToHashSet());
            Assert.Equal(garbage.Count, report.RemovedRecords.Count);
            Assert.Empty(report.RemovedOrphans);
            Assert.All(garbage, g => Assert.False(repository.Blocks.Has(g.Cid)));
        }

        File.Delete(Path.Combine(root, LocalRepository.RegistryFileName));
        Assert.Equal(garbage.Count, LocalRepository.RebuildRegistry(root).Deletions);
    }

    [Fact]
    public void A_rebuild_replays_changes_in_the_order_they_were_made()
    {
        string root = Path.Combine(_folder.Path, "repo");
        var random = new Random(7);
        var (tagged, taggedBytes) = RandomBatch(random);
        var (collected, collectedBytes) = RandomBatch(random);
        var (named, namedBytes) = RandomBatch(random);
        Dictionary<string, string> Tags(string value) => new() { ["team"] = value };
        using (var repository = new LocalRepository(root))
        {
            repository.PutBlock(tagged, taggedBytes, BatchRecord(tagged) with { Pinned = true, Tags = Tags("north") });
            Assert.True(repository.Registry.RemoveTag(tagged, "team"));
            Assert.True(repository.Registry.SetTag(tagged, "owner", "ana"));

            // Stored again with the tag given anew: the later put's tag stands, though the removal came between.
            repository.PutBlock(tagged, taggedBytes, BatchRecord(tagged) with { Tags = Tags("south") });

            // Collected, then stored again without tags: the first put's tag does not come back.
            repository.PutBlock(collected, collectedBytes, BatchRecord(collected) with { Tags = Tags("old") });
            Assert.Contains(collected, repository.GcListed().RemovedRecords);
            repository.PutBlock(collected, collectedBytes, BatchRecord(collected) with { Pinned = true });

            repository.PutBlock(named, namedBytes, BatchRecord(named));
            repository.AddVersion("sales", named);
            repository.AddVersion("sales", tagged);
            Assert.True(repository.Unpin(tagged));
        }

        var before = Snapshot(root);
        File.Delete(Path.Combine(root, LocalRepository.RegistryFileName));
        var rebuilt = LocalRepository.RebuildRegistry(root);
        Assert.Equal(2, rebuilt.Versions);
        Assert.Empty(rebuilt.Unrecorded);
        Assert.Equal(before, Snapshot(root));
        Assert.Contains("team=south", before, StringComparison.Ordinal);
        Assert.DoesNotContain("team=old", before, StringComparison.Ordinal);
    }

    private static string Snapshot(string root)
    {
        using var repository = new LocalRepository(root);
        var rows = repository.Registry.List().OrderBy(r => r.Cid.ToString(), StringComparer.Ordinal)
            .Select(r => $"{r.Cid} {r.Kind} {r.Rows} {r.Bytes} {r.Created:O} {r.Pinned} {r.Producer} {string.Join(',', r.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"))}");
        var versions = repository.Registry.ListVersions("sales").Select(v => $"{v.Name}@{v.Version} {v.Cid} {v.Created:O}");
        return string.Join('\n', [.. rows, .. versions]) + "\n" + repository.Verify().IsClean;
    }

    private static string Describe(JournalEntry entry) => entry switch
    {
        PinJournaled p => $"pin {p.At:O} {p.Pinned} {string.Join(',', p.Cids)}",
        TagJournaled t => $"tag {t.At:O} {t.Cid} {t.Key} {t.Value ?? "<removed>"}",
        DeleteJournaled d => $"delete {d.At:O} {string.Join(',', d.Cids)}",
        VersionJournaled v => $"version {v.At:O} {v.Version}",
        _ => entry.ToString(),
    };
}
