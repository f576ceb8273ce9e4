using System.Net;
using System.Text.Json.Nodes;
using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight;
using ArrowCid.Flight.Hosting;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Service;
using ArrowCid.Grpc;
using ArrowCid.Node;
using ArrowCid.Repository;
using Google.Protobuf;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// Versions that share blocks: log's new_bytes, diff, export car --since and flight pull, over
/// three versions of one name, each a table of several chunks: v1 = rows 0–99,999 of a mixed
/// table, v2 = v1 and 3,000 rows appended, v3 = v2 with 100 rows in the middle replaced. What
/// each version shares is worked out here from the tables' blocks (manifest nodes and distinct
/// chunks, read with <see cref="ContentRepository.OpenTable"/>), and an edit must leave most of
/// them shared.
/// </summary>
public sealed class VersionCommandTests : IDisposable
{
    private const ulong Seed = 9;
    private const int Rows = 100_000;
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    /// <summary>An IPC stream file of the given row ranges of mixed tables, in order, in batches of at most 7,000 rows.</summary>
    private string StreamOf(string name, params (ulong Seed, long First, int Rows)[] ranges) => MixedStream.Write(_temp, name, 7000, ranges);

    /// <summary>Puts the three versions as t@1..3; returns each table's CID.</summary>
    private string[] PutThreeVersions(string repo)
    {
        string[] files =
        [
            StreamOf("v1.arrows", (Seed, 0, Rows)),
            StreamOf("v2.arrows", (Seed, 0, Rows + 3000)),
            StreamOf("v3.arrows", (Seed, 0, Rows / 2), (Seed + 1, Rows / 2, 100), (Seed, (Rows / 2) + 100, (Rows / 2) + 2900)),
        ];
        return [.. files.Select(f => Table(CliRun.Run("--repo", repo, "put", f, "--name", "t")))];
    }

    /// <summary>A table's blocks: its manifest nodes and distinct chunks, each with its length.</summary>
    private static Dictionary<string, long> BlocksOf(string repo, string table)
    {
        using var content = ContentRepository.Open(repo);
        var opened = content.OpenTable(Cid.Parse(table));
        var blocks = opened.Nodes().ToDictionary(n => n.ToString(), n => (long)content.GetBytes(n).Length);
        foreach (var chunk in opened.Chunks())
        {
            blocks.TryAdd(chunk.Cid.ToString(), chunk.Bytes);
        }

        return blocks;
    }

    private static long BytesOf(IEnumerable<KeyValuePair<string, long>> blocks) => blocks.Sum(b => b.Value);

    /// <summary>The bytes of the chunk blocks among <paramref name="blocks"/> (manifest nodes left out).</summary>
    private static long ChunkBytesOf(IEnumerable<KeyValuePair<string, long>> blocks) =>
        blocks.Where(b => Cid.Parse(b.Key).Codec == Multicodec.Raw).Sum(b => b.Value);

    /// <summary>The blocks of <paramref name="to"/> that <paramref name="from"/> lacks.</summary>
    private static Dictionary<string, long> Lacking(Dictionary<string, long> to, Dictionary<string, long>? from) =>
        to.Where(b => from is null || !from.ContainsKey(b.Key)).ToDictionary(b => b.Key, b => b.Value);

    /// <summary>A version's chunk bytes (what put and log report as its bytes).</summary>
    private static long ChunkBytes(string repo, string table)
    {
        using var content = ContentRepository.Open(repo);
        return content.OpenTable(Cid.Parse(table)).Bytes;
    }

