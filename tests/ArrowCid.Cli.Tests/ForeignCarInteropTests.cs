using ArrowCid.Arrow.Arrays;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.Grpc;
using ArrowCid.TestSupport;
using Xunit.Abstractions;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Content from the rest of the IPFS world: interop/node/test/foreign-car.test.mjs writes three
/// Arrow IPC streams with apache-arrow (none canonical) under a DAG-CBOR root of another shape,
/// in a CAR written by @ipld/car; <c>arrowcid import car</c> stores all four blocks, counts them
/// per kind, and <c>get</c>, <c>export car</c> and a Flight node serve them back byte for byte.
/// </summary>
[Trait("Category", "Peers")]
public sealed class ForeignCarInteropTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    [Fact]
    public async Task A_car_written_by_ipld_car_and_apache_arrow_is_imported_whole_and_served_back()
    {
        if (NodeInteropRunner.Unavailable("@ipld/car", "@ipld/dag-cbor", "multiformats", "apache-arrow") is { } why)
        {
            // CI installs every peer, so there a missing one is a failure; elsewhere say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string fixtures = _temp.File("fixtures");
        var node = await NodeInteropRunner.RunTestAsync(Path.Combine("test", "foreign-car.test.mjs"), fixtures, TimeSpan.FromMinutes(2));
        output.WriteLine(node.Log);
        Assert.True(node.ExitCode == 0 && node.Failed == 0 && node.Passed == 1, node.Log);
        var written = JsonNode.Parse(File.ReadAllText(Path.Combine(fixtures, "foreign.json")))!;
        string root = written["root"]!.GetValue<string>();
        var streams = written["streams"]!.AsArray().Select(s => (Cid: s!["cid"]!.GetValue<string>(), File: Path.Combine(fixtures, s["file"]!.GetValue<string>()), Rows: s["rows"]!.GetValue<long>())).ToArray();
        string car = Path.Combine(fixtures, "foreign.car");

        // Today's refusal stays behind --strict.
        var strict = CliRun.Run("--repo", _temp.File("strict"), "import", "car", car, "--strict", "--json");
        Assert.Equal(1, strict.ExitCode);
        Assert.Equal(4, JsonNode.Parse(strict.Out)!["counts"]!["refused"]!.GetValue<int>());

        var import = InRepo("import", "car", car, "--json");
        Assert.True(import.ExitCode == 0, import.Error);
        var report = JsonNode.Parse(import.Out)!;
        var counts = report["counts"]!;
        Assert.Equal(3, counts["arrow-stream"]!.GetValue<int>());
        Assert.Equal(1, counts["dag-cbor"]!.GetValue<int>());
        foreach (string none in new[] { "batch", "table", "raw", "dag-pb", "other", "refused" })
        {
            Assert.Equal(0, counts[none]!.GetValue<int>());
        }

        var blocks = report["blocks"]!.AsArray();
        Assert.Equal(4, blocks.Count);
        var rootBlock = blocks.Single(b => b!["cid"]!.GetValue<string>() == root)!;
        Assert.Equal(3, rootBlock["links"]!.GetValue<int>());

        foreach (var (cid, file, rows) in streams)
        {
            var block = blocks.Single(b => b!["cid"]!.GetValue<string>() == cid)!;
            Assert.Equal("arrow-stream", block["kind"]!.GetValue<string>());
            Assert.Equal(rows, block["rows"]!.GetValue<long>());

            // Served back byte for byte.
            string back = _temp.File(cid + ".arrows");
            Assert.Equal(0, InRepo("get", cid, "-o", back).ExitCode);
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(back));

            // `cid` of those bytes gives the CID of their canonical form: the rows as one chunk (they are few).
            string tableCid = Table(CliRun.Run("cid", back));
            Assert.Equal(CanonicalCidOf(file), tableCid);
            Assert.Equal(tableCid, block["canonical"]!["table"]!.GetValue<string>());
            Assert.Equal([tableCid], block["canonical"]!["chunks"]!.AsArray().Select(b => b!.GetValue<string>()).ToArray());
        }

        string rootBack = _temp.File("root.cbor");
        Assert.Equal(0, InRepo("get", root, "-o", rootBack).ExitCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fixtures, "root.cbor")), File.ReadAllBytes(rootBack));
        Assert.Contains("kind: foreign", InRepo("info", root).Out, StringComparison.Ordinal);

        // The root's DAG goes out as @ipld/car wrote it: same order, same bytes.
        string exported = _temp.File("back.car");
        Assert.Equal(0, InRepo("export", "car", root, "-o", exported).ExitCode);
        Assert.Equal(File.ReadAllBytes(car), File.ReadAllBytes(exported));

        await ServedByFlightAsync(root, streams.Select(s => (Cid.Parse(s.Cid), s.File, s.Rows)).ToArray());
    }

    private async Task ServedByFlightAsync(string root, (Cid Cid, string File, long Rows)[] streams)
    {
        using var content = Repository.ContentRepository.Open(Repo);
        await using var node = await Flight.Hosting.FlightNode.StartAsync(content, new Flight.Hosting.FlightNodeOptions());
        using var client = new Flight.Client.FlightClient(node.Location);
        foreach (var (cid, file, rows) in streams)
        {
            // DoGet sends the stream's messages as stored; written back with the end-of-stream marker they are the block.
            Assert.Equal(File.ReadAllBytes(file), await client.GetStreamBytesAsync(cid));
            Assert.Equal(rows, (await client.GetInfoAsync(cid)).TotalRecords);
        }

        var rootCid = Cid.Parse(root);
        var refused = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var unused in client.GetRawAsync(rootCid))
            {
            }
        });
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("foreign", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(Cid.ForDagCbor(await client.GetBlockAsync(rootCid)), rootCid);
    }

    // The batch CIDs of a stream's canonical form: each batch read with our reader and canonically encoded.
    // The stream's rows canonically re-encoded as one batch (few rows make one chunk).
    private static string CanonicalCidOf(string file)
    {
        using var reader = new ArrowStreamReader(File.ReadAllBytes(file));
        var batches = new List<RecordBatch>();
        while (reader.ReadNext() is { } batch)
        {
            batches.Add(batch);
        }

        var columns = Enumerable.Range(0, reader.Schema.Fields.Length).Select(c => ArrayConcatenation.Concatenate(batches.Select(b => b.Column(c)).ToList())).ToArray();
        using var all = new RecordBatch(reader.Schema, batches.Sum(b => b.Length), columns);
        batches.ForEach(b => b.Dispose());
        return Cid.ForRaw(CanonicalEncoder.Encode(all)).ToString();
    }
}
