using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using static ArrowCid.Registry.Tests.Support.TestBlocks;

using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Repository.Tests;

public sealed class LocalRepositoryTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly LocalRepository _repo;
    private readonly Random _random = new(1234);

    public LocalRepositoryTests() => _repo = new LocalRepository(_folder.Path);

    public void Dispose()
    {
        _repo.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public void Resolve_path_prefers_the_explicit_path_then_the_environment_then_home()
    {
        string? saved = Environment.GetEnvironmentVariable(LocalRepository.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(LocalRepository.EnvironmentVariable, "/env/repo");
            Assert.Equal(Path.GetFullPath("/explicit"), LocalRepository.ResolvePath("/explicit"));
            Assert.Equal(Path.GetFullPath("/env/repo"), LocalRepository.ResolvePath(null));
            Environment.SetEnvironmentVariable(LocalRepository.EnvironmentVariable, null);
            Assert.Equal(
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".arrowcid"),
                LocalRepository.ResolvePath(" "));
        }
        finally
        {
            Environment.SetEnvironmentVariable(LocalRepository.EnvironmentVariable, saved);
        }
    }

    [Fact]
    public void Layout_is_blocks_folder_registry_file_and_lock()
    {
        var (cid, bytes) = RandomBatch(_random);
        _repo.PutBlock(cid, bytes, BatchRecord(cid));

        Assert.True(File.Exists(Path.Combine(_folder.Path, "registry.db")));
        Assert.True(File.Exists(Path.Combine(_folder.Path, "repo.lock")));
        // A small block is appended to a pack; a large one has a file of its own.
        Assert.True(_repo.Blocks.TryGetPacked(cid, out var packed));
        Assert.True(File.Exists(Path.Combine(_folder.Path, "blocks", "packs", $"{packed.Pack:x16}.pack")));
        Assert.Equal(0, packed.Offset % 64);
        byte[] largeBytes = new byte[LocalRepositoryOptions.DefaultPackThreshold + 1];
        _random.NextBytes(largeBytes);
        var large = Cid.ForRaw(largeBytes);
        _repo.PutBlock(large, largeBytes, BatchRecord(large));
        string text = large.ToString();
        Assert.True(File.Exists(Path.Combine(_folder.Path, "blocks", text[^3..^1], text)));
        Assert.False(_repo.Blocks.TryGetPacked(large, out _));
    }

    [Fact]
    public void Put_block_stores_bytes_and_registers_with_the_real_size()
    {
        var (cid, bytes) = RandomBatch(_random);
        var stored = _repo.PutBlock(cid, bytes, BatchRecord(cid) with { Bytes = 1 });

        Assert.Equal(bytes.Length, stored.Bytes);
        Assert.Equal(bytes, _repo.GetBlock(cid).ToArray());
        Assert.Equal(stored.Rows, _repo.GetRecord(cid)!.Rows);
        Assert.True(_repo.Verify().IsClean);
    }

    [Fact]
    public void Put_block_with_wrong_bytes_stores_nothing()
    {
        var (cid, bytes) = RandomBatch(_random);
        bytes[0] ^= 1;

        Assert.Throws<BlockCorruptedException>(() => _repo.PutBlock(cid, bytes, BatchRecord(cid)));
        Assert.False(_repo.Blocks.Has(cid));
        Assert.Null(_repo.GetRecord(cid));
        Assert.Empty(_repo.Blocks.ListTempFiles());
    }

    [Fact]
    public void Put_block_refuses_a_record_that_does_not_fit_the_block()
    {
        var (cid, bytes) = RandomBatch(_random);
        var (other, _) = RandomBatch(_random);
        var (manifestCid, manifest) = Manifest(cid);

        Assert.Throws<ArgumentException>(() => _repo.PutBlock(cid, bytes, BatchRecord(other)));
        Assert.Throws<ArgumentException>(() => _repo.PutBlock(cid, bytes, DatasetRecord(cid)));
        Assert.Throws<ArgumentException>(() => _repo.PutBlock(manifestCid, manifest, BatchRecord(manifestCid)));
        Assert.Throws<ArgumentException>(() => _repo.PutBlock(manifestCid, manifest, DatasetRecord(manifestCid, other)));
        Assert.Empty(_repo.Blocks.Enumerate());
    }

    [Fact]
    public void Dataset_links_come_from_its_manifest()
    {
        var a = RandomBatch(_random);
        var b = RandomBatch(_random);
        var (cid, manifest) = Manifest(a.Cid, b.Cid, a.Cid);

        var stored = _repo.PutBlock(cid, manifest, DatasetRecord(cid));

        Assert.Equal([a.Cid, b.Cid], stored.Links);
        Assert.Equal([cid], _repo.Registry.GetLinkingDatasets(b.Cid));
    }

    [Fact]
    public void Evict_removes_rows_and_files_but_keeps_what_a_pin_retains_and_packed_blocks()
    {
        Cid Large()
        {
            byte[] bytes = new byte[LocalRepositoryOptions.DefaultPackThreshold + 1];
            _random.NextBytes(bytes);
            var cid = Cid.ForRaw(bytes);
            _repo.PutBlock(cid, bytes, BatchRecord(cid));
            return cid;
        }

        var cold = Large();
        var linked = Large();
        var pinned = Large();
        var (dataset, manifest) = Manifest(linked);
        _repo.PutBlock(dataset, manifest, DatasetRecord(dataset) with { Pinned = true });
        _repo.Pin(pinned);
        var small = PutBatch();
        var deleted = new List<Cid>();
        _repo.BlockDeleted += deleted.Add;

        var report = _repo.Evict([cold, linked, pinned, small]);

        Assert.Equal([cold], report.Evicted.Select(e => e.Cid));
        Assert.Equal(LocalRepositoryOptions.DefaultPackThreshold + 1, report.Evicted[0].Bytes);
        Assert.Equal([linked, pinned, small], report.Kept);
        Assert.False(_repo.Blocks.Has(cold));
        Assert.Null(_repo.GetRecord(cold));
        Assert.Equal([cold], deleted);
        Assert.All(new[] { linked, pinned, small }, cid => Assert.True(_repo.Blocks.Has(cid) && _repo.GetRecord(cid) is not null));

        // Nothing left half-done: verify finds the repository clean.
        var verified = _repo.Verify();
        Assert.Empty(verified.MissingBlocks);
        Assert.Empty(verified.OrphanBlocks);
    }

    [Fact]
    public void Gc_removes_unpinned_unreachable_blocks_and_keeps_pinned_datasets_batches()
    {
        var kept = PutBatch();
        var linked = PutBatch();
        var garbage = PutBatch();
        var linkedByGarbage = PutBatch();
        var (dataset, manifest) = Manifest(linked);
        _repo.PutBlock(dataset, manifest, DatasetRecord(dataset) with { Pinned = true });
        var (unpinnedDataset, unpinnedManifest) = Manifest(linkedByGarbage);
        _repo.PutBlock(unpinnedDataset, unpinnedManifest, DatasetRecord(unpinnedDataset));
        _repo.Pin(kept);
        var orphan = RandomBatch(_random);
        _repo.Blocks.Put(orphan.Cid, orphan.Bytes);

        var report = _repo.GcListed();

        Assert.Equal(new[] { garbage, linkedByGarbage, unpinnedDataset }.ToHashSet(), report.RemovedRecords.ToHashSet());
        Assert.Equal([orphan.Cid], report.RemovedOrphans);
        Assert.True(report.BytesFreed > 0);
        foreach (var cid in new[] { kept, linked, dataset })
        {
            Assert.True(_repo.Blocks.Has(cid));
            Assert.NotNull(_repo.GetRecord(cid));
        }

        foreach (var cid in report.RemovedRecords.Concat(report.RemovedOrphans))
        {
            Assert.False(_repo.Blocks.Has(cid));
            Assert.Null(_repo.GetRecord(cid));
        }

        Assert.True(_repo.Verify().IsClean);
        Assert.Empty(_repo.GcListed().RemovedRecords);

        // Unpinning the dataset releases it and its batch.
        _repo.Unpin(dataset);
        Assert.Equal(new[] { dataset, linked }.ToHashSet(), _repo.GcListed().RemovedRecords.ToHashSet());
    }

    [Fact]
    public void Gc_with_its_retained_set_spilled_to_a_file_keeps_exactly_what_is_retained_and_leaves_no_file()
    {
        // Four keys in memory: the retained set of a few dozen blocks goes through runs on disk, merged.
        using var folder = new TempDirectory();
        using var repo = new LocalRepository(folder.Path, new LocalRepositoryOptions { KeySetSpillThreshold = 4 });
        Cid Put(bool pinned)
        {
            var (cid, bytes) = RandomBatch(_random);
            repo.PutBlock(cid, bytes, BatchRecord(cid) with { Pinned = pinned });
            return cid;
        }

        var pinned = Enumerable.Range(0, 40).Select(_ => Put(pinned: true)).ToList();
        var linked = Enumerable.Range(0, 12).Select(_ => Put(pinned: false)).ToList();
        var garbage = Enumerable.Range(0, 30).Select(_ => Put(pinned: false)).ToList();
        var (dataset, manifest) = Manifest([.. linked]);
        repo.PutBlock(dataset, manifest, DatasetRecord(dataset));
        repo.Registry.AddVersion("kept", dataset);
        var before = Directory.EnumerateFileSystemEntries(folder.Path).ToHashSet();

        var report = repo.GcListed();

        Assert.Equal(garbage.ToHashSet(), report.RemovedRecords.ToHashSet());
        Assert.Equal(pinned.Count + linked.Count + 1, report.Retained);
        Assert.All(pinned.Concat(linked).Append(dataset), cid => Assert.True(repo.Blocks.Has(cid)));
        Assert.All(garbage, cid => Assert.False(repo.Blocks.Has(cid)));
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(folder.Path).ToHashSet());
        Assert.True(repo.Verify().IsClean);
    }

    [Fact]
    public void A_block_another_process_collected_is_written_again_when_put_again()
    {
        // Two instances on one folder hold their own locks and pack indexes, as two processes do:
        // a long-running node and an `arrowcid gc` run beside it.
        byte[] bytes = new byte[100];
        _random.NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        var unpinned = new BlockRecord { Cid = cid, Kind = BlockKind.Batch, Rows = 1 };
        _repo.PutBlock(cid, bytes, unpinned);
        using (var collector = new LocalRepository(_folder.Path))
        {
            Assert.Contains(cid, collector.GcListed().RemovedRecords);
        }

        // The node puts the same block again: it must not take the collected copy for one it holds.
        _repo.PutBlock(cid, bytes, unpinned with { Pinned = true });
        using var reader = new LocalRepository(_folder.Path);
        Assert.True(reader.Blocks.Has(cid));
        Assert.Equal(bytes, reader.GetBlock(cid).ToArray());
        Assert.True(reader.Verify().IsClean);
    }

    [Fact]
    public void Gc_lets_go_of_the_kept_mappings_of_the_block_files_it_deletes()
    {
        // Large blocks keep files of their own, which BlockAccess.Keep maps once verified.
        var garbage = PutLargeBlock();
        var orphan = new byte[LocalRepositoryOptions.DefaultPackThreshold + 1];
        _random.NextBytes(orphan);
        var orphanCid = Cid.ForRaw(orphan);
        _repo.Blocks.Put(orphanCid, orphan);
        foreach (var cid in new[] { garbage, orphanCid })
        {
            // Older than the clock's grain, so the file's stamp is trusted and the mapping kept.
            File.SetLastWriteTimeUtc(_repo.Blocks.GetBlockPath(cid), DateTime.UtcNow - TimeSpan.FromHours(1));
            _repo.Reader.Open(cid, access: BlockAccess.Keep).Dispose();
            _repo.Reader.Open(cid, access: BlockAccess.Keep).Dispose();
        }

        Assert.Equal(2, _repo.Reader.KeptMappings);

        var report = _repo.GcListed();

        Assert.Equal([garbage], report.RemovedRecords);
        Assert.Equal([orphanCid], report.RemovedOrphans);
        Assert.Equal(0, _repo.Reader.KeptMappings);
    }

    private Cid PutLargeBlock()
    {
        byte[] bytes = new byte[LocalRepositoryOptions.DefaultPackThreshold + 1];
        _random.NextBytes(bytes);
        var cid = Cid.ForRaw(bytes);
        _repo.PutBlock(cid, bytes, BatchRecord(cid));
        return cid;
    }

    [Fact]
    public void Verify_reports_orphans_missing_and_corrupt_blocks_and_repair_fixes_them_idempotently()
    {
        var healthy = PutBatch();
        var missing = PutBatch();
        var corrupt = PutBatch();
        var orphan = RandomBatch(_random);
        _repo.Blocks.Put(orphan.Cid, orphan.Bytes);
        Assert.True(_repo.Blocks.Delete(missing));
        StoredBlocks.FlipBit(_repo.Blocks, corrupt, _random.Next(), 0x40);
        string shard = Path.GetDirectoryName(_repo.Blocks.GetBlockPath(healthy))!;
        Directory.CreateDirectory(shard);
        File.WriteAllBytes(Path.Combine(shard, "." + healthy + ".dead.tmp"), [1, 2, 3]);

        var found = _repo.Verify();

        Assert.False(found.IsConsistent);
        Assert.Equal([missing], found.MissingBlocks);
        Assert.Equal([corrupt], found.CorruptBlocks);
        Assert.Equal([orphan.Cid], found.OrphanBlocks);
        Assert.Equal(1, found.TempFiles);
        Assert.False(found.Repaired);
        Assert.True(_repo.Blocks.Has(orphan.Cid));

        var repaired = _repo.Verify(repair: true);

        Assert.True(repaired.Repaired);
        Assert.Single(repaired.Quarantined);
        Assert.True(File.Exists(repaired.Quarantined[0]));
        Assert.Null(_repo.GetRecord(missing));
        Assert.Null(_repo.GetRecord(corrupt));
        Assert.False(_repo.Blocks.Has(corrupt));
        Assert.False(_repo.Blocks.Has(orphan.Cid));
        Assert.Equal(healthy, Assert.Single(_repo.Registry.ListCids()));

        var again = _repo.Verify(repair: true);
        Assert.True(again.IsClean);
        Assert.Empty(again.Quarantined);
        Assert.True(_repo.Verify().IsClean);
    }

    [Fact]
    public void Verify_reports_a_damaged_pack_index_and_repair_rebuilds_it_losing_nothing()
    {
        var stored = Enumerable.Range(0, 20).Select(_ => PutBatch()).ToList();
        _repo.Dispose();

        // The writer sealed its pack on closing, which wrote the pack's index; damage its entries.
        string index = Assert.Single(Directory.GetFiles(_repo.Blocks.Packs.Folder, "*.idx"));
        byte[] bytes = File.ReadAllBytes(index);
        bytes[^40] ^= 0x21;
        File.WriteAllBytes(index, bytes);

        using var reopened = new LocalRepository(_folder.Path);
        var found = reopened.Verify();
        Assert.Equal(1, found.DamagedPackIndexes);
        Assert.True(found.IsConsistent, "every block is still found and intact");
        Assert.False(found.IsClean);

        Assert.Equal(1, reopened.Verify(repair: true).DamagedPackIndexes);
        Assert.True(reopened.Verify().IsClean);
        Assert.All(stored, cid => Assert.True(reopened.Blocks.Has(cid)));
    }

    [Fact]
    public void Repair_reregisters_orphans_that_a_pinned_dataset_links()
    {
        byte[] canonical = ArrowCid.Content.Canonical.CanonicalEncoder.Encode(Content.SampleBatches.Build(3, 4));
        var batch = (Cid: Cid.ForRaw(canonical), Bytes: canonical);
        var opaque = RandomBatch(_random);
        var (dataset, manifest) = Manifest(batch.Cid, opaque.Cid);
        _repo.PutBlock(dataset, manifest, DatasetRecord(dataset) with { Pinned = true });
        _repo.Blocks.Put(batch.Cid, batch.Bytes);
        _repo.Blocks.Put(opaque.Cid, opaque.Bytes);

        var report = _repo.Verify(repair: true);

        Assert.Equal(new[] { batch.Cid, opaque.Cid }.ToHashSet(), report.Reregistered.ToHashSet());
        var record = _repo.GetRecord(batch.Cid)!;
        Assert.Equal(BlockKind.Batch, record.Kind);
        Assert.Equal(batch.Bytes.Length, record.Bytes);
        Assert.Equal(4, record.Rows);
        // The kind is read from the bytes: bytes that are no Arrow batch are kept as a foreign block.
        Assert.Equal(BlockKind.Foreign, _repo.GetRecord(opaque.Cid)!.Kind);
        Assert.True(_repo.Verify().IsClean);
        Assert.Empty(_repo.GcListed().RemovedRecords);
    }

    [Fact]
    public void Corrupt_block_read_through_the_repository_is_a_typed_error()
    {
        var cid = PutBatch();
        StoredBlocks.FlipBit(_repo.Blocks, cid, _random.Next(), 0x40);
        Assert.Throws<BlockCorruptedException>(() => _repo.GetBlock(cid));
    }

    [Fact]
    public async Task Concurrent_puts_and_a_collection_never_leave_a_row_without_its_block()
    {
        var batches = Enumerable.Range(0, 60).Select(_ => RandomBatch(_random, 512)).ToArray();
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                _repo.GcListed();
            }
        });

        Parallel.ForEach(batches, new ParallelOptions { MaxDegreeOfParallelism = 3 }, b => _repo.PutBlock(b.Cid, b.Bytes, BatchRecord(b.Cid)));
        stop.Cancel();
        await collector;

        var report = _repo.Verify();
        Assert.Empty(report.MissingBlocks);
        Assert.Empty(report.CorruptBlocks);
    }

    private Cid PutBatch()
    {
        var (cid, bytes) = RandomBatch(_random);
        _repo.PutBlock(cid, bytes, BatchRecord(cid));
        return cid;
    }
}
