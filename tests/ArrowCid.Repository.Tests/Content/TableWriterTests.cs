using System.Buffers;
using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.TestSupport;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>The one dataset writer: incremental puts, names, the one pin policy, and a batch encoded once.</summary>
public sealed class TableWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentRepository _content;

    public TableWriterTests() => _content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));

    private LocalRepository Repository => _content.Repository;

    public void Dispose()
    {
        _content.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Each_completed_chunk_is_stored_and_registered_before_Add_returns_and_Finish_gives_what_ComputeCids_names()
    {
        var batches = ChunkedTables.Rows(3, 0, ChunkedTables.SeveralChunks).ToArray();
        using var writer = _content.CreateTableWriter(ChunkedTables.Schema, new PutOptions { Tags = new Dictionary<string, string> { ["stage"] = "raw" } });

        int addedChunks = 0;
        foreach (var batch in batches)
        {
            foreach (var stored in writer.Add(batch))
            {
                addedChunks++;
                Assert.True(Repository.Blocks.Has(stored.Cid));
                var record = Repository.GetRecord(stored.Cid)!;
                Assert.Equal((BlockKind.Batch, stored.Rows, stored.Bytes, "raw"), (record.Kind, record.Rows, record.Bytes, record.Tags["stage"]));
            }
        }

        var put = writer.Finish();

        Assert.True(addedChunks >= 2, "a table of several chunks completes chunks before Finish");
        var computed = ContentRepository.ComputeCids(ChunkedTables.Schema, batches);
        Assert.Equal(computed.Batches, put.Batches);
        Assert.Equal(computed.Table, put.Table);
        Assert.Equal(ChunkedTables.SeveralChunks, put.Batches.Sum(b => b.Rows));
        Assert.Equal(Multicodec.DagCbor, put.Table.Cid.Codec);
        var dataset = Repository.GetRecord(put.Table.Cid)!;
        Assert.Equal(BlockKind.Dataset, dataset.Kind);
        // The root's links (which GC follows) are what its entries name: chunks, or nodes of a taller tree.
        Assert.Equal(_content.OpenTable(put.Table.Cid).RootNode!.Entries.Select(e => e.Cid).Distinct(), dataset.Links);
        Assert.Equal(put.Table.ManifestBytes, dataset.Bytes);
        Assert.True(dataset.Pinned);
        Assert.Null(put.Version);
        Assert.Throws<InvalidOperationException>(() => writer.Add(batches[0]));
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
    }

    [Fact]
    public async Task FinishAsync_stores_registers_and_pins_what_Finish_does()
    {
        var batches = ChunkedTables.Rows(4, 0, ChunkedTables.SeveralChunks).ToArray();
        var options = new PutOptions { Name = "plant-7/async", Tags = new Dictionary<string, string> { ["stage"] = "raw" } };
        PutStreamResult put;
        using (var writer = _content.CreateTableWriter(ChunkedTables.Schema, options))
        {
            foreach (var batch in batches)
            {
                writer.Add(batch);
            }

            put = await writer.FinishAsync();
            await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FinishAsync());
        }

        var computed = ContentRepository.ComputeCids(ChunkedTables.Schema, batches);
        Assert.Equal(computed.Batches, put.Batches);
        Assert.Equal(computed.Table, put.Table);
        Assert.Equal(("plant-7/async", 1L), (put.Version!.Name, put.Version.Version));
        foreach (var chunk in put.Batches)
        {
            var record = Repository.GetRecord(chunk.Cid)!;
            Assert.Equal((BlockKind.Batch, chunk.Rows, chunk.Bytes, "raw"), (record.Kind, record.Rows, record.Bytes, record.Tags["stage"]));
            // The writer's pins are released: the dataset's pin keeps the chunks.
            Assert.False(record.Pinned);
        }

        Assert.True(Repository.GetRecord(put.Table.Cid)!.Pinned);
        Assert.Empty(Repository.GcListed().RemovedRecords);
    }

    [Fact]
    public async Task FinishAsync_of_a_one_chunk_table_leaves_the_chunk_pinned_as_the_table()
    {
        using var writer = _content.CreateTableWriter(SampleBatches.Schema);
        writer.AddInPlace(SampleBatches.Build(3, 5));

        var put = await writer.FinishAsync();

        var chunk = Assert.Single(put.Batches);
        Assert.Equal(chunk.Cid, put.Table.Cid);
        Assert.Equal(ContentRepository.ComputeCids(SampleBatches.Schema, [SampleBatches.Build(3, 5)]).Table, put.Table);
        Assert.True(Repository.GetRecord(chunk.Cid)!.Pinned);
        Assert.Empty(Repository.GcListed().RemovedRecords);
    }

    [Fact]
    public void A_writer_with_no_batch_stores_one_chunk_of_no_rows_named_by_its_raw_cid()
    {
        using var writer = _content.CreateTableWriter(SampleBatches.Schema);

        var put = writer.Finish();

        var chunk = Assert.Single(put.Batches);
        Assert.Equal(0, chunk.Rows);
        Assert.Equal(chunk.Cid, put.Table.Cid);
        Assert.Equal(ContentRepository.ComputeCids(SampleBatches.Schema, []).Table, put.Table);
        var table = _content.OpenTable(put.Table.Cid);
        Assert.Equal((0, 0L), (table.Version, table.Rows));
        Assert.True(Repository.GetRecord(chunk.Cid)!.Pinned);
    }

    [Fact]
    public void A_named_writer_records_the_next_version_and_its_name_alone_keeps_an_unpinned_dataset()
    {
        var options = new PutOptions { Name = "plant-7/flow", Pin = false };
        PutStreamResult first;
        using (var writer = _content.CreateTableWriter(SampleBatches.Schema, options))
        {
            writer.Add(SampleBatches.Build(1, 4));
            first = writer.Finish();
        }

        using (var writer = _content.CreateTableWriter(SampleBatches.Schema, options))
        {
            writer.Add(SampleBatches.Build(2, 4));
            var second = writer.Finish();
            Assert.Equal(("plant-7/flow", 2L, second.Table.Cid), (second.Version!.Name, second.Version.Version, second.Version.Cid));
        }

        Assert.Equal(("plant-7/flow", 1L), (first.Version!.Name, first.Version.Version));
        Assert.False(Repository.GetRecord(first.Table.Cid)!.Pinned);
        Assert.False(Repository.GetRecord(first.Batches[0].Cid)!.Pinned);
        Assert.Empty(Repository.GcListed().RemovedRecords);
        Assert.True(Repository.Blocks.Has(first.Batches[0].Cid));
    }

    [Fact]
    public void A_bad_name_is_refused_when_the_writer_is_created()
    {
        Assert.Throws<InvalidDatasetNameException>(() => _content.CreateTableWriter(SampleBatches.Schema, new PutOptions { Name = "a//b" }));
        Assert.Empty(Repository.Registry.ListCids());
    }

    [Fact]
    public void A_batch_of_another_schema_is_refused_before_anything_of_it_is_stored()
    {
        using var writer = _content.CreateTableWriter(ChunkedTables.Schema);
        var stored = writer.Add(MixedTable.Build(5, 0, 20_000));
        Assert.NotEmpty(stored);
        var builder = new RecordBatchBuilder(new Schema([new Field("x", ArrowType.Int32)]));
        builder.AppendRow(7);
        using var other = builder.Build();

        var refused = Assert.Throws<ArgumentException>(() => writer.Add(other));

        Assert.Contains("batch 1", refused.Message, StringComparison.Ordinal);
        Assert.Equal(stored.Select(s => s.Cid).ToHashSet(), Repository.Registry.ListCids().ToHashSet());
        Assert.Equal(stored.Select(s => s.Cid).ToHashSet(), Repository.Blocks.Enumerate().ToHashSet());
        // The writer goes on: the refused batch is simply not part of the table.
        writer.Add(MixedTable.Build(5, 20_000, 3));
        Assert.Equal(20_003, writer.Finish().Table.Rows);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Blocks_added_survive_a_gc_while_the_writer_is_open_and_then_the_datasets_pin_decides(bool pin)
    {
        using var writer = _content.CreateTableWriter(ChunkedTables.Schema, new PutOptions { Pin = pin });
        var first = writer.Add(MixedTable.Build(6, 0, 20_000))[0];

        var collected = Repository.GcListed();

        Assert.DoesNotContain(first.Cid, collected.RemovedRecords);
        Assert.True(Repository.Blocks.Has(first.Cid));
        // Held by the writer's guard, not pinned: a crash mid-put leaves no pin behind.
        Assert.False(Repository.GetRecord(first.Cid)!.Pinned);
        writer.Add(MixedTable.Build(6, 20_000, 20_000));
        var put = writer.Finish();

        Assert.All(put.Batches, b => Assert.False(Repository.GetRecord(b.Cid)!.Pinned));
        Assert.Equal(pin, Repository.GetRecord(put.Table.Cid)!.Pinned);
        var blocks = TableBlocks.Read(_content, put.Table.Cid).Blocks;
        var after = Repository.GcListed();
        // Unpinned, the whole table goes: its chunks and its manifest.
        Assert.Equal(pin ? [] : blocks.Select(b => b.Cid).ToHashSet(), after.RemovedRecords.ToHashSet());
    }

    [Fact]
    public async Task Writers_running_beside_a_collector_loop_lose_no_block_of_a_finished_dataset()
    {
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Repository.GcListed();
            }
        });

        var puts = new List<PutStreamResult>();
        for (int put = 0; put < 6; put++)
        {
            using var writer = _content.CreateTableWriter(SampleBatches.Schema, new PutOptions { Pin = put % 2 == 0, Name = put % 3 == 0 ? $"loop/{put}" : null });
            for (int seed = 0; seed < 5; seed++)
            {
                writer.Add(SampleBatches.Build((put * 10) + seed, 8));
            }

            puts.Add(writer.Finish());
        }

        stop.Cancel();
        await collector;

        // Pinned or named datasets keep every batch; the rest may or may not have been collected since, but never partly.
        foreach (var (put, index) in puts.Select((p, i) => (p, i)))
        {
            bool kept = index % 2 == 0 || index % 3 == 0;
            if (kept || Repository.GetRecord(put.Table.Cid) is not null)
            {
                Assert.All(put.Batches, b => Assert.True(Repository.Blocks.Has(b.Cid)));
            }
        }

        var report = Repository.Verify();
        Assert.Empty(report.MissingBlocks);
        Assert.Empty(report.CorruptBlocks);
    }

    [Fact]
    public void Disposing_without_Finish_releases_the_pins_so_gc_collects_what_was_stored()
    {
        StoredBatch first;
        using (var writer = _content.CreateTableWriter(ChunkedTables.Schema, new PutOptions { Name = "abandoned" }))
        {
            first = writer.Add(MixedTable.Build(7, 0, 20_000))[0];
            writer.Add(MixedTable.Build(7, 20_000, 5));
        }

        Assert.All(Repository.Registry.ListCids(), cid => Assert.False(Repository.GetRecord(cid)!.Pinned));
        Assert.Null(Repository.Registry.FindVersion("abandoned", 1));
        var collected = Repository.GcListed();
        Assert.Contains(first.Cid, collected.RemovedRecords);
        Assert.Empty(Repository.Blocks.Enumerate());
    }

    [Fact]
    public void A_pin_set_before_the_put_stays_after_the_writer_releases_its_own()
    {
        using var batch = SampleBatches.Build(3, 9);
        var pinned = _content.PutBatch(batch);
        Assert.True(Repository.GetRecord(pinned.Cid)!.Pinned);

        using (var writer = _content.CreateTableWriter(SampleBatches.Schema, new PutOptions { Pin = false }))
        {
            writer.Add(batch);
            writer.Add(SampleBatches.Build(4, 9));
            writer.Finish();
        }

        Assert.True(Repository.GetRecord(pinned.Cid)!.Pinned);
    }

    [Fact]
    public void A_put_reads_each_buffer_of_a_batch_as_often_as_naming_it_does_one_normalisation_one_hashing_and_one_encoding()
    {
        var (values, schema, batch) = CountedIds(4096, 3);
        using var owned = batch;

        var named = values.Reads(() => ContentRepository.ComputeCid(batch));
        var single = values.Reads(() => _content.PutBatch(batch));
        var namedTable = values.Reads(() => ContentRepository.ComputeCids(schema, [batch]));
        using var writer = _content.CreateTableWriter(schema);
        var added = values.Reads(() =>
        {
            writer.Add(batch);
            writer.Finish();
        });

        Assert.True(named >= 1, "naming a batch reads its values at least once, to encode them");
        Assert.Equal(named, single);
        // Chunking reads the values to hash rows and to keep the rows after the last cut; a put reads them no more than naming the table does.
        Assert.True(namedTable >= named);
        Assert.Equal(namedTable, added);
    }

    [Fact]
    public void AddInPlace_of_a_one_batch_table_copies_no_row_as_a_whole_put_does_and_names_the_same_table()
    {
        var (values, schema, batch) = CountedIds(100, 7);
        using var owned = batch;

        PutStreamResult? whole = null, copied = null, inPlace = null;
        int wholeReads = values.Reads(() => whole = _content.PutStream(schema, [batch]));
        using (var writer = _content.CreateTableWriter(schema))
        {
            int adding = values.Reads(() => writer.Add(batch));
            int finishing = values.Reads(() => copied = writer.Finish());
            // Add copies the rows after the last cut (all of them here): Finish encodes the copy, not the batch.
            Assert.Equal(0, finishing);
            Assert.True(adding > 0);
        }

        using (var writer = _content.CreateTableWriter(schema))
        {
            int adding = values.Reads(() => writer.AddInPlace(batch));
            int finishing = values.Reads(() => inPlace = writer.Finish());
            // In place, Finish encodes the batch itself: no pass over the rows to copy them.
            Assert.True(finishing > 0, "Finish encodes the rows held in place");
            Assert.Equal(wholeReads, adding + finishing);
        }

        Assert.Equal(whole!.Table, inPlace!.Table);
        Assert.Equal(whole.Batches, inPlace.Batches);
        Assert.Equal(copied!.Table, inPlace.Table);
    }

    [Fact]
    public void Batches_added_in_place_may_be_overwritten_once_Detach_returns_and_the_table_is_the_one_Add_puts()
    {
        var batches = ChunkedTables.Rows(5, 0, ChunkedTables.SeveralChunks).ToArray();
        var expected = ContentRepository.ComputeCids(ChunkedTables.Schema, batches);
        using var writer = _content.CreateTableWriter(ChunkedTables.Schema);
        var completed = new List<StoredBatch>();
        byte[]? previous = null;
        foreach (var source in batches)
        {
            // Each batch lies in an IPC stream of its own, read in place: its rows are that array's bytes.
            byte[] stream = IpcStreamOf(source);
            using var reader = new ArrowCid.Arrow.Ipc.ArrowStreamReader(stream);
            var batch = reader.ReadNext()!;
            if (previous is not null)
            {
                writer.Detach();
                // What the writer held of the previous batch is its own now: the batch's memory may be reused.
                Array.Fill(previous, (byte)0xA5);
            }

            completed.AddRange(writer.AddInPlace(batch));
            previous = stream;
        }

        var put = writer.Finish();

        Assert.Equal(expected.Table, put.Table);
        Assert.Equal(expected.Batches, put.Batches);
        Assert.Equal(put.Batches.Take(completed.Count), completed);
    }

    // A batch of one non-null int64 column, ids[i] = i * step, over memory that counts its reads.
    private static (CountingMemory Values, Schema Schema, RecordBatch Batch) CountedIds(int rows, long step)
    {
        var values = new CountingMemory(rows * sizeof(long));
        var ids = MemoryMarshal.Cast<byte, long>(values.Array.AsSpan());
        for (int i = 0; i < rows; i++)
        {
            ids[i] = i * step;
        }

        var schema = new Schema([new Field("id", ArrowType.Int64, nullable: false)]);
        return (values, schema, new RecordBatch(schema, rows, [new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, values.Memory])]));
    }

    private static byte[] IpcStreamOf(RecordBatch batch)
    {
        using var buffer = new MemoryStream();
        using (var writer = new ArrowCid.Arrow.Ipc.ArrowStreamWriter(buffer, batch.Schema, leaveOpen: true))
        {
            writer.Write(batch);
            writer.Finish();
        }

        return buffer.ToArray();
    }

    /// <summary>Memory that counts how often its bytes are reached as a span: once per pass over them.</summary>
    private sealed class CountingMemory(int length) : MemoryManager<byte>
    {
        private int _reads;

        public byte[] Array { get; } = new byte[length];

        public int Reads(Action action)
        {
            int before = _reads;
            action();
            return _reads - before;
        }

        public override Span<byte> GetSpan()
        {
            _reads++;
            return Array;
        }

        // Nothing on the put path pins body memory (it is read as spans); if that changed, this says so loudly.
        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException("the test memory counts span reads only");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
