using System.Runtime.InteropServices;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.TestSupport;
using FsCheck;
using FsCheck.Fluent;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>Puts are chunked by content: batching does not change what is stored, edits share all but a few chunks, and the writer owns what it holds.</summary>
public sealed class ChunkedPutTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private ContentRepository NewRepository() => ContentRepository.Open(Path.Combine(_temp.Path, Guid.NewGuid().ToString("N")));

    [Fact]
    public void The_same_rows_put_as_one_batch_seven_batches_or_many_give_one_table_cid_and_the_same_stored_blocks()
    {
        var tables =
            from seed in Gen.Choose(0, int.MaxValue)
            from rows in Gen.Choose(15_000, 40_000)
            from cuts in Gen.ArrayOf(Gen.Choose(1, rows - 1), 6)
            from sizes in Gen.ArrayOf(Gen.Choose(1, 1_500), 80)
            select (Seed: (ulong)seed, Rows: rows, Seven: cuts, Many: sizes);

        Prop.ForAll(tables.ToArbitrary(), table =>
        {
            var one = new[] { MixedTable.Build(table.Seed, 0, table.Rows) };
            var seven = Split(table.Seed, table.Rows, [0, .. table.Seven.Order().Distinct(), table.Rows]);
            var many = Split(table.Seed, table.Rows, Offsets(table.Many, table.Rows));
            var puts = new[] { one, seven, many }.Select(batches =>
            {
                using var content = NewRepository();
                var put = content.PutStream(MixedTable.Schema, batches);
                return (put.Table.Cid, Blocks: content.Repository.Blocks.Enumerate().Select(c => (c, content.Repository.GetRecord(c)!.Kind)).OrderBy(b => b.c.ToString(), StringComparer.Ordinal).ToArray());
            }).ToArray();

            return puts.All(p => p.Cid == puts[0].Cid && p.Blocks.SequenceEqual(puts[0].Blocks)) && puts[0].Blocks.Length > 2;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3));
    }

    [Theory]
    [InlineData("append")]
    [InlineData("insert")]
    [InlineData("delete")]
    [InlineData("update")]
    public void An_edit_of_a_few_contiguous_rows_shares_all_but_a_few_chunks_with_the_table_before_it(string edit)
    {
        const long rows = 60_000;
        const long middle = 30_000;
        const long k = 100;
        using var content = NewRepository();
        var before = content.PutStream(MixedTable.Schema, ChunkedTables.Rows(11, 0, rows));
        var after = content.PutStream(MixedTable.Schema, edit switch
        {
            "append" => ChunkedTables.Ranges((11, 0, rows), (11, rows, k)),
            "insert" => ChunkedTables.Ranges((11, 0, middle), (12, 0, k), (11, middle, rows - middle)),
            "delete" => ChunkedTables.Ranges((11, 0, middle), (11, middle + k, rows - middle - k)),
            _ => ChunkedTables.Ranges((11, 0, middle), (12, 0, k), (11, middle + k, rows - middle - k)),
        });

        var difference = TableDifference.Between(TableBlocks.Read(content, before.Table.Cid), TableBlocks.Read(content, after.Table.Cid));

        Assert.NotEqual(before.Table.Cid, after.Table.Cid);
        Assert.True(before.Batches.Count >= 6, $"{before.Batches.Count} chunks");
        var newChunks = difference.NewBlocks.Where(b => b.Cid.Codec == Multicodec.Raw).ToList();
        var newNodes = difference.NewBlocks.Where(b => b.Cid.Codec == Multicodec.DagCbor).ToList();
        Assert.InRange(newChunks.Count, 1, 3);
        Assert.Equal(content.OpenTable(after.Table.Cid).Height, newNodes.Count);
        Assert.InRange(difference.RemovedBlocks.Count(b => b.Cid.Codec == Multicodec.Raw), 0, 3);
        Assert.True(difference.SharedBlocks.Count >= before.Batches.Count - 3);
        Assert.True(difference.NewBytes < difference.To.Bytes / 2);
    }

    [Fact]
    public void A_caller_that_overwrites_its_batch_memory_right_after_Add_still_gets_its_rows()
    {
        // Int64 rows are 8 nominal bytes: 100,000 of them complete a few chunks and leave rows held for the next.
        const int rows = 100_000;
        var schema = new Schema([new Field("id", ArrowType.Int64, nullable: false)]);
        var values = new byte[rows * sizeof(long)];
        var original = MemoryMarshal.Cast<byte, long>(values.AsSpan());
        for (int i = 0; i < rows; i++)
        {
            original[i] = (i * 7919L) ^ (i >> 3);
        }

        var expected = original.ToArray();
        using var content = NewRepository();
        PutStreamResult put;
        using (var writer = content.CreateTableWriter(schema))
        {
            using (var batch = new RecordBatch(schema, rows, [new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, values])]))
            {
                Assert.NotEmpty(writer.Add(batch));
            }

            // The producer reuses its buffer for the next batch.
            values.AsSpan().Fill(0xAB);
            put = writer.Finish();
        }

        using var copy = new RecordBatch(schema, rows, [new ArrayData(ArrowType.Int64, rows, 0, 0, [ReadOnlyMemory<byte>.Empty, MemoryMarshal.AsBytes(expected.AsSpan()).ToArray()])]);
        Assert.Equal(ContentRepository.ComputeCids(schema, [copy]).Table.Cid, put.Table.Cid);
        var read = new List<long>();
        foreach (var chunk in content.ReadBatches(put.Table.Cid))
        {
            using (chunk)
            {
                read.AddRange(chunk.Column(0).GetValues<long>()[..chunk.Length].ToArray());
            }
        }

        Assert.Equal(expected, read);
    }

    private static RecordBatch[] Split(ulong seed, int rows, int[] offsets) =>
        [.. offsets.Zip(offsets.Skip(1)).Where(p => p.Second > p.First).Select(p => MixedTable.Build(seed, p.First, p.Second - p.First))];

    private static int[] Offsets(int[] sizes, int rows)
    {
        var offsets = new List<int> { 0 };
        for (int i = 0, at = sizes[0]; at < rows; i++, at += sizes[i % sizes.Length])
        {
            offsets.Add(at);
        }

        offsets.Add(rows);
        return [.. offsets];
    }
}

