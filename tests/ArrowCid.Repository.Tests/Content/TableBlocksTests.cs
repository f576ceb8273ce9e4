using ArrowCid.Arrow.Arrays;
using ArrowCid.Content;
using ArrowCid.Content.Car;
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

    private PutStreamResult Put(params int[] batches) => _source.PutStream(SampleBatches.Schema, batches.Select(i => _batches[i]));

    private static long BytesOf(PutStreamResult put, params int[] positions) => positions.Sum(p => put.Batches[p].Bytes);

    [Fact]
    public void A_dataset_is_its_manifest_then_each_distinct_batch_with_its_length()
    {
        var put = Put(0, 1, 0, 2);

        var table = TableBlocks.Read(_source, put.Dataset.Cid);

        Assert.Equal(put.Dataset.Cid, table.Root);
        Assert.Equal(
            [(put.Dataset.Cid, put.Dataset.ManifestBytes), (put.Batches[0].Cid, put.Batches[0].Bytes), (put.Batches[1].Cid, put.Batches[1].Bytes), (put.Batches[3].Cid, put.Batches[3].Bytes)],
            table.Blocks.Select(b => (b.Cid, b.Bytes)));
        Assert.Equal(put.Dataset.ManifestBytes + BytesOf(put, 0, 1, 3), table.Bytes);
        Assert.True(table.Contains(put.Batches[1].Cid));
        Assert.False(table.Contains(Cid.ForRaw([1, 2, 3])));
    }

    [Fact]
    public void A_batch_is_one_block_and_a_dataset_needs_only_its_manifest()
    {
        var batch = _source.PutBatch(_batches[0]);
        var put = Put(1, 2);
        Assert.True(_source.Repository.Blocks.Delete(put.Batches[1].Cid));

        var single = TableBlocks.Read(_source, batch.Cid);
        var dataset = TableBlocks.Read(_source, put.Dataset.Cid);

        Assert.Equal([new TableBlock(batch.Cid, batch.Bytes)], single.Blocks);
        Assert.Equal(batch.Bytes, single.Bytes);
        // The manifest states each batch's length, so a missing batch does not hide its size.
        Assert.Equal(put.Dataset.ManifestBytes + BytesOf(put, 0, 1), dataset.Bytes);
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
        var a = Put(0, 1, 2);
        var b = Put(1, 2, 3, 3);

        var difference = TableDifference.Between(TableBlocks.Read(_source, a.Dataset.Cid), TableBlocks.Read(_source, b.Dataset.Cid));
        var first = TableDifference.Between(null, TableBlocks.Read(_source, a.Dataset.Cid));
        var same = TableDifference.Between(TableBlocks.Read(_source, a.Dataset.Cid), TableBlocks.Read(_source, a.Dataset.Cid));

        Assert.Equal([a.Batches[1].Cid, a.Batches[2].Cid], difference.SharedBlocks.Select(x => x.Cid));
        Assert.Equal(BytesOf(a, 1, 2), difference.SharedBytes);
        Assert.Equal([b.Dataset.Cid, b.Batches[2].Cid], difference.NewBlocks.Select(x => x.Cid));
        Assert.Equal(b.Dataset.ManifestBytes + BytesOf(b, 2), difference.NewBytes);
        Assert.Equal([a.Dataset.Cid, a.Batches[0].Cid], difference.RemovedBlocks.Select(x => x.Cid));
        Assert.Equal(a.Dataset.ManifestBytes + BytesOf(a, 0), difference.RemovedBytes);

        Assert.Equal(4, first.NewBlocks.Count);
        Assert.Equal(a.Dataset.ManifestBytes + BytesOf(a, 0, 1, 2), first.NewBytes);
        Assert.Empty(first.SharedBlocks);
        Assert.Empty(first.RemovedBlocks);

        Assert.Equal(0, same.NewBytes);
        Assert.Equal(0, same.RemovedBytes);
        Assert.Equal(4, same.SharedBlocks.Count);
    }

    [Fact]
    public async Task A_copy_fetches_only_missing_blocks_registers_them_and_names_the_table_once()
    {
        var v1 = Put(0, 1, 2);
        var v2 = Put(0, 1, 2, 3);
        var fetchedCids = new List<Cid>();
        var options = new PutOptions { Name = "sensors", Provenance = "test" };

        var first = await TableCopy.CopyAsync(_target, v1.Dataset.Cid, Fetch(fetchedCids), options);
        fetchedCids.Clear();
        var second = await TableCopy.CopyAsync(_target, v2.Dataset.Cid, Fetch(fetchedCids), options);
        var secondFetched = fetchedCids.ToArray();
        fetchedCids.Clear();
        var again = await TableCopy.CopyAsync(_target, v2.Dataset.Cid, Fetch(fetchedCids), options);

        Assert.Equal(first.Table.Bytes, first.BytesTransferred);
        Assert.Equal(1, first.Version!.Version);
        var expected = TableDifference.Between(TableBlocks.Read(_source, v1.Dataset.Cid), TableBlocks.Read(_source, v2.Dataset.Cid));
        Assert.Equal(expected.NewBlocks.Select(b => b.Cid).ToHashSet(), secondFetched.ToHashSet());
        Assert.Equal(expected.NewBytes, second.BytesTransferred);
        Assert.Equal(v2.Dataset.ManifestBytes + BytesOf(v2, 3), second.BytesTransferred);
        Assert.Equal(2, second.Version!.Version);
        Assert.Empty(again.Transferred);
        Assert.Empty(fetchedCids);
        Assert.Equal(2, again.Version!.Version);
        Assert.Equal(2, _target.Repository.Registry.ListVersions("sensors").Count);

        // Registered as what each block is: batches and a pinned dataset whose batches carry no pins of their own.
        var dataset = _target.Repository.GetRecord(v2.Dataset.Cid)!;
        Assert.Equal(BlockKind.Dataset, dataset.Kind);
        Assert.True(dataset.Pinned);
        Assert.Equal(v2.Dataset.Rows, dataset.Rows);
        Assert.All(v2.Batches, b => Assert.Equal((BlockKind.Batch, b.Rows, false), (_target.Repository.GetRecord(b.Cid)!.Kind, _target.Repository.GetRecord(b.Cid)!.Rows, _target.Repository.GetRecord(b.Cid)!.Pinned)));
        Assert.Empty(_target.Repository.Verify().CorruptBlocks);
        using var sent = new MemoryStream();
        using var received = new MemoryStream();
        _source.WriteDataset(v2.Dataset.Cid, sent);
        _target.WriteDataset(v2.Dataset.Cid, received);
        Assert.Equal(sent.ToArray(), received.ToArray());
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
        var put = Put(0, 1, 2);
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

        var error = await Assert.ThrowsAsync<BlockCorruptedException>(() => TableCopy.CopyAsync(_target, put.Dataset.Cid, Lying, new PutOptions { Name = "sensors" }));

        Assert.Equal(bad, error.Cid);
        Assert.Contains(bad.ToString(), error.Message, StringComparison.Ordinal);
        Assert.False(_target.Repository.Blocks.Has(bad));
        Assert.Null(_target.Repository.GetRecord(bad));
        Assert.Null(_target.Repository.GetRecord(put.Dataset.Cid));
        Assert.Empty(_target.Repository.Registry.ListVersions("sensors"));
        // What was stored before the refusal holds no pins, so gc may take it.
        Assert.All(_target.Repository.Registry.List(), r => Assert.False(r.Pinned));
    }

    [Fact]
    public async Task A_manifest_that_links_something_other_than_a_canonical_batch_is_refused()
    {
        // Bytes no Arrow reader takes, long enough for the manifest's size rule.
        byte[] notArrow = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7))];
        var put = Put(0);
        var schema = ArrowCid.Content.Datasets.DatasetManifest.Decode(_source.GetBytes(put.Dataset.Cid).Span, put.Dataset.Cid).Schema;
        var manifest = ArrowCid.Content.Datasets.DatasetManifest.Create(schema, [new ArrowCid.Content.Datasets.DatasetBatch(Cid.ForRaw(notArrow), 1, notArrow.Length)]).Encode();
        var blocks = new Dictionary<Cid, byte[]> { [manifest.Cid] = manifest.Bytes, [Cid.ForRaw(notArrow)] = notArrow };

        var error = await Assert.ThrowsAsync<ContentFormatException>(() =>
            TableCopy.CopyAsync(_target, manifest.Cid, (cid, _) => Task.FromResult<ReadOnlyMemory<byte>>(blocks[cid])));

        Assert.Contains($"links {Cid.ForRaw(notArrow)}, which is not a canonical Arrow batch", error.Message, StringComparison.Ordinal);
        Assert.Null(_target.Repository.GetRecord(manifest.Cid));
    }

    [Fact]
    public void A_car_since_a_base_holds_only_the_blocks_the_base_lacks()
    {
        var v1 = Put(0, 1, 2);
        var v2 = Put(0, 3, 2, 4);
        var basis = TableBlocks.Read(_source, v1.Dataset.Cid);
        using var car = new MemoryStream();

        var report = _source.ExportCar([v2.Dataset.Cid], car, exclude: basis.Blocks.Select(b => b.Cid).ToHashSet());
        car.Position = 0;
        var reader = CarReader.Open(car);
        var written = reader.ReadBlocks().Select(b => b.Cid).ToArray();

        Assert.Equal([v2.Dataset.Cid], reader.Roots);
        Assert.Equal([v2.Dataset.Cid, v2.Batches[1].Cid, v2.Batches[3].Cid], written);
        Assert.Equal(3, report.Blocks);

        // A repository holding the base completes the new version from the CAR alone.
        _target.ImportCar(WholeCar(v1.Dataset.Cid));
        car.Position = 0;
        var imported = _target.ImportCar(car);
        Assert.True(imported.IsComplete);
        Assert.Equal([v2.Dataset.Cid], imported.Datasets);
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