    [Fact]
    public void Log_gives_each_version_the_bytes_of_blocks_the_previous_one_lacks()
    {
        var v = PutThreeVersions(Repo);
        var blocks = v.Select(t => BlocksOf(Repo, t)).ToArray();

        var json = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();
        var text = Lines(InRepo("log", "t").Out);

        // Newest first. v1: everything; v2 and v3: what the version before lacks. Counted in chunk
        // blocks, as a version's bytes are: v1's new bytes are its bytes, and no version adds more than it has.
        long[] expected = [ChunkBytesOf(Lacking(blocks[2], blocks[1])), ChunkBytesOf(Lacking(blocks[1], blocks[0])), ChunkBytesOf(blocks[0])];
        Assert.Equal(expected, json.Select(e => e!["new_bytes"]!.GetValue<long>()));
        Assert.Equal(json[2]!["bytes"]!.GetValue<long>(), json[2]!["new_bytes"]!.GetValue<long>());
        Assert.All(json, e => Assert.True(e!["new_bytes"]!.GetValue<long>() <= e["bytes"]!.GetValue<long>(), e.ToJsonString()));
        // An append and an edit of 100 rows each leave most of the table shared.
        Assert.True(expected[1] < BytesOf(blocks[1]) / 4, $"append: {expected[1]} new of {BytesOf(blocks[1])}");
        Assert.True(expected[0] < BytesOf(blocks[2]) / 4, $"edit: {expected[0]} new of {BytesOf(blocks[2])}");
        // The NEW column follows BYTES in the text.
        Assert.Equal(expected.Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture)), text.Select(l => l.Split(' ')[4]));
        Assert.StartsWith($"3 {v[2]} {Rows + 3000} {ChunkBytes(Repo, v[2])} {expected[0]} ", text[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Log_shows_an_unknown_new_size_when_a_version_is_gone()
    {
        var v = PutThreeVersions(Repo);
        long first = ChunkBytesOf(BlocksOf(Repo, v[0]));
        using (var content = ContentRepository.Open(Repo))
        {
            Assert.True(content.Repository.Blocks.Delete(Cid.Parse(v[1])));
        }

        var json = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();

        // v2 is gone: neither its own new bytes nor v3's (which compare with it) are known; v1's are.
        Assert.Null(json[0]!["new_bytes"]);
        Assert.Null(json[1]!["new_bytes"]);
        Assert.Equal(first, json[2]!["new_bytes"]!.GetValue<long>());
        Assert.Equal("-", Lines(InRepo("log", "t").Out)[1].Split(' ')[4]);
    }

    [Fact]
    public void Diff_gives_shared_new_and_removed_blocks_and_bytes()
    {
        var v = PutThreeVersions(Repo);
        var blocks = v.Select(t => BlocksOf(Repo, t)).ToArray();

        var result = InRepo("diff", "t@1", v[2], "--json");
        var text = InRepo("diff", "t@2", "t");
        var json = JsonNode.Parse(result.Out)!;

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(v[0], json["a"]!["cid"]!.GetValue<string>());
        Assert.Equal(BytesOf(blocks[0]), json["a"]!["bytes"]!.GetValue<long>());
        Assert.Equal(blocks[0].Count, json["a"]!["blocks"]!.GetValue<int>());
        Assert.Equal(blocks[2].Count, json["b"]!["blocks"]!.GetValue<int>());
        var added = Lacking(blocks[2], blocks[0]);
        var removed = Lacking(blocks[0], blocks[2]);
        Assert.Equal(blocks[2].Count - added.Count, json["shared_blocks"]!.GetValue<int>());
        Assert.Equal(BytesOf(blocks[2]) - BytesOf(added), json["shared_bytes"]!.GetValue<long>());
        Assert.Equal(added.Count, json["new_blocks"]!.GetValue<int>());
        Assert.Equal(BytesOf(added), json["new_bytes"]!.GetValue<long>());
        Assert.Equal(removed.Count, json["removed_blocks"]!.GetValue<int>());
        Assert.Equal(BytesOf(removed), json["removed_bytes"]!.GetValue<long>());
        Assert.Equal(added.OrderBy(b => b.Key, StringComparer.Ordinal), json["new"]!.AsArray().Select(b => KeyValuePair.Create(b!["cid"]!.GetValue<string>(), b["bytes"]!.GetValue<long>())).OrderBy(b => b.Key, StringComparer.Ordinal));
        Assert.Equal(removed.Keys.Order(StringComparer.Ordinal), json["removed"]!.AsArray().Select(b => b!["cid"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.Contains(v[2], added.Keys);

        Assert.Equal(0, text.ExitCode);
        var lines = Lines(text.Out);
        var sinceTwo = (Added: Lacking(blocks[2], blocks[1]), Removed: Lacking(blocks[1], blocks[2]));
        Assert.Contains($"shared {blocks[2].Count - sinceTwo.Added.Count} blocks {BytesOf(blocks[2]) - BytesOf(sinceTwo.Added)} bytes", lines);
        Assert.Contains($"new {sinceTwo.Added.Count} blocks {BytesOf(sinceTwo.Added)} bytes", lines);
        Assert.All(sinceTwo.Removed, b => Assert.Contains($"- {b.Key} {b.Value}", lines));
        Assert.All(sinceTwo.Added, b => Assert.Contains($"+ {b.Key} {b.Value}", lines));

        var unknown = InRepo("diff", "t@1", "t@9");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("'t' has versions 1 to 3", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_car_since_a_base_writes_exactly_the_blocks_the_base_lacks()
    {
        var v = PutThreeVersions(Repo);
        var delta = Lacking(BlocksOf(Repo, v[2]), BlocksOf(Repo, v[1]));
        string car = _temp.File("delta.car");

        var export = InRepo("export", "car", "t@3", "--since", "t@2", "-o", car);

        Assert.True(export.ExitCode == 0, export.Error);
        using (var file = File.OpenRead(car))
        {
            var reader = CarReader.Open(file);
            Assert.Equal([Cid.Parse(v[2])], reader.Roots);
            // Each block hash-checked by the reader; only what v2 lacks, the root among them.
            var blocks = reader.ReadBlocks().Select(b => KeyValuePair.Create(b.Cid.ToString(), (long)b.Data.Length)).ToArray();
            Assert.Equal(delta.OrderBy(b => b.Key, StringComparer.Ordinal), blocks.OrderBy(b => b.Key, StringComparer.Ordinal));
            Assert.Equal(v[2], blocks[0].Key);
        }

        // A repository that holds v2 completes v3 from the delta alone.
        string other = _temp.File("other");
        Assert.Equal(0, CliRun.Run("--repo", other, "put", _temp.File("v2.arrows")).ExitCode);
        var import = CliRun.Run("--repo", other, "import", "car", car);
        Assert.True(import.ExitCode == 0, import.Error);
        string back = _temp.File("v3-back.arrows");
        Assert.Equal(0, CliRun.Run("--repo", other, "get", v[2], "-o", back).ExitCode);
        Assert.Equal(v[2], Table(CliRun.Run("cid", back)));
    }

    [Fact]
    public async Task Flight_pull_copies_only_missing_blocks_and_records_the_name()
    {
        string served = _temp.File("served");
        var v = PutThreeVersions(served);
        var blocks = v.Select(t => BlocksOf(served, t)).ToArray();
        var latestNew = Lacking(blocks[2], blocks[0]);
        string newChunk = latestNew.Keys.First(k => k.StartsWith("bafkrei", StringComparison.Ordinal));
        using var content = ContentRepository.Open(served);
        await using var node = await FlightNode.StartAsync(content);

        var first = InRepo("flight", "pull", "--server", node.Location, "t@1", "--json");
        var latest = InRepo("flight", "pull", "--server", node.Location, "t", "--json");
        var again = InRepo("flight", "pull", "--server", node.Location, "t");
        var byCid = InRepo("flight", "pull", "--server", node.Location, newChunk, "--json");

        Assert.True(first.ExitCode == 0, first.Error);
        var firstJson = JsonNode.Parse(first.Out)!;
        Assert.Equal(BytesOf(blocks[0]), firstJson["bytes_total"]!.GetValue<long>());
        Assert.Equal(BytesOf(blocks[0]), firstJson["bytes_transferred"]!.GetValue<long>());
        Assert.Equal(blocks[0].Count, firstJson["blocks_transferred"]!.GetValue<int>());
        Assert.Equal(1, firstJson["version"]!.GetValue<long>());
        Assert.Equal(1, firstJson["remote_version"]!.GetValue<long>());

        // The latest version shares most chunks with v1: only what v1 lacks travels.
        Assert.True(latest.ExitCode == 0, latest.Error);
        var latestJson = JsonNode.Parse(latest.Out)!;
        Assert.Equal(v[2], latestJson["cid"]!.GetValue<string>());
        Assert.Equal(BytesOf(blocks[2]), latestJson["bytes_total"]!.GetValue<long>());
        Assert.Equal(BytesOf(latestNew), latestJson["bytes_transferred"]!.GetValue<long>());
        Assert.Equal((blocks[2].Count, latestNew.Count), (latestJson["blocks_total"]!.GetValue<int>(), latestJson["blocks_transferred"]!.GetValue<int>()));
        Assert.Equal(("t", 2L, 3L), (latestJson["name"]!.GetValue<string>(), latestJson["version"]!.GetValue<long>(), latestJson["remote_version"]!.GetValue<long>()));

        // Pulled twice: nothing travels and no version is added.
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Equal(
            [$"pulled {v[2]} from {node.Location}: transferred 0 of {blocks[2].Count} blocks, 0 of {BytesOf(blocks[2])} bytes", "version t@2"],
            Lines(again.Out));
        var byCidJson = JsonNode.Parse(byCid.Out)!;
        Assert.Equal((0L, latestNew[newChunk]), (byCidJson["bytes_transferred"]!.GetValue<long>(), byCidJson["bytes_total"]!.GetValue<long>()));
        Assert.Null(byCidJson["name"]);

        // What was pulled verifies, reads back as the producer's rows, and the name resolves here.
        Assert.Equal(0, InRepo("verify").ExitCode);
        string back = _temp.File("back.arrows");
        Assert.Equal(0, InRepo("get", "t", "-o", back).ExitCode);
        Assert.Equal(v[2], Table(CliRun.Run("cid", back)));
        var log = JsonNode.Parse(InRepo("log", "t", "--json").Out)!.AsArray();
        Assert.Equal([v[2], v[0]], log.Select(e => e!["cid"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Flight_pull_refuses_a_block_that_does_not_hash_to_its_cid_and_stores_nothing_unverified()
    {
        string served = _temp.File("served");
        var v = PutThreeVersions(served);
        Cid bad;
        using (var opened = ContentRepository.Open(served))
        {
            bad = opened.OpenTable(Cid.Parse(v[0])).Chunks().Skip(1).First().Cid;
        }

        using var content = ContentRepository.Open(served);
        using var node = new ContentNode(content);
        var honest = new FlightNodeService(node);
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
        Assert.Null(local.Repository.GetRecord(Cid.Parse(v[0])));
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
