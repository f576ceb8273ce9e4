using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.IO;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Car;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Registry;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>The blocks of a table (TableBlocks), how two tables compare (TableDifference), copying only what is missing (TableCopy), and a CAR of what a base lacks.</summary>
public sealed class TableBlocksTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentRepository _source;
    private readonly ContentRepository _target;
    private readonly RecordBatch[] _batches = [.. Enumerable.Range(1, 5).Select(i => SampleBatches.Build(i, 10 + (i * 3)))];

    public TableBlocksTests()
    {
        _source = ContentRepository.Open(Path.Combine(_temp.Path, "source"));
        _target = ContentRepository.Open(Path.Combine(_temp.Path, "target"));
    }

    public void Dispose()
    {
        foreach (var batch in _batches)
        {
            batch.Dispose();
        }

        _source.Dispose();
        _target.Dispose();
        _temp.Dispose();
    }

    /// <summary>Rows [first, first + count) of the mixed table with seed 41: several chunks; ranges that overlap share chunks.</summary>
    private PutStreamResult Put(params (long First, long Count)[] ranges) =>
        _source.PutStream(ChunkedTables.Schema, ChunkedTables.Ranges([.. ranges.Select(r => (41UL, r.First, r.Count))]));

    private const long Rows = ChunkedTables.SeveralChunks;

    // The target verifies clean and writes the table as the source does, byte for byte.
    private void AssertCopiedIntact(Cid table)
    {
        Assert.Empty(_target.Repository.Verify().CorruptBlocks);
        using var sent = new MemoryStream();
        using var received = new MemoryStream();
        _source.WriteTable(table, sent);
        _target.WriteTable(table, received);
        Assert.Equal(sent.ToArray(), received.ToArray());
    }

    [Fact]
    public void A_table_is_its_root_its_nodes_then_each_distinct_chunk_with_its_length()
    {
        // The same rows twice: the second half repeats chunks of the first.
        var put = Put((0, Rows), (0, Rows));
        var opened = _source.OpenTable(put.Table.Cid);

        var table = TableBlocks.Read(_source, put.Table.Cid);

        Assert.Equal(put.Table.Cid, table.Root);
        var distinctChunks = put.Batches.DistinctBy(b => b.Cid).ToList();
        Assert.True(distinctChunks.Count < put.Batches.Count, "a chunk repeats");
        Assert.Equal(
            [.. opened.Nodes().Select(n => (n, _source.Repository.GetRecord(n)!.Bytes)), .. distinctChunks.Select(c => (c.Cid, c.Bytes))],
            table.Blocks.Select(b => (b.Cid, b.Bytes)));
        Assert.Equal(put.Table.ManifestBytes, table.Blocks[0].Bytes);
        Assert.Equal(table.Blocks.Sum(b => b.Bytes), table.Bytes);
        // The table's bytes count a repeated chunk each time it is read; its blocks, once.
        Assert.Equal(put.Batches.Sum(b => b.Bytes), put.Table.Bytes);
        Assert.Equal(put.Table.ManifestBytes + distinctChunks.Sum(c => c.Bytes) + opened.Nodes().Skip(1).Sum(n => _source.Repository.GetRecord(n)!.Bytes), table.Bytes);
        Assert.True(table.Contains(put.Batches[1].Cid));
        Assert.False(table.Contains(Cid.ForRaw([1, 2, 3])));
    }

    [Fact]
    public void A_one_chunk_table_is_one_block_and_a_larger_one_needs_only_its_manifest()
    {
        var batch = _source.PutBatch(_batches[0]);
        var put = Put((0, Rows));
        Assert.True(_source.Repository.Blocks.Delete(put.Batches[1].Cid));

        var single = TableBlocks.Read(_source, batch.Cid);
        var dataset = TableBlocks.Read(_source, put.Table.Cid);

        Assert.Equal([new TableBlock(batch.Cid, batch.Bytes)], single.Blocks);
        Assert.Equal(batch.Bytes, single.Bytes);
        // The manifest states each chunk's length, so a missing chunk does not hide its size.
        Assert.Equal(put.Table.ManifestBytes + put.Batches.DistinctBy(b => b.Cid).Sum(b => b.Bytes), dataset.Bytes);
    }

    [Fact]
    public void A_node_below_a_root_is_not_a_table()
    {
        var put = Put((0, Rows));
        var node = TableTreeNode.Inner(0, [.. put.Batches.Take(2).Select(b => new TableTreeEntry(b.Cid, b.Rows, b.Bytes))]).Encode();
        _source.Repository.PutBlock(node.ToHashedBlock(), new BlockRecord { Cid = node.Cid, Kind = BlockKind.TableNode });

        var refused = Assert.Throws<ContentFormatException>(() => TableBlocks.Read(_source, node.Cid));

        Assert.Contains(node.Cid.ToString(), refused.Message, StringComparison.Ordinal);
        Assert.False(_source.IsManifest(node.Cid));
    }

    [Fact]
    public void What_is_not_a_table_or_not_here_is_a_typed_error()
    {
        byte[] foreign = DagCborEncoder.Encode(DagNode.MapOf(("hello", DagNode.Of("world"))));
        var foreignCid = Cid.ForDagCbor(foreign);
        _source.Repository.PutBlock(foreignCid, foreign, new BlockRecord { Cid = foreignCid, Kind = BlockKind.Foreign });

        var notManifest = Assert.Throws<ContentFormatException>(() => TableBlocks.Read(_source, foreignCid));
        Assert.Contains(foreignCid.ToString(), notManifest.Message, StringComparison.Ordinal);
        Assert.Throws<BlockNotFoundException>(() => TableBlocks.Read(_source, Cid.ForRaw([9, 9, 9])));
        Assert.Throws<BlockNotFoundException>(() => TableBlocks.Read(_source, Cid.ForDagCbor(foreign.Append((byte)0).ToArray())));
        var pb = Cid.CreateV1(Multicodec.DagPb, Multihash.Sha256([1]));
        Assert.Throws<ContentFormatException>(() => TableBlocks.Read(_source, pb));
    }

    [Fact]
    public void The_difference_counts_shared_new_and_removed_blocks_and_bytes()
    {
        // Rows cut from the head and as many appended: the chunks in between are shared.
        var a = Put((0, Rows));
        var b = Put((Rows / 4, Rows));
        var blocksOfA = TableBlocks.Read(_source, a.Table.Cid);
        var blocksOfB = TableBlocks.Read(_source, b.Table.Cid);
        var chunksOfA = a.Batches.Select(c => c.Cid).ToHashSet();
        var chunksOfB = b.Batches.Select(c => c.Cid).ToHashSet();

        var difference = TableDifference.Between(blocksOfA, blocksOfB);
        var first = TableDifference.Between(null, blocksOfA);
        var same = TableDifference.Between(blocksOfA, TableBlocks.Read(_source, a.Table.Cid));

        var shared = b.Batches.Where(c => chunksOfA.Contains(c.Cid)).ToList();
        Assert.NotEmpty(shared);
        Assert.Equal(shared.Select(c => c.Cid), difference.SharedBlocks.Select(x => x.Cid));
        Assert.Equal(shared.Sum(c => c.Bytes), difference.SharedBytes);
        Assert.Equal([b.Table.Cid, .. b.Batches.Where(c => !chunksOfA.Contains(c.Cid)).Select(c => c.Cid)], difference.NewBlocks.Select(x => x.Cid));
        Assert.Equal(b.Table.ManifestBytes + b.Batches.Where(c => !chunksOfA.Contains(c.Cid)).Sum(c => c.Bytes), difference.NewBytes);
        Assert.Equal([a.Table.Cid, .. a.Batches.Where(c => !chunksOfB.Contains(c.Cid)).Select(c => c.Cid)], difference.RemovedBlocks.Select(x => x.Cid));
        Assert.Equal(a.Table.ManifestBytes + a.Batches.Where(c => !chunksOfB.Contains(c.Cid)).Sum(c => c.Bytes), difference.RemovedBytes);
        Assert.Equal(blocksOfB.Bytes, difference.SharedBytes + difference.NewBytes);

        Assert.Equal(blocksOfA.Blocks.Count, first.NewBlocks.Count);
        Assert.Equal(a.Table.ManifestBytes + a.Batches.Sum(c => c.Bytes), first.NewBytes);
        Assert.Empty(first.SharedBlocks);
        Assert.Empty(first.RemovedBlocks);

        Assert.Equal(0, same.NewBytes);
        Assert.Equal(0, same.RemovedBytes);
        Assert.Equal(blocksOfA.Blocks.Count, same.SharedBlocks.Count);
    }

    [Fact]
    public async Task A_copy_fetches_only_missing_blocks_registers_them_and_names_the_table_once()
    {
        var v1 = Put((0, Rows));
        var v2 = Put((0, Rows), (Rows, Rows / 8));
        var fetchedCids = new List<Cid>();
        var options = new PutOptions { Name = "sensors", Provenance = "test" };

        var first = await TableCopy.CopyAsync(_target, v1.Table.Cid, Fetch(fetchedCids), options);
        fetchedCids.Clear();
        var second = await TableCopy.CopyAsync(_target, v2.Table.Cid, Fetch(fetchedCids), options);
        var secondFetched = fetchedCids.ToArray();
        fetchedCids.Clear();
        var again = await TableCopy.CopyAsync(_target, v2.Table.Cid, Fetch(fetchedCids), options);

        Assert.Equal(first.Table.Bytes, first.BytesTransferred);
        Assert.Equal(1, first.Version!.Version);
        var expected = TableDifference.Between(TableBlocks.Read(_source, v1.Table.Cid), TableBlocks.Read(_source, v2.Table.Cid));
        Assert.Equal(expected.NewBlocks.Select(b => b.Cid).ToHashSet(), secondFetched.ToHashSet());
        Assert.Equal(expected.NewBytes, second.BytesTransferred);
        // An append costs its last chunks and the root, not the table.
        Assert.True(second.BytesTransferred < second.Table.Bytes / 2, $"{second.BytesTransferred} of {second.Table.Bytes}");
        Assert.Equal(2, second.Version!.Version);
        Assert.Empty(again.Transferred);
        Assert.Empty(fetchedCids);
        Assert.Equal(2, again.Version!.Version);
        Assert.Equal(2, _target.Repository.Registry.ListVersions("sensors").Count);

        // Registered as what each block is: chunks and a pinned dataset whose chunks carry no pins of their own.
        var dataset = _target.Repository.GetRecord(v2.Table.Cid)!;
        Assert.Equal(BlockKind.Dataset, dataset.Kind);
        Assert.True(dataset.Pinned);
        Assert.Equal(v2.Table.Rows, dataset.Rows);
        Assert.All(v2.Batches, b => Assert.Equal((BlockKind.Batch, b.Rows, false), (_target.Repository.GetRecord(b.Cid)!.Kind, _target.Repository.GetRecord(b.Cid)!.Rows, _target.Repository.GetRecord(b.Cid)!.Pinned)));
        AssertCopiedIntact(v2.Table.Cid);
    }

    [Fact]
    public async Task A_copy_writes_several_chunks_at_once_and_registers_every_one_before_the_root()
    {
        // More chunks than a copy writes at once, fetched in an order of their own: whichever
        // chunk's row commits first, the root's commits after all of theirs.
        var put = Put((0, Rows * 4));
        var chunks = put.Batches.Select(b => b.Cid).ToHashSet();
        Assert.True(chunks.Count > TableCopy.StoresAtOnce, $"{chunks.Count} chunks");
        var earlier = _target.Repository.Registry.ChangesSince(0, int.MaxValue);
        long before = earlier.Count == 0 ? 0 : earlier[^1].Sequence;

        var copy = await TableCopy.CopyAsync(_target, put.Table.Cid, async (cid, token) =>
        {
            await Task.Yield();
            return _source.GetBytes(cid);
        });

        Assert.Equal(copy.Table.Blocks.Count, copy.Transferred.Count);
        var changes = _target.Repository.Registry.ChangesSince(before, int.MaxValue);
        long root = changes.Last(c => c.Cid == put.Table.Cid).Sequence;
        Assert.All(chunks, chunk => Assert.True(changes.First(c => c.Cid == chunk).Sequence < root, $"chunk {chunk} registered after the root"));
        AssertCopiedIntact(put.Table.Cid);
    }

    [Fact]
    public async Task A_copy_of_a_table_whose_nodes_are_held_brings_and_reports_every_missing_chunk()
    {
        // The table's nodes stay and its chunks go, as a cache evicts them or gc hands them over:
        // the copy then stores chunks alone, with no node after them.
        var put = Put((0, Rows * 4));
        var options = new PutOptions { Pin = false };
        await TableCopy.CopyAsync(_target, put.Table.Cid, Fetch([]), options);
        var evicted = _target.Repository.Evict([.. put.Batches.Select(b => b.Cid).Distinct()]).Evicted.Select(e => e.Cid).ToHashSet();
        Assert.True(evicted.Count > TableCopy.StoresAtOnce, $"{evicted.Count} chunks evicted");

        var reported = new List<Cid>();
        var again = await TableCopy.CopyAsync(_target, put.Table.Cid, Fetch([]), options, block => reported.Add(block.Cid));

        Assert.Equal(evicted, again.Transferred.Select(b => b.Cid).ToHashSet());
        Assert.Equal(evicted, reported.ToHashSet());
        Assert.All(evicted, chunk => Assert.NotNull(_target.Repository.GetRecord(chunk)));
        AssertCopiedIntact(put.Table.Cid);
    }

    [Fact]
    public async Task A_group_commit_that_fails_during_a_copy_fails_it_and_leaves_the_table_unregistered()
    {
        // The target's pack log fails its second sync: a group of chunk rows is lost.
        var put = Put((0, Rows * 4));
        var fault = new FileFaultInjector(_target.Repository.Root)
        {
            FailAt = 2,
            Fault = FileFaultInjector.InputOutput,
            Counts = (operation, path) => operation == FileOperation.Sync && path.EndsWith(".pack", StringComparison.Ordinal),
        };
        using (FileFaults.Install(fault))
        {
            await Assert.ThrowsAnyAsync<IOException>(() => TableCopy.CopyAsync(_target, put.Table.Cid, Fetch([]), new PutOptions { Name = "sensors" }));
        }

        // Whichever rows committed after the failed group, none names the table.
        Assert.True(fault.Failed, "a group commit was failed");
        Assert.Null(_target.Repository.GetRecord(put.Table.Cid));
        Assert.Empty(_target.Repository.Registry.ListVersions("sensors"));

        // Nothing is lost: the copy again brings what is missing.
        var again = await TableCopy.CopyAsync(_target, put.Table.Cid, Fetch([]), new PutOptions { Name = "sensors" });
        Assert.Equal(1, again.Version!.Version);
        AssertCopiedIntact(put.Table.Cid);
    }

    [Fact]
    public async Task A_copy_of_a_batch_root_stores_that_one_block()
    {
        var batch = _source.PutBatch(_batches[4]);

        var copy = await TableCopy.CopyAsync(_target, batch.Cid, Fetch([]));

        Assert.Equal([new TableBlock(batch.Cid, batch.Bytes)], copy.Transferred);
        Assert.True(_target.Repository.GetRecord(batch.Cid)!.Pinned);
        using var back = _target.OpenBatch(batch.Cid);
        Assert.Equal(_batches[4].Length, back.Length);
    }

    [Fact]
    public async Task A_block_that_does_not_hash_to_its_cid_is_refused_naming_it_and_nothing_of_the_table_is_registered_as_a_dataset()
    {
        var put = Put((0, Rows));
        var bad = put.Batches[1].Cid;
        Task<ReadOnlyMemory<byte>> Lying(Cid cid, CancellationToken cancellationToken)
        {
            byte[] bytes = _source.GetBytes(cid).ToArray();
            if (cid == bad)
            {
                bytes[^9] ^= 0xFF;
            }

            return Task.FromResult<ReadOnlyMemory<byte>>(bytes);
        }

        var error = await Assert.ThrowsAsync<BlockCorruptedException>(() => TableCopy.CopyAsync(_target, put.Table.Cid, Lying, new PutOptions { Name = "sensors" }));

        Assert.Equal(bad, error.Cid);
        Assert.Contains(bad.ToString(), error.Message, StringComparison.Ordinal);
        Assert.False(_target.Repository.Blocks.Has(bad));
        Assert.Null(_target.Repository.GetRecord(bad));
        Assert.Null(_target.Repository.GetRecord(put.Table.Cid));
        Assert.Empty(_target.Repository.Registry.ListVersions("sensors"));
        // What was stored before the refusal holds no pins, so gc may take it.
        Assert.All(_target.Repository.Registry.List(), r => Assert.False(r.Pinned));
    }

    [Fact]
    public async Task A_source_of_verified_blocks_giving_another_block_than_the_one_asked_for_is_refused_before_it_is_stored()
    {
        var put = Put((0, Rows));
        var asked = put.Batches[1].Cid;
        var other = put.Batches[0].Cid;
        Task<HashedBlock> Swapping(Cid cid, CancellationToken cancellationToken) =>
            Task.FromResult(HashedBlock.Verify(cid == asked ? other : cid, _source.GetBytes(cid == asked ? other : cid)));

        var error = await Assert.ThrowsAsync<BlockCorruptedException>(() => TableCopy.CopyAsync(_target, put.Table.Cid, Swapping, new PutOptions { Name = "sensors" }));

        Assert.Equal(asked, error.Cid);
        Assert.False(_target.Repository.Blocks.Has(asked));
        Assert.Null(_target.Repository.GetRecord(put.Table.Cid));
        Assert.Empty(_target.Repository.Registry.ListVersions("sensors"));
    }

    [Fact]
    public async Task A_manifest_that_links_something_other_than_a_canonical_batch_is_refused()
    {
        // Bytes no Arrow reader takes, long enough for the manifest's size rule.
        byte[] notArrow = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))];
        var schema = SampleBatches.Schema;
        var manifest = ArrowCid.Content.Datasets.DatasetManifest.Create(schema, [new ArrowCid.Content.Datasets.DatasetBatch(Cid.ForRaw(notArrow), 1, notArrow.Length)]).Encode();
        var blocks = new Dictionary<Cid, byte[]> { [manifest.Cid] = manifest.Bytes, [Cid.ForRaw(notArrow)] = notArrow };

        var error = await Assert.ThrowsAsync<ContentFormatException>(() =>
            TableCopy.CopyAsync(_target, manifest.Cid, (cid, _) => Task.FromResult<ReadOnlyMemory<byte>>(blocks[cid])));

        Assert.Contains($"links {Cid.ForRaw(notArrow)}, which is not a canonical Arrow batch", error.Message, StringComparison.Ordinal);
        Assert.Null(_target.Repository.GetRecord(manifest.Cid));
    }

    [Fact]
    public async Task A_manifest_that_links_an_Arrow_batch_in_another_than_its_canonical_encoding_is_refused()
    {
        // A batch any reader takes, written as a plain stream writer writes it: a NaN with a payload
        // of its own, where the canonical encoding writes the one canonical NaN.
        var builder = new ArrowCid.Arrow.Builders.RecordBatchBuilder(new ArrowCid.Arrow.Types.Schema([new ArrowCid.Arrow.Types.Field("x", ArrowCid.Arrow.Types.ArrowType.Float64, nullable: false)]));
        builder.AppendRow(1.5);
        builder.AppendRow(BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_0123));
        using var batch = builder.Build();
        var stream = new MemoryStream();
        using (var writer = new ArrowCid.Arrow.Ipc.ArrowStreamWriter(stream, batch.Schema, new ArrowCid.Arrow.Ipc.IpcWriteOptions { SortMetadata = true }, leaveOpen: true))
        {
            writer.Write(batch);
        }

        byte[] plain = stream.ToArray();
        Assert.False(CanonicalEncoder.IsCanonical(plain.AsSpan()), "the plain writer's bytes were canonical: the check is not exercised");
        var manifest = ArrowCid.Content.Datasets.DatasetManifest.Create(batch.Schema, [new ArrowCid.Content.Datasets.DatasetBatch(Cid.ForRaw(plain), batch.Length, plain.Length)]).Encode();
        var blocks = new Dictionary<Cid, byte[]> { [manifest.Cid] = manifest.Bytes, [Cid.ForRaw(plain)] = plain };

        var error = await Assert.ThrowsAsync<ContentFormatException>(() =>
            TableCopy.CopyAsync(_target, manifest.Cid, (cid, _) => Task.FromResult<ReadOnlyMemory<byte>>(blocks[cid])));

        Assert.Contains($"links {Cid.ForRaw(plain)}, which is not a canonical Arrow batch", error.Message, StringComparison.Ordinal);
        Assert.Null(_target.Repository.GetRecord(manifest.Cid));
    }

    [Fact]
    public void A_car_since_a_base_holds_only_the_blocks_the_base_lacks()
    {
        var v1 = Put((0, Rows));
        var v2 = Put((0, Rows / 2), (Rows * 2, 200), (Rows / 2, Rows / 2));
        var basis = TableBlocks.Read(_source, v1.Table.Cid);
        var expected = TableDifference.Between(basis, TableBlocks.Read(_source, v2.Table.Cid));
        using var car = new MemoryStream();

        var report = _source.ExportCar([v2.Table.Cid], car, exclude: basis.Blocks.Select(b => b.Cid).ToHashSet());
        car.Position = 0;
        var reader = CarReader.Open(car);
        var written = reader.ReadBlocks().Select(b => b.Cid).ToArray();

        Assert.Equal([v2.Table.Cid], reader.Roots);
        Assert.Equal(expected.NewBlocks.Select(b => b.Cid), written);
        Assert.Equal(v2.Table.Cid, written[0]);
        // An insert of 200 rows changes the chunks around it, not the table.
        Assert.InRange(written.Length, 2, 4);
        Assert.Equal(written.Length, report.Blocks);

        // A repository holding the base completes the new version from the CAR alone.
        _target.ImportCar(WholeCar(v1.Table.Cid));
        car.Position = 0;
        var imported = _target.ImportCar(car, strict: true);
        Assert.True(imported.IsComplete);
        Assert.Equal([v2.Table.Cid], imported.Datasets);
    }

    private MemoryStream WholeCar(Cid root)
    {
        var car = new MemoryStream();
        _source.ExportCar([root], car);
        car.Position = 0;
        return car;
    }

    /// <summary>Fetches from the source repository, recording what was asked for.</summary>
    private Func<Cid, CancellationToken, Task<ReadOnlyMemory<byte>>> Fetch(List<Cid> asked) => (cid, _) =>
    {
        asked.Add(cid);
        return Task.FromResult(_source.GetBytes(cid));
    };
}