/// <summary>A table whose manifest tree has two levels, put once under a name without a pin.</summary>
public sealed class TwoLevelTableFixture : IDisposable
{
    private readonly TempDirectory _temp = new();

    public TwoLevelTableFixture()
    {
        Content = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));
        Put = Content.PutStream(MixedTable.Schema, ChunkedTables.Rows(ChunkedTables.TwoLevelSeed, 0, ChunkedTables.TwoLevelRows, 50_000), new PutOptions { Name = "two/levels", Pin = false });
    }

    public ContentRepository Content { get; }

    public PutStreamResult Put { get; }

    public TempDirectory Temp => _temp;

    public void Dispose()
    {
        Content.Dispose();
        _temp.Dispose();
    }
}

/// <summary>A two-level table: GC keeps every node and chunk a name keeps; CAR export and import move the whole tree; a missing node is an incomplete table.</summary>
public sealed class TwoLevelTableTests(TwoLevelTableFixture fixture) : IClassFixture<TwoLevelTableFixture>
{
    private ContentRepository Content => fixture.Content;

    private Cid Root => fixture.Put.Table.Cid;

    [Fact]
    public void Gc_after_a_named_put_keeps_every_node_and_chunk_of_the_tree()
    {
        var table = Content.OpenTable(Root);
        var nodes = table.Nodes().ToList();
        var chunks = table.Chunks().Select(c => c.Cid).ToList();
        Assert.Equal(2, table.Height);
        Assert.Equal(66, chunks.Count);
        Assert.True(nodes.Count >= 3, $"{nodes.Count} nodes");

        var collected = Content.Repository.GcListed();

        Assert.Empty(collected.RemovedRecords);
        Assert.Empty(collected.RemovedOrphans);
        Assert.All(nodes.Concat(chunks), cid => Assert.True(Content.Repository.Blocks.Has(cid), $"{cid} kept"));
        Assert.Equal(BlockKind.Dataset, Content.Repository.GetRecord(Root)!.Kind);
        Assert.All(nodes.Skip(1), cid => Assert.Equal(BlockKind.TableNode, Content.Repository.GetRecord(cid)!.Kind));
        Assert.False(Content.IsManifest(nodes[1]));
        Assert.True(Content.IsManifest(Root));
        Assert.Equal(ChunkedTables.TwoLevelRows, Content.ReadBatches(Root).Sum(b =>
        {
            using (b)
            {
                return b.Length;
            }
        }));
    }

