using System.Net;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Service;
using ArrowCid.Grpc;
using ArrowCid.Repository;
using Google.Protobuf;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Versions that share blocks: log's new_bytes, diff, export car --since and flight pull, over
/// three versions of one name built from five batches: v1 = [b0 b1], v2 = [b0 b1 b2] (an append),
/// v3 = [b0 b3 b2] (b1 replaced).
/// </summary>
public sealed class VersionCommandTests : IDisposable
{
    private static readonly Schema Schema = new([new Field("id", ArrowType.Int64, nullable: false), new Field("label", ArrowType.Utf8)]);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    /// <summary>An IPC stream file of the given batches (batch i: 40 + 10 i rows seeded by i).</summary>
    private string StreamOf(string name, params int[] batches)
    {
        string path = _temp.File(name);
        using var file = File.Create(path);
        using var writer = new ArrowStreamWriter(file, Schema);
        foreach (int seed in batches)
        {
            var builder = new RecordBatchBuilder(Schema);
            for (int row = 0; row < 40 + (10 * seed); row++)
            {
                builder.AppendRow((long)((seed * 1000) + row), $"batch {seed} row {row} {new string('x', seed * 3)}");
            }

            using var batch = builder.Build();
            writer.Write(batch);
        }

        writer.Finish();
        return path;
    }

    /// <summary>Puts the three versions; returns each put's JSON object (dataset and batches with their bytes).</summary>
    private JsonNode[] PutThreeVersions(string repo)
    {
        string[] files = [StreamOf("v1.arrows", 0, 1), StreamOf("v2.arrows", 0, 1, 2), StreamOf("v3.arrows", 0, 3, 2)];
        return [.. files.Select(f =>
        {
            var put = CliRun.Run("--repo", repo, "put", f, "--name", "t", "--json");
            Assert.True(put.ExitCode == 0, put.Error);
            return JsonNode.Parse(put.Out)!.AsArray()[0]!;
        })];
    }

    private static long ManifestBytes(JsonNode put) => put["dataset"]!["manifest_bytes"]!.GetValue<long>();

    private static long BatchBytes(JsonNode put, int position) => put["batches"]![position]!["bytes"]!.GetValue<long>();

    private static string BatchCid(JsonNode put, int position) => put["batches"]![position]!["cid"]!.GetValue<string>();

    private static string DatasetCid(JsonNode put) => put["dataset"]!["cid"]!.GetValue<string>();

    /// <summary>A version's manifest and each distinct batch.</summary>
    private static long TotalBytes(JsonNode put) =>
        ManifestBytes(put) + put["batches"]!.AsArray().DistinctBy(b => b!["cid"]!.GetValue<string>()).Sum(b => b!["bytes"]!.GetValue<long>());

