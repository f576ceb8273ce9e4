using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Printing;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;
using ArrowCid.Registry.Tests.Support;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

using ArrowCid.Registry;

namespace ArrowCid.Repository.Tests.Content;

/// <summary>
/// CARs between the repository and @ipld/car: the node side (interop/node/test/repository-car.test.mjs)
/// reads our CARv1 and CARv2 exports of a version-1 dataset manifest with every hash and root checked, the batches with apache-arrow and
/// the manifests with @ipld/dag-cbor, and writes a CAR of its own that we import afterwards.
/// </summary>
[Trait("Category", "Peers")]
public sealed class RepositoryCarInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Interop_node_reads_our_cars_and_we_import_theirs()
    {
        if (NodeInteropRunner.Unavailable("@ipld/car", "@ipld/dag-cbor", "multiformats", "apache-arrow") is { } why)
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string fixtures = NodeInteropRunner.FixturesDirectory("repository");
        if (Directory.Exists(fixtures))
        {
            Directory.Delete(fixtures, recursive: true);
        }

        Directory.CreateDirectory(fixtures);
        using var source = ContentRepository.Open(Path.Combine(_temp.Path, "source"));
        // A version-1 manifest over three batches, as repositories written before chunking hold:
        // still exported and read (chunked tables' CARs are judged by cli-table.test.mjs).
        var batches = SampleBatches.Several(3);
        var stored = batches.Select(b => source.PutBatch(b)).ToArray();
        var manifest = DatasetManifest.Create(SampleBatches.Schema, stored.Select(b => new DatasetBatch(b.Cid, b.Rows, b.Bytes)));
        var block = manifest.EncodeHashed();
        source.Repository.PutBlock(block, new BlockRecord { Cid = block.Cid, Kind = BlockKind.Dataset, Schema = manifest.Schema.ToString(), Rows = manifest.Rows, Pinned = true });
        var put = new PutStreamResult(stored, new TableResult(block.Cid, manifest.Rows, stored.Length, manifest.Bytes, block.Bytes.Length));
        var extra = source.PutBatch(SampleBatches.Build(40, 6));
        Cid[] roots = [put.Table.Cid, extra.Cid];
        foreach (bool v2 in new[] { false, true })
        {
            using var car = File.Create(Path.Combine(fixtures, v2 ? "export-v2.car" : "export-v1.car"));
            source.ExportCar(roots, car, v2);
        }

        var jsBatches = Enumerable.Range(60, 2).Select(seed => SampleBatches.Build(seed, 8)).ToArray();
        WriteFixtures(fixtures, put, extra, batches.Append(SampleBatches.Build(40, 6)).ToArray(), jsBatches);

        var node = await NodeInteropRunner.RunTestAsync(Path.Combine("test", "repository-car.test.mjs"), fixtures, TimeSpan.FromMinutes(2));
        output.WriteLine(node.Log);
        Assert.True(node.ExitCode == 0 && node.Failed == 0, node.Log);
        Assert.Equal(7, node.Passed);

        using var target = ContentRepository.Open(Path.Combine(_temp.Path, "target"));
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, "js.json")))!;
        CarImportReport report;
        using (var car = File.OpenRead(Path.Combine(fixtures, "js.car")))
        {
            report = target.ImportCar(car);
        }

        var expectedBatches = jsBatches.Select(b => CanonicalEncoder.ComputeCid(b)).ToArray();
        var expectedDataset = DatasetManifest.Create(SampleBatches.Schema, jsBatches.Select(b => ContentRepository.ComputeCid(b)).Select(r => new DatasetBatch(r.Cid, r.Rows, r.Bytes))).Encode().Cid;
        Assert.True(report.IsComplete, string.Join("; ", report.Refused.Select(r => $"{r.Cid}: {r.Reason}")));
        Assert.Equal(expectedBatches, report.Batches);
        Assert.Equal([expectedDataset], report.Datasets);
        Assert.Equal(expectedDataset.ToString(), written["root"]!.GetValue<string>());
        var read = target.ReadBatches(expectedDataset).ToList();
        Assert.All(jsBatches.Zip(read), pair => Assert.True(ArrayEquality.Equals(pair.First, pair.Second, out _)));
        read.ForEach(b => b.Dispose());
    }

    private static void WriteFixtures(string fixtures, PutStreamResult put, StoredBatch extra, RecordBatch[] exportedBatches, RecordBatch[] jsBatches)
    {
        var datasetBatches = put.Batches.Select(b => b.Cid.ToString()).ToArray();
        var expected = new JsonObject
        {
            ["roots"] = new JsonArray(put.Table.Cid.ToString(), extra.Cid.ToString()),
            ["dataset"] = put.Table.Cid.ToString(),
            ["datasetBatches"] = new JsonArray(datasetBatches.Select(c => (JsonNode)c).ToArray()),
            ["order"] = new JsonArray(datasetBatches.Prepend(put.Table.Cid.ToString()).Append(extra.Cid.ToString()).Select(c => (JsonNode)c).ToArray()),
            ["batches"] = new JsonArray(exportedBatches.Select(b => (JsonNode)Values(b)).ToArray()),
        };
        File.WriteAllText(Path.Combine(fixtures, "expected.json"), expected.ToJsonString());

        var names = new JsonArray();
        for (int i = 0; i < jsBatches.Length; i++)
        {
            string name = $"js-batch-{i}.arrows";
            File.WriteAllBytes(Path.Combine(fixtures, name), CanonicalEncoder.Encode(jsBatches[i]));
            names.Add(name);
        }

        var manifest = DatasetManifest.Create(SampleBatches.Schema, jsBatches.Select(ContentRepository.ComputeCid).Select(r => new DatasetBatch(r.Cid, r.Rows, r.Bytes)));
        File.WriteAllBytes(Path.Combine(fixtures, "js-manifest.bin"), manifest.Encode().Bytes);
        File.WriteAllText(Path.Combine(fixtures, "js-input.json"), new JsonObject { ["batches"] = names, ["manifest"] = "js-manifest.bin" }.ToJsonString());
    }

    private static JsonObject Values(RecordBatch batch) => new()
    {
        ["cid"] = CanonicalEncoder.ComputeCid(batch).ToString(),
        ["rows"] = batch.Length,
        ["id"] = Column(batch, 0),
        ["name"] = Column(batch, 1),
        ["color"] = Column(batch, 2),
    };

    private static JsonArray Column(RecordBatch batch, int column) =>
        new(Enumerable.Range(0, batch.Length).Select(i => ArrayPrinter.GetValue(batch.Column(column), i) switch
        {
            null => null,
            long n => (JsonNode)n,
            var value => (JsonNode)value.ToString()!,
        }).ToArray());
}
