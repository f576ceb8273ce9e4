using System.Buffers.Binary;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Car;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;

using ArrowCid.Registry;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>
/// CAR imports of content from elsewhere, on hand-built CARs: every block whose hash verifies is
/// stored and counted by kind (Arrow streams described, foreign DAG nodes with their links), an
/// unknown hash function is refused block by block, and GC, verify, get and export treat the
/// foreign blocks by the same pin rules as batches and datasets.
/// </summary>
public sealed class ForeignImportTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ContentRepository _repository;

    public ForeignImportTests() => _repository = ContentRepository.Open(Path.Combine(_temp.Path, "repo"));

    public void Dispose()
    {
        _repository.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Every_verified_block_is_stored_and_counted_by_kind()
    {
        var car = new ForeignCar();
        var batch = car.Batch(SampleBatches.Build(1, 4));
        var (manifest, manifestBatches) = car.Dataset(SampleBatches.Several(2));
        var stream = car.Raw(TwoBatchStream());
        var text = car.Raw("not arrow at all"u8.ToArray());
        var cbor = car.DagCbor(DagNode.MapOf(("name", DagNode.Of("sensors")), ("parts", DagNode.ListOf(DagNode.Of(stream), DagNode.Of(text))), ("size", DagNode.Of(7L))));
        var pb = car.DagPb(DagPbNode(text, "data"u8));
        var json = car.Block(0x0129, "{\"a\":1}"u8.ToArray());
        var incomplete = car.DagCbor(DagCborNodeOfManifestLinking(Cid.ForRaw("absent batch"u8)));

        var report = _repository.ImportCar(car.Open([cbor, pb]));

        Assert.Empty(report.Refused);
        Assert.Empty(report.MissingRoots);

        // The manifest whose batch is absent is kept, but reported: the import is not complete.
        var stranded = Assert.Single(report.Incomplete);
        Assert.Equal(incomplete, stranded.Root);
        Assert.Equal(Cid.ForRaw("absent batch"u8), stranded.Missing);
        Assert.False(report.IsComplete);
        Assert.Equal(10, report.BlocksRead);
        Assert.Equal(10, report.Blocks.Count);
        Assert.Equal([batch, .. manifestBatches], report.Batches);
        Assert.Equal([manifest], report.Datasets);
        Assert.Equal(1 + manifestBatches.Length, report.CountOf(ImportedBlockKind.Batch));
        Assert.Equal(1, report.CountOf(ImportedBlockKind.ArrowStream));
        Assert.Equal(1, report.CountOf(ImportedBlockKind.Raw));
        Assert.Equal(2, report.CountOf(ImportedBlockKind.DagCbor));
        Assert.Equal(1, report.CountOf(ImportedBlockKind.DagPb));
        Assert.Equal(1, report.CountOf(ImportedBlockKind.Other));

        var streamRecord = _repository.Repository.GetRecord(stream)!;
        Assert.Equal(BlockKind.ArrowStream, streamRecord.Kind);
        Assert.Equal(2 * 6, streamRecord.Rows);
        Assert.NotNull(streamRecord.Schema);
        var described = report.Blocks.Single(b => b.Cid == stream);
        Assert.Contains("more than one record batch", described.Note, StringComparison.Ordinal);
        // Its canonical form: what put and cid give the same rows.
        var canonical = ContentRepository.ComputeCids(SampleBatches.Schema, [SampleBatches.Build(70, 6), SampleBatches.Build(71, 6)]);
        Assert.Equal(canonical.Table, described.Canonical!.Table);
        Assert.Equal(canonical.Batches, described.Canonical.Batches);

        Assert.Equal(BlockKind.Foreign, _repository.Repository.GetRecord(text)!.Kind);
        Assert.Equal([stream, text], _repository.Repository.GetRecord(cbor)!.Links);
        Assert.Equal([text], _repository.Repository.GetRecord(pb)!.Links);
        Assert.Equal(2, report.Blocks.Single(b => b.Cid == cbor).Links);
        Assert.Equal(BlockKind.Foreign, _repository.Repository.GetRecord(json)!.Kind);
        Assert.Contains("neither in the CAR nor in the repository", report.Blocks.Single(b => b.Cid == incomplete).Note, StringComparison.Ordinal);
        Assert.Equal(BlockKind.Foreign, _repository.Repository.GetRecord(incomplete)!.Kind);

        foreach (var (cid, bytes) in car.Blocks)
        {
            Assert.Equal(bytes, _repository.GetBytes(cid).ToArray());
            using var written = new MemoryStream();
            if (cid == incomplete)
            {
                // A table manifest kept without its batch is not written out as its bytes, nor as a table.
                var refused = Assert.Throws<ArrowCid.Content.IncompleteTableException>(() => _repository.WriteTable(cid, written));
                Assert.Equal(Cid.ForRaw("absent batch"u8), refused.Missing);
                Assert.Equal(0, written.Length);
            }
            else if (cid != manifest)
            {
                // `get`: any block other than a dataset goes out byte for byte.
                _repository.WriteTable(cid, written);
                Assert.Equal(bytes, written.ToArray());
            }
        }

        // The Arrow stream reads back as its two batches.
        var read = _repository.ReadBatches(stream).ToList();
        Assert.Equal([6, 6], read.Select(b => b.Length));
        read.ForEach(b => b.Dispose());
    }

    [Fact]
    public void Strict_import_keeps_todays_refusals()
    {
        var car = new ForeignCar();
        var batch = car.Batch(SampleBatches.Build(2, 3));
        var stream = car.Raw(TwoBatchStream());
        var pb = car.DagPb(DagPbNode(stream, "x"u8));

        var report = _repository.ImportCar(car.Open([batch]), strict: true);

        Assert.Equal([batch], report.Batches);
        Assert.Equal([stream, pb], report.Refused.Select(r => r.Cid));
        Assert.Contains("not a canonical Arrow batch", report.Refused[0].Reason, StringComparison.Ordinal);
        Assert.Contains("neither a batch (raw) nor a dataset (dag-cbor)", report.Refused[1].Reason, StringComparison.Ordinal);
        Assert.False(report.IsComplete);
        Assert.False(_repository.Repository.Blocks.Has(stream));
        Assert.False(_repository.Repository.Blocks.Has(pb));
    }

    [Fact]
    public void A_block_named_by_an_unknown_hash_function_is_refused_on_its_own_and_the_import_goes_on()
    {
        var car = new ForeignCar();
        var before = car.Raw("before"u8.ToArray());
        // sha2-512 (0x13): a 64-byte digest this library cannot compute, so the block cannot be verified.
        car.Section([0x01, 0x55, 0x13, 0x40, .. new byte[64], .. "unverifiable"u8]);
        var after = car.Raw("after"u8.ToArray());

        var report = _repository.ImportCar(car.Open([before]));

        Assert.Equal(3, report.BlocksRead);
        Assert.Equal([before, after], report.Blocks.Select(b => b.Cid));
        var refused = Assert.Single(report.Unverifiable);
        Assert.Equal("sha2-512", refused.HashFunction);
        Assert.StartsWith("bafk", refused.Cid, StringComparison.Ordinal);
        Assert.False(report.IsComplete);

        // Strict or not: it is never stored.
        Assert.Single(_repository.ImportCar(car.Open([before]), strict: true).Unverifiable);
    }

    [Fact]
    public void A_block_that_does_not_hash_to_its_cid_still_stops_the_import()
    {
        var car = new ForeignCar();
        var raw = car.Raw("hello foreign world"u8.ToArray());
        byte[] bytes = car.Open([raw]).ToArray();
        bytes[^3] ^= 1;

        Assert.Throws<ArrowCid.Content.ContentFormatException>(() => _repository.ImportCar(new MemoryStream(bytes)));
        Assert.False(_repository.Repository.Blocks.Has(raw));
    }

    [Fact]
    public void Gc_keeps_what_a_pinned_foreign_root_links_and_removes_unpinned_foreign_blocks()
    {
        var car = new ForeignCar();
        var leaf = car.Raw("leaf"u8.ToArray());
        var stream = car.Raw(TwoBatchStream());
        var pb = car.DagPb(DagPbNode(leaf, "d"u8));
        var root = car.DagCbor(DagNode.MapOf(("node", DagNode.Of(pb)), ("table", DagNode.Of(stream))));
        var loose = car.Raw("linked by nothing"u8.ToArray());
        Assert.True(_repository.ImportCar(car.Open([root])).IsComplete);

        var first = _repository.Repository.GcListed();
        Assert.Equal([loose], first.RemovedRecords);
        Assert.All(new[] { root, pb, leaf, stream }, cid => Assert.True(_repository.Repository.Blocks.Has(cid)));

        Assert.True(_repository.Repository.Unpin(root));
        var second = _repository.Repository.GcListed();
        Assert.Equal(4, second.RemovedRecords.Count);
        Assert.Empty(_repository.Repository.Blocks.Enumerate());
    }

    [Fact]
    public void Verify_rehashes_foreign_blocks_and_repair_reregisters_a_linked_one_by_what_it_is()
    {
        var car = new ForeignCar();
        var stream = car.Raw(TwoBatchStream());
        var text = car.Raw("plain text"u8.ToArray());
        var root = car.DagPb(DagPbNode(stream, "d"u8, text));
        Assert.True(_repository.ImportCar(car.Open([root])).IsComplete);
        Assert.Equal(3, _repository.Repository.Verify().BlocksChecked);

        // Rows lost (a crash between block and row): repair finds what the bytes are.
        _repository.Repository.Registry.Delete(stream);
        _repository.Repository.Registry.Delete(text);
        var repaired = _repository.Repository.Verify(repair: true);
        Assert.Equal(2, repaired.Reregistered.Count);
        Assert.Equal(BlockKind.ArrowStream, _repository.Repository.GetRecord(stream)!.Kind);
        Assert.Equal(12, _repository.Repository.GetRecord(stream)!.Rows);
        Assert.Equal(BlockKind.Foreign, _repository.Repository.GetRecord(text)!.Kind);

        StoredBlocks.Overwrite(_repository.Repository.Blocks, text, "tampered!!"u8.ToArray());
        Assert.Equal([text], _repository.Repository.Verify().CorruptBlocks);
    }

    [Fact]
    public void Export_of_a_foreign_root_writes_its_dag_as_far_as_the_repository_holds_it()
    {
        var car = new ForeignCar();
        var leaf = car.Raw("leaf"u8.ToArray());
        var pb = car.DagPb(DagPbNode(leaf, "d"u8, Cid.ForRaw("never seen here"u8)));
        var root = car.DagCbor(DagNode.MapOf(("node", DagNode.Of(pb))));
        Assert.True(_repository.ImportCar(car.Open([root])).IsComplete);

        using var exported = new MemoryStream();
        var written = _repository.ExportCar([root], exported);

        Assert.Equal(3, written.Blocks);
        exported.Position = 0;
        var reader = CarReader.Open(exported);
        Assert.Equal([root, pb, leaf], reader.ReadBlocks().Select(b => b.Cid));
    }

    // An IPC stream of two record batches: valid Arrow, not a canonical block.
    private static byte[] TwoBatchStream()
    {
        using var output = new MemoryStream();
        using (var writer = new ArrowStreamWriter(output, SampleBatches.Schema, leaveOpen: true))
        {
            writer.Write(SampleBatches.Build(70, 6));
            writer.Write(SampleBatches.Build(71, 6));
            writer.Finish();
        }

        return output.ToArray();
    }

    // A dataset-shaped map whose one batch link points at a block nobody has.
    private static DagNode DagCborNodeOfManifestLinking(Cid missing)
    {
        var put = ContentRepository.ComputeCids(SampleBatches.Schema, [SampleBatches.Build(80, 2)]);
        var manifest = ArrowCid.Content.Datasets.DatasetManifest.Create(SampleBatches.Schema, [new ArrowCid.Content.Datasets.DatasetBatch(missing, 2, put.Batches[0].Bytes)]);
        return DagCborDecoder.DecodeVerified(manifest.Encode().Cid, manifest.Encode().Bytes);
    }

    // PBNode { Links: [PBLink { Hash, Name, Tsize }...], Data } in protobuf form (links first, as dag-pb orders them).
    private static byte[] DagPbNode(Cid link, ReadOnlySpan<byte> data, params Cid[] more)
    {
        var node = new List<byte>();
        foreach (var target in (Cid[])[link, .. more])
        {
            byte[] hash = target.ToBytes();
            var pbLink = new List<byte> { 0x0A };
            pbLink.AddRange(Varint.ToBytes((ulong)hash.Length));
            pbLink.AddRange(hash);
            pbLink.AddRange([0x12, 0x01, (byte)'f', 0x18, 0x2A]);
            node.Add(0x12);
            node.AddRange(Varint.ToBytes((ulong)pbLink.Count));
            node.AddRange(pbLink);
        }

        node.Add(0x0A);
        node.AddRange(Varint.ToBytes((ulong)data.Length));
        node.AddRange(data.ToArray());
        return [.. node];
    }

    /// <summary>Collects sections, then writes a CARv1 of them with the roots given.</summary>
    private sealed class ForeignCar
    {
        private readonly List<byte[]> _sections = [];

        public List<(Cid Cid, byte[] Bytes)> Blocks { get; } = [];

        public Cid Block(ulong codec, byte[] bytes)
        {
            var cid = Cid.CreateV1(codec, Multihash.Sha256(bytes));
            Blocks.Add((cid, bytes));
            Section([.. cid.Bytes, .. bytes]);
            return cid;
        }

        public Cid Raw(byte[] bytes) => Block(Multicodec.Raw, bytes);

        public Cid DagPb(byte[] bytes) => Block(Multicodec.DagPb, bytes);

        public Cid DagCbor(DagNode node) => Block(Multicodec.DagCbor, DagCborEncoder.EncodeBlock(node, out _));

        public Cid Batch(ArrowCid.Arrow.Arrays.RecordBatch batch) => Raw(ArrowCid.Content.Canonical.CanonicalEncoder.Encode(batch));

        public (Cid Manifest, Cid[] Batches) Dataset(IReadOnlyList<ArrowCid.Arrow.Arrays.RecordBatch> batches)
        {
            // A version-1 manifest (one block per batch, as puts made before chunking): still read and imported as a dataset.
            var named = batches.Select(ContentRepository.ComputeCid);
            var manifest = ArrowCid.Content.Datasets.DatasetManifest.Create(SampleBatches.Schema, named.Select(b => new ArrowCid.Content.Datasets.DatasetBatch(b.Cid, b.Rows, b.Bytes)));
            var cids = batches.Select(Batch).ToArray();
            var block = manifest.Encode();
            Blocks.Add((block.Cid, block.Bytes));
            Section([.. block.Cid.Bytes, .. block.Bytes]);
            return (block.Cid, cids);
        }

        public void Section(byte[] section) => _sections.Add(section);

        public MemoryStream Open(Cid[] roots)
        {
            var output = new MemoryStream();
            _ = new CarV1Writer(output, roots);
            foreach (byte[] section in _sections)
            {
                output.Write(Varint.ToBytes((ulong)section.Length));
                output.Write(section);
            }

            output.Position = 0;
            return output;
        }
    }
}