    [Fact]
    public void Log_gives_each_version_the_bytes_of_blocks_the_previous_one_lacks()
    {
        var v = PutThreeVersions(Repo);

        var json = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();
        var text = Lines(InRepo("log", "t").Out);

        // Newest first. v1: everything; v2: its manifest and b2; v3: its manifest and b3.
        long[] expected =
        [
            ManifestBytes(v[2]) + BatchBytes(v[2], 1),
            ManifestBytes(v[1]) + BatchBytes(v[1], 2),
            ManifestBytes(v[0]) + BatchBytes(v[0], 0) + BatchBytes(v[0], 1),
        ];
        Assert.Equal(expected, json.Select(e => e!["new_bytes"]!.GetValue<long>()));
        Assert.Equal(BatchCid(v[1], 2), BatchCid(v[2], 2));
        // The NEW column follows BYTES in the text.
        Assert.Equal(expected.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), text.Select(l => l.Split(' ')[4]));
        Assert.StartsWith($"3 {DatasetCid(v[2])} {40 + 70 + 60} {BatchBytes(v[2], 0) + BatchBytes(v[2], 1) + BatchBytes(v[2], 2)} {expected[0]} ", text[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Log_shows_an_unknown_new_size_when_a_version_is_gone()
    {
        var v = PutThreeVersions(Repo);
        using (var content = ContentRepository.Open(Repo))
        {
            Assert.True(content.Repository.Blocks.Delete(Cid.Parse(DatasetCid(v[1]))));
        }

        var json = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();

        // v2 is gone: neither its own new bytes nor v3's (which compare with it) are known; v1's are.
        Assert.Null(json[0]!["new_bytes"]);
        Assert.Null(json[1]!["new_bytes"]);
        Assert.Equal(TotalBytes(v[0]), json[2]!["new_bytes"]!.GetValue<long>());
        Assert.Equal("-", Lines(InRepo("log", "t").Out)[1].Split(' ')[4]);
    }

    [Fact]
    public void Diff_gives_shared_new_and_removed_blocks_and_bytes()
    {
        var v = PutThreeVersions(Repo);

        var result = InRepo("diff", "t@1", DatasetCid(v[2]), "--json");
        var text = InRepo("diff", "t@2", "t");
        var json = JsonNode.Parse(result.Out)!;

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(DatasetCid(v[0]), json["a"]!["cid"]!.GetValue<string>());
        Assert.Equal(TotalBytes(v[0]), json["a"]!["bytes"]!.GetValue<long>());
        Assert.Equal(3, json["a"]!["blocks"]!.GetValue<int>());
        Assert.Equal(4, json["b"]!["blocks"]!.GetValue<int>());
        // v1 = [b0 b1], v3 = [b0 b3 b2]: b0 shared; v3's manifest, b3 and b2 new; v1's manifest and b1 removed.
        Assert.Equal(1, json["shared_blocks"]!.GetValue<int>());
        Assert.Equal(BatchBytes(v[0], 0), json["shared_bytes"]!.GetValue<long>());
        Assert.Equal(3, json["new_blocks"]!.GetValue<int>());
        Assert.Equal(ManifestBytes(v[2]) + BatchBytes(v[2], 1) + BatchBytes(v[2], 2), json["new_bytes"]!.GetValue<long>());
        Assert.Equal(2, json["removed_blocks"]!.GetValue<int>());
        Assert.Equal(ManifestBytes(v[0]) + BatchBytes(v[0], 1), json["removed_bytes"]!.GetValue<long>());
        Assert.Equal([DatasetCid(v[2]), BatchCid(v[2], 1), BatchCid(v[2], 2)], json["new"]!.AsArray().Select(b => b!["cid"]!.GetValue<string>()));
        Assert.Equal([DatasetCid(v[0]), BatchCid(v[0], 1)], json["removed"]!.AsArray().Select(b => b!["cid"]!.GetValue<string>()));

        Assert.Equal(0, text.ExitCode);
        var lines = Lines(text.Out);
        Assert.Contains($"shared 2 blocks {BatchBytes(v[1], 0) + BatchBytes(v[1], 2)} bytes", lines);
        Assert.Contains($"new 2 blocks {ManifestBytes(v[2]) + BatchBytes(v[2], 1)} bytes", lines);
        Assert.Contains($"- {BatchCid(v[1], 1)} {BatchBytes(v[1], 1)}", lines);

        var unknown = InRepo("diff", "t@1", "t@9");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("'t' has versions 1 to 3", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_car_since_a_base_writes_exactly_the_blocks_the_base_lacks()
    {
        var v = PutThreeVersions(Repo);
        string car = _temp.File("delta.car");

        var export = InRepo("export", "car", "t@3", "--since", "t@2", "-o", car);

        Assert.True(export.ExitCode == 0, export.Error);
        using (var file = File.OpenRead(car))
        {
            var reader = CarReader.Open(file);
            Assert.Equal([Cid.Parse(DatasetCid(v[2]))], reader.Roots);
            // Each block hash-checked by the reader; only v3's manifest and b3.
            var blocks = reader.ReadBlocks().Select(b => (b.Cid.ToString(), (long)b.Data.Length)).ToArray();
            Assert.Equal([(DatasetCid(v[2]), ManifestBytes(v[2])), (BatchCid(v[2], 1), BatchBytes(v[2], 1))], blocks);
        }

        // A repository that holds v2 completes v3 from the delta alone.
        string other = _temp.File("other");
        Assert.Equal(0, CliRun.Run("--repo", other, "put", _temp.File("v2.arrows")).ExitCode);
        var import = CliRun.Run("--repo", other, "import", "car", car);
        Assert.True(import.ExitCode == 0, import.Error);
        string back = _temp.File("v3-back.arrows");
        Assert.Equal(0, CliRun.Run("--repo", other, "get", DatasetCid(v[2]), "-o", back).ExitCode);
        Assert.Equal(DatasetCid(v[2]), Cids(CliRun.Run("cid", back)).Dataset);
    }

    [Fact]
    public async Task Flight_pull_copies_only_missing_blocks_and_records_the_name()
    {
        string served = _temp.File("served");
        var v = PutThreeVersions(served);
        using var content = ContentRepository.Open(served);
        await using var node = await FlightNode.StartAsync(content);

        var first = InRepo("flight", "pull", "--server", node.Location, "t@1", "--json");
        var latest = InRepo("flight", "pull", "--server", node.Location, "t", "--json");
        var again = InRepo("flight", "pull", "--server", node.Location, "t");
        var byCid = InRepo("flight", "pull", "--server", node.Location, BatchCid(v[2], 1), "--json");

        Assert.True(first.ExitCode == 0, first.Error);
        var firstJson = JsonNode.Parse(first.Out)!;
        Assert.Equal(TotalBytes(v[0]), firstJson["bytes_total"]!.GetValue<long>());
        Assert.Equal(TotalBytes(v[0]), firstJson["bytes_transferred"]!.GetValue<long>());
        Assert.Equal(3, firstJson["blocks_transferred"]!.GetValue<int>());
        Assert.Equal(1, firstJson["version"]!.GetValue<long>());
        Assert.Equal(1, firstJson["remote_version"]!.GetValue<long>());

        // The latest version shares b0 with v1: only v3's manifest, b3 and b2 travel.
        Assert.True(latest.ExitCode == 0, latest.Error);
        var latestJson = JsonNode.Parse(latest.Out)!;
        Assert.Equal(DatasetCid(v[2]), latestJson["cid"]!.GetValue<string>());
        Assert.Equal(TotalBytes(v[2]), latestJson["bytes_total"]!.GetValue<long>());
        Assert.Equal(ManifestBytes(v[2]) + BatchBytes(v[2], 1) + BatchBytes(v[2], 2), latestJson["bytes_transferred"]!.GetValue<long>());
        Assert.Equal((4, 3), (latestJson["blocks_total"]!.GetValue<int>(), latestJson["blocks_transferred"]!.GetValue<int>()));
        Assert.Equal(("t", 2L, 3L), (latestJson["name"]!.GetValue<string>(), latestJson["version"]!.GetValue<long>(), latestJson["remote_version"]!.GetValue<long>()));

        // Pulled twice: nothing travels and no version is added.
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(
            [$"pulled {DatasetCid(v[2])} from {node.Location}: transferred 0 of 4 blocks, 0 of {TotalBytes(v[2])} bytes", "version t@2"],
            Lines(again.Out));
        var byCidJson = JsonNode.Parse(byCid.Out)!;
        Assert.Equal((0L, BatchBytes(v[2], 1)), (byCidJson["bytes_transferred"]!.GetValue<long>(), byCidJson["bytes_total"]!.GetValue<long>()));
        Assert.Null(byCidJson["name"]);

        // What was pulled verifies, reads back as the producer's rows, and the name resolves here.
        Assert.Equal(0, InRepo("verify").ExitCode);
        string back = _temp.File("back.arrows");
        Assert.Equal(0, InRepo("get", "t", "-o", back).ExitCode);
        Assert.Equal(DatasetCid(v[2]), Cids(CliRun.Run("cid", back)).Dataset);
        Assert.Equal(DatasetCid(v[2]), Cids(CliRun.Run("cid", _temp.File("v3.arrows"))).Dataset);
        var log = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();
        Assert.Equal([DatasetCid(v[2]), DatasetCid(v[0])], log.Select(e => e!["cid"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Flight_pull_refuses_a_block_that_does_not_hash_to_its_cid_and_stores_nothing_unverified()
    {
        string served = _temp.File("served");
        var v = PutThreeVersions(served);
        var bad = Cid.Parse(BatchCid(v[0], 1));
        using var content = ContentRepository.Open(served);
        using var honest = new FlightNodeService(content);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { Endpoint = new IPEndPoint(IPAddress.Loopback, 0) })
            .AddFlightService(new CorruptingService(honest, content, bad));
        await using var server = await GrpcServer.StartAsync(registry);
        string location = FlightLocations.FromHttpAddress(server.Address, "127.0.0.1");

        var pull = InRepo("flight", "pull", "--server", location, "t@1");

        Assert.Equal(1, pull.ExitCode);
        Assert.Contains(bad.ToString(), Assert.Single(pull.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("does not hash", pull.Error, StringComparison.Ordinal);
        using var local = ContentRepository.Open(Repo);
        Assert.False(local.Repository.Blocks.Has(bad));
        Assert.Null(local.Repository.GetRecord(bad));
        Assert.Null(local.Repository.GetRecord(Cid.Parse(DatasetCid(v[0]))));
        Assert.Empty(local.Repository.Registry.ListVersions("t"));
    }

    /// <summary>A node that answers like <paramref name="inner"/> but sends one block with a byte flipped.</summary>
    private sealed class CorruptingService(FlightServiceBase inner, ContentRepository content, Cid corrupt) : FlightServiceBase
    {
        public override Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context) => inner.GetFlightInfo(request, context);

        public override async Task DoAction(Flight.Protocol.Action request, IServerStreamWriter<Result> responseStream, ServerCallContext context)
        {
            if (request.Type != "block" || request.Body.ToStringUtf8() != corrupt.ToString())
            {
                await inner.DoAction(request, responseStream, context);
                return;
            }

            byte[] bytes = content.GetBytes(corrupt).ToArray();
            bytes[bytes.Length / 2] ^= 0x01;
            await responseStream.WriteAsync(new Result { Body = ByteString.CopyFrom(bytes) });
        }
    }
}
