using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Repository;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

using ArrowCid.Registry;

namespace ArrowCid.Repository.Tests.Content;

public sealed class ContentRepositoryTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentRepository _content;

    public ContentRepositoryTests() => _content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));

    public void Dispose()
    {
        _content.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void PutBatch_stores_the_canonical_bytes_under_the_canonical_cid_and_registers_them()
    {
        using var batch = SampleBatches.Build(7, 40);

        var put = _content.PutBatch(batch, new PutOptions { Tags = new Dictionary<string, string> { ["k"] = "v" }, Producer = "me" });

        Assert.Equal(CanonicalEncoder.ComputeCid(batch), put.Cid);
        Assert.Equal(CanonicalEncoder.Encode(batch), _content.GetBytes(put.Cid).ToArray());
        Assert.Equal(40, put.Rows);
        var record = _content.Repository.GetRecord(put.Cid)!;
        Assert.Equal(BlockKind.Batch, record.Kind);
        Assert.Equal(40, record.Rows);
        Assert.Equal(put.Bytes, record.Bytes);
        Assert.Equal("v", record.Tags["k"]);
        Assert.Equal("me", record.Producer);
        Assert.True(record.Pinned);
        Assert.Contains("color", record.Schema, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slice_and_its_materialised_copy_get_one_cid()
    {
        using var whole = SampleBatches.Build(3, 50);
        var slice = whole.Slice(10, 20);
        using var copy = ReadBack(CanonicalEncoder.Encode(slice));

        Assert.Equal(_content.PutBatch(slice).Cid, _content.PutBatch(copy).Cid);
    }

    [Fact]
    public void ComputeCids_names_exactly_what_PutStream_stores()
    {
        var batches = ChunkedTables.Rows(21, 0, ChunkedTables.SeveralChunks, 7_000).ToArray();

        var computed = ContentRepository.ComputeCids(ChunkedTables.Schema, batches);
        var put = _content.PutStream(ChunkedTables.Schema, batches);

        Assert.Equal(computed.Batches, put.Batches);
        Assert.Equal(computed.Table, put.Table);
        Assert.StartsWith("bafyrei", put.Table.Cid.ToString(), StringComparison.Ordinal);
        Assert.Equal(batches.Sum(b => (long)b.Length), put.Table.Rows);
        Assert.Equal(put.Batches.Count, put.Table.Batches);
        var record = _content.Repository.GetRecord(put.Table.Cid)!;
        Assert.Equal(BlockKind.Dataset, record.Kind);
        // The root's links, which GC follows: what its entries name.
        Assert.Equal(_content.OpenTable(put.Table.Cid).RootNode!.Entries.Select(e => e.Cid).Distinct(), record.Links);
        Assert.True(record.Pinned);
        // The table's pin keeps its chunks; they carry no pins of their own.
        Assert.All(put.Batches, b => Assert.False(_content.Repository.GetRecord(b.Cid)!.Pinned));
    }

    [Fact]
    public void A_small_table_is_one_chunk_named_by_its_raw_cid_as_a_batch_put_names_it()
    {
        var batches = SampleBatches.Several();

        var put = _content.PutStream(SampleBatches.Schema, batches);

        var chunk = Assert.Single(put.Batches);
        Assert.Equal(chunk.Cid, put.Table.Cid);
        Assert.Equal(Multicodec.Raw, put.Table.Cid.Codec);
        Assert.False(_content.IsManifest(put.Table.Cid));
        Assert.Equal(batches.Sum(b => (long)b.Length), chunk.Rows);
        // The table's pin is its one block's.
        Assert.True(_content.Repository.GetRecord(chunk.Cid)!.Pinned);
        using var joined = Assert.Single(_content.ReadBatches(put.Table.Cid));
        Assert.Equal(put.Table.Cid, ContentRepository.ComputeCid(joined).Cid);
    }

    [Fact]
    public void PutStream_refuses_a_batch_of_another_schema()
    {
        using var other = ReadBack(CanonicalEncoder.Encode(new Arrow.Builders.RecordBatchBuilder(new Arrow.Types.Schema([new Arrow.Types.Field("x", Arrow.Types.ArrowType.Int32)])).Build()));

        Assert.Throws<ArgumentException>(() => _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(1, 3), other]));
    }

    [Fact]
    public void OpenBatch_reads_the_block_zero_copy_and_equal_to_the_input()
    {
        using var batch = SampleBatches.Build(11, 30);
        var put = _content.PutBatch(batch);

        using var opened = _content.OpenBatch(put.Cid);

        Assert.True(ArrayEquality.Equals(batch, opened, out string? difference), difference);
    }

    [Fact]
    public void OpenBatch_refuses_a_corrupted_block_unless_told_not_to_verify()
    {
        using var batch = SampleBatches.Build(12, 30);
        var put = _content.PutBatch(batch);
        Corrupt(_content.Repository, put.Cid);

        Assert.Throws<BlockCorruptedException>(() => _content.OpenBatch(put.Cid));
        Assert.Throws<BlockCorruptedException>(() => _content.WriteTable(put.Cid, Stream.Null));
        Assert.ThrowsAny<Exception>(() => _content.GetBytes(put.Cid));
    }

    [Fact]
    public void Unknown_cids_are_not_found_and_wrong_kinds_are_refused()
    {
        var unknown = Cid.ForRaw([9, 9, 9]);

        Assert.Throws<BlockNotFoundException>(() => _content.OpenBatch(unknown));
        Assert.Throws<BlockNotFoundException>(() => _content.WriteTable(unknown, Stream.Null));
        Assert.Throws<BlockNotFoundException>(() => _content.OpenTable(Cid.ForDagCbor([1])));
        Assert.Throws<BlockNotFoundException>(() => _content.OpenTable(unknown));
        Assert.Throws<ContentFormatException>(() => _content.OpenBatch(Cid.ForDagCbor([1])));
    }

    [Fact]
    public void WriteDataset_gives_a_batch_its_exact_canonical_bytes()
    {
        using var batch = SampleBatches.Build(13, 9);
        var put = _content.PutBatch(batch);
        using var output = new MemoryStream();

        long written = _content.WriteTable(put.Cid, output);

        Assert.Equal(CanonicalEncoder.Encode(batch), output.ToArray());
        Assert.Equal(output.Length, written);
        Assert.Equal(put.Cid, Cid.ForRaw(output.ToArray()));
    }

    [Fact]
    public void WriteDataset_gives_a_table_as_one_ipc_stream_of_its_chunks_in_order_holding_the_producers_rows()
    {
        var batches = ChunkedTables.Rows(22, 0, ChunkedTables.SeveralChunks).ToArray();
        var put = _content.PutStream(ChunkedTables.Schema, batches);
        using var output = new MemoryStream();

        long written = _content.WriteTable(put.Table.Cid, output);

        Assert.Equal(output.Length, written);
        using var reader = new ArrowStreamReader(output.ToArray().AsMemory());
        var read = reader.ReadAll().ToList();
        Assert.Equal(put.Batches.Select(b => b.Rows), read.Select(b => (long)b.Length));
        Assert.All(put.Batches.Zip(read), pair => Assert.Equal(pair.First.Cid, ContentRepository.ComputeCid(pair.Second).Cid));
        // The same rows, however batched, are the same table.
        Assert.Equal(put.Table.Cid, ContentRepository.ComputeCids(ChunkedTables.Schema, read).Table.Cid);
        read.ForEach(b => b.Dispose());
    }

    [Fact]
    public void An_empty_table_is_a_stream_of_its_schema_and_one_batch_of_no_rows()
    {
        var put = _content.PutStream(SampleBatches.Schema, []);
        using var output = new MemoryStream();

        _content.WriteTable(put.Table.Cid, output);

        using var reader = new ArrowStreamReader(output.ToArray().AsMemory());
        Assert.Equal(SampleBatches.Schema, reader.Schema);
        using (var only = reader.ReadNext())
        {
            Assert.Equal(0, only!.Length);
        }

        Assert.Null(reader.ReadNext());
        Assert.Equal(1, put.Table.Batches);
        Assert.Equal(0, put.Table.Rows);
    }

    [Fact]
    public void ReadBatches_opens_every_chunk_of_a_table_in_order()
    {
        var batches = ChunkedTables.Rows(23, 0, ChunkedTables.SeveralChunks, 3_000).ToArray();
        var put = _content.PutStream(ChunkedTables.Schema, batches);

        var read = _content.ReadBatches(put.Table.Cid).ToList();

        Assert.Equal(put.Batches.Count, read.Count);
        Assert.True(read.Count >= 2);
        Assert.Equal(put.Batches.Select(b => b.Cid), read.Select(b => ContentRepository.ComputeCid(b).Cid));
        Assert.Equal(put.Table.Cid, ContentRepository.ComputeCids(ChunkedTables.Schema, read).Table.Cid);
        read.ForEach(b => b.Dispose());
    }

    [Fact]
    public void Gc_keeps_a_pinned_dataset_with_its_batches_and_removes_it_once_unpinned()
    {
        var put = _content.PutStream(SampleBatches.Schema, SampleBatches.Several());

        _content.Repository.GcListed();
        Assert.All(put.Batches, b => Assert.True(_content.Repository.Blocks.Has(b.Cid)));

        _content.Repository.Unpin(put.Table.Cid);
        var report = _content.Repository.GcListed();

        Assert.Contains(put.Table.Cid, report.RemovedRecords);
        Assert.All(put.Batches, b => Assert.False(_content.Repository.Blocks.Has(b.Cid)));
    }

    [Fact]
    public void A_named_put_becomes_the_next_version_and_gc_keeps_every_version_even_unpinned()
    {
        var first = _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(1, 5)], new PutOptions { Name = "plant-3/temps", Pin = false });
        var second = _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(2, 6)], new PutOptions { Name = "plant-3/temps", Pin = false });
        var unnamed = _content.PutStream(SampleBatches.Schema, [SampleBatches.Build(3, 7)], new PutOptions { Pin = false });

        Assert.NotNull(first.Version!.Node);
        Assert.Equal(new NamedVersion("plant-3/temps", 1, first.Table.Cid, first.Version.Created) { Node = first.Version.Node }, first.Version);
        Assert.Equal(2, second.Version!.Version);
        Assert.Null(unnamed.Version);

        // Nothing is left pinned: the versions alone keep the datasets and their batches.
        Assert.False(_content.Repository.GetRecord(first.Table.Cid)!.Pinned);
        Assert.False(_content.Repository.GetRecord(first.Batches[0].Cid)!.Pinned);
        var report = _content.Repository.GcListed();

        Assert.Equal(new[] { unnamed.Table.Cid, unnamed.Batches[0].Cid }.ToHashSet(), report.RemovedRecords.ToHashSet());
        foreach (var kept in new[] { first, second })
        {
            Assert.True(_content.Repository.Blocks.Has(kept.Table.Cid));
            Assert.True(_content.Repository.Blocks.Has(kept.Batches[0].Cid));
        }

        Assert.Equal(first.Table.Cid, _content.Repository.Registry.FindVersion("plant-3/temps", 1)!.Cid);
    }

    [Fact]
    public void A_bad_name_is_refused_before_anything_is_stored_and_a_single_batch_takes_no_name()
    {
        var batches = SampleBatches.Several();

        Assert.Throws<InvalidDatasetNameException>(() => _content.PutStream(SampleBatches.Schema, batches, new PutOptions { Name = "a//b" }));
        Assert.Empty(_content.Repository.Registry.ListCids());
        Assert.Throws<ArgumentException>(() => _content.PutBatch(batches[0], new PutOptions { Name = "sensors" }));
        Assert.Empty(_content.Repository.Registry.ListCids());
    }

    [Fact]
    public void Naming_an_unregistered_cid_is_not_found()
    {
        Assert.Throws<BlockNotFoundException>(() => _content.Repository.AddVersion("sensors", Cid.ForRaw("never stored"u8)));
        Assert.Empty(_content.Repository.Registry.ListNames());
    }

    [Fact]
    public void Unpinned_puts_leave_nothing_pinned()
    {
        var put = _content.PutStream(SampleBatches.Schema, SampleBatches.Several(), new PutOptions { Pin = false });

        Assert.False(_content.Repository.GetRecord(put.Table.Cid)!.Pinned);
        Assert.All(put.Batches, b => Assert.False(_content.Repository.GetRecord(b.Cid)!.Pinned));
    }

    internal static RecordBatch ReadBack(byte[] ipcStream)
    {
        using var reader = new ArrowStreamReader(ipcStream.AsMemory());
        return reader.ReadNext()!;
    }

    internal static void Corrupt(LocalRepository repository, Cid cid)
    {
        StoredBlocks.FlipBit(repository.Blocks, cid);
    }
}
