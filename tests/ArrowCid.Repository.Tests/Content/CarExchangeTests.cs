using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Repository;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

using ArrowCid.Registry;

namespace ArrowCid.Repository.Tests.Content;

public sealed class CarExchangeTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentRepository _source;
    private readonly ContentRepository _target;

    public CarExchangeTests()
    {
        _source = ContentRepository.Open(Path.Combine(_temp.Path, "source"));
        _target = ContentRepository.Open(Path.Combine(_temp.Path, "target"));
    }

    public void Dispose()
    {
        _source.Dispose();
        _target.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Export_then_import_moves_a_table_between_repositories(bool v2)
    {
        // The first chunk's rows twice, then more: a chunk starts where the last one ended, so the first chunk repeats.
        long firstChunk = ContentRepository.ComputeCids(ChunkedTables.Schema, ChunkedTables.Rows(31, 0, ChunkedTables.SeveralChunks)).Batches[0].Rows;
        var put = _source.PutStream(ChunkedTables.Schema, ChunkedTables.Ranges((31, 0, firstChunk), (31, 0, firstChunk), (31, 0, ChunkedTables.SeveralChunks)));
        using var car = new MemoryStream();

        var exported = _source.ExportCar([put.Table.Cid], car, v2);
        car.Position = 0;
        var imported = _target.ImportCar(car);

        Assert.True(put.Batches.Select(b => b.Cid).Distinct().Count() < put.Batches.Count, "a chunk repeats");
        // The root, its nodes below it, and each distinct chunk once.
        Assert.Equal(_source.OpenTable(put.Table.Cid).Nodes().Count() + put.Batches.Select(b => b.Cid).Distinct().Count(), exported.Blocks);
        Assert.Equal(car.Length, exported.Bytes);
        Assert.True(imported.IsComplete, string.Join("; ", imported.Refused.Select(r => r.Reason)));
        Assert.Equal([put.Table.Cid], imported.Datasets);
        Assert.Equal(put.Batches.Select(b => b.Cid).Distinct(), imported.Batches);
        Assert.True(_target.Repository.GetRecord(put.Table.Cid)!.Pinned);
        Assert.All(imported.Batches, b => Assert.False(_target.Repository.GetRecord(b)!.Pinned));
        using var a = new MemoryStream();
        using var b = new MemoryStream();
        _source.WriteTable(put.Table.Cid, a);
        _target.WriteTable(put.Table.Cid, b);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void Export_writes_the_manifest_before_its_chunks_and_each_block_once()
    {
        var put = _source.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(32, 0, ChunkedTables.SeveralChunks));
        var single = _source.PutBatch(SampleBatches.Build(99, 4));
        using var car = new MemoryStream();

        _source.ExportCar([put.Table.Cid, put.Batches[0].Cid, single.Cid], car);
        car.Position = 0;
        var reader = CarReader.Open(car);

        Assert.Equal([put.Table.Cid, put.Batches[0].Cid, single.Cid], reader.Roots);
        Assert.Equal([put.Table.Cid, .. put.Batches.Select(b => b.Cid), single.Cid], reader.ReadBlocks().Select(x => x.Cid));
    }

    [Fact]
    public void Export_refuses_a_corrupted_block()
    {
        var put = _source.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(33, 0, ChunkedTables.SeveralChunks));
        ContentRepositoryTests.Corrupt(_source.Repository, put.Batches[1].Cid);

        Assert.Throws<BlockCorruptedException>(() => _source.ExportCar([put.Table.Cid], new MemoryStream()));
    }

    [Fact]
    public void Strict_import_refuses_non_canonical_batches_foreign_blocks_and_tables_with_missing_chunks()
    {
        var put = _source.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(34, 0, ChunkedTables.SeveralChunks));
        byte[] manifest = _source.GetBytes(put.Table.Cid).ToArray();
        byte[] notArrow = "not arrow"u8.ToArray();
        byte[] otherCbor = DagCborEncoder.EncodeBlock(DagNode.MapOf(("hello", DagNode.Of("world"))), out var otherCid);
        using var car = new MemoryStream();
        var writer = new CarV1Writer(car, [put.Table.Cid]);
        writer.WriteBlock(put.Table.Cid, manifest);
        writer.WriteBlock(put.Batches[0].Cid, _source.GetBytes(put.Batches[0].Cid).Span);
        var notArrowCid = writer.WriteRawBlock(notArrow);
        writer.WriteBlock(otherCid, otherCbor);
        car.Position = 0;

        var report = _target.ImportCar(car, strict: true);

        Assert.Equal(4, report.BlocksRead);
        Assert.Equal([put.Batches[0].Cid], report.Batches);
        Assert.Empty(report.Datasets);
        Assert.Equal([notArrowCid, otherCid, put.Table.Cid], report.Refused.Select(r => r.Cid));
        Assert.Contains(put.Batches[1].Cid.ToString(), report.Refused[2].Reason, StringComparison.Ordinal);
        Assert.Equal([put.Table.Cid], report.MissingRoots);
        Assert.False(report.IsComplete);
        Assert.False(_target.Repository.Blocks.Has(notArrowCid));
        Assert.False(_target.Repository.GetRecord(put.Batches[0].Cid)!.Pinned);
    }

    [Fact]
    public void Import_takes_a_table_whose_chunks_are_already_in_the_repository()
    {
        var put = _source.PutStream(ChunkedTables.Schema, ChunkedTables.Rows(35, 0, ChunkedTables.SeveralChunks));
        using (var batchesOnly = new MemoryStream())
        {
            _source.ExportCar(put.Batches.Select(b => b.Cid), batchesOnly);
            batchesOnly.Position = 0;
            _target.ImportCar(batchesOnly);
        }

        using var car = new MemoryStream();
        var writer = new CarV1Writer(car, [put.Table.Cid]);
        writer.WriteBlock(put.Table.Cid, _source.GetBytes(put.Table.Cid).Span);
        car.Position = 0;

        var report = _target.ImportCar(car);

        Assert.True(report.IsComplete);
        Assert.Equal([put.Table.Cid], report.Datasets);
    }

    [Fact]
    public void Import_refuses_a_car_whose_block_does_not_hash_to_its_cid()
    {
        var put = _source.PutBatch(SampleBatches.Build(5, 5));
        using var car = new MemoryStream();
        _source.ExportCar([put.Cid], car);
        byte[] bytes = car.ToArray();
        bytes[^30] ^= 1;

        Assert.Throws<ArrowCid.Content.ContentFormatException>(() => _target.ImportCar(new MemoryStream(bytes)));
        Assert.False(_target.Repository.Blocks.Has(put.Cid));
    }
}