    [Fact]
    public void A_car_of_the_tree_is_depth_first_each_block_at_most_one_mib_and_a_strict_import_takes_it_whole()
    {
        var table = Content.OpenTable(Root);
        var nodes = table.Nodes().ToList();
        var chunks = table.Chunks().Select(c => c.Cid).ToList();
        using var car = new MemoryStream();

        var report = Content.ExportCar([Root], car);

        car.Position = 0;
        var blocks = ArrowCid.Content.Car.CarReader.Open(car).ReadBlocks().ToList();
        // Depth first, the gateway's order=dfs: the root, then each node followed by what it links,
        // so the chunks come in row order.
        Assert.Equal(Root, blocks[0].Cid);
        Assert.Equal(CarBlockOrder.DepthFirst(Content, Root), blocks.Select(b => b.Cid));
        Assert.Equal(nodes.ToHashSet(), blocks.Select(b => b.Cid).Where(c => c.Codec == Multicodec.DagCbor).ToHashSet());
        Assert.Equal(chunks, blocks.Select(b => b.Cid).Where(c => c.Codec == Multicodec.Raw));
        Assert.Equal(blocks.Count, report.Blocks);
        Assert.All(blocks, b => Assert.True(b.Data.Length <= 1_048_576, $"{b.Cid} is {b.Data.Length} bytes"));

        using var target = ContentRepository.Open(Path.Combine(fixture.Temp.Path, Guid.NewGuid().ToString("N")));
        car.Position = 0;
        var imported = target.ImportCar(car, strict: true);

        Assert.True(imported.IsComplete);
        Assert.Equal([Root], imported.Datasets);
        Assert.Equal(nodes.Count - 1, imported.CountOf(ImportedBlockKind.TableNode));
        Assert.Equal(chunks.Count, imported.CountOf(ImportedBlockKind.Batch));
        // Nodes are registered before the root that links them.
        Assert.Equal(Root, imported.Blocks[^1].Cid);
        Assert.Equal(TableBlocks.Read(Content, Root).Blocks, TableBlocks.Read(target, Root).Blocks);
        Assert.True(target.Repository.GetRecord(Root)!.Pinned);
        Assert.Empty(target.Repository.GcListed().RemovedRecords);
    }

    [Fact]
    public async Task A_copy_of_the_tree_fetches_each_node_and_chunk_once_and_registers_each_as_what_it_is()
    {
        using var target = ContentRepository.Open(Path.Combine(fixture.Temp.Path, Guid.NewGuid().ToString("N")));
        var fetched = new List<Cid>();

        var copy = await TableCopy.CopyAsync(target, Root, (cid, _) =>
        {
            fetched.Add(cid);
            return Task.FromResult(Content.GetBytes(cid));
        });

        var blocks = TableBlocks.Read(Content, Root);
        Assert.Equal(blocks.Blocks, copy.Table.Blocks);
        Assert.Equal(blocks.Bytes, copy.BytesTransferred);
        // Each block fetched once: nodes during the walk, chunks after it.
        Assert.Equal(blocks.Blocks.Count, fetched.Count);
        Assert.Equal(blocks.Blocks.Select(b => b.Cid).ToHashSet(), fetched.ToHashSet());
        var nodes = Content.OpenTable(Root).Nodes().ToList();
        Assert.All(nodes.Skip(1), n => Assert.Equal(BlockKind.TableNode, target.Repository.GetRecord(n)!.Kind));
        Assert.Equal(BlockKind.Dataset, target.Repository.GetRecord(Root)!.Kind);
        Assert.Equal(ChunkedTables.TwoLevelRows, target.OpenTable(Root).Chunks().Sum(c => c.Rows));
    }

    [Fact]
    public void A_tree_missing_a_node_is_not_a_complete_dataset_strict_refuses_it_and_a_lenient_import_keeps_it_as_plain_dag_cbor()
    {
        var nodes = Content.OpenTable(Root).Nodes().ToList();
        var missing = nodes[1];
        using var car = new MemoryStream();
        var writer = new ArrowCid.Content.Car.CarV1Writer(car, [Root]);
        foreach (var block in TableBlocks.Read(Content, Root).Blocks.Where(b => b.Cid != missing))
        {
            writer.WriteBlock(block.Cid, Content.GetBytes(block.Cid).Span);
        }

        using var strictTarget = ContentRepository.Open(Path.Combine(fixture.Temp.Path, Guid.NewGuid().ToString("N")));
        car.Position = 0;
        var strict = strictTarget.ImportCar(car, strict: true);
        using var lenientTarget = ContentRepository.Open(Path.Combine(fixture.Temp.Path, Guid.NewGuid().ToString("N")));
        car.Position = 0;
        var lenient = lenientTarget.ImportCar(car);

        Assert.Empty(strict.Datasets);
        var refusedRoot = Assert.Single(strict.Refused, r => r.Cid == Root);
        Assert.Contains(missing.ToString(), refusedRoot.Reason, StringComparison.Ordinal);
        // The other node is linked by no complete table: strict refuses it too.
        Assert.All(nodes.Skip(2), n => Assert.Contains(strict.Refused, r => r.Cid == n));
        Assert.Null(strictTarget.Repository.GetRecord(Root));

        Assert.Empty(lenient.Datasets);
        Assert.Equal(BlockKind.Foreign, lenientTarget.Repository.GetRecord(Root)!.Kind);
        Assert.False(lenientTarget.IsManifest(Root));
        Assert.All(nodes.Skip(2), n => Assert.Equal(BlockKind.TableNode, lenientTarget.Repository.GetRecord(n)!.Kind));
    }
}
