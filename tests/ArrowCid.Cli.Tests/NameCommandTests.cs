using System.Text.Json.Nodes;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Hosting;
using ArrowCid.Repository;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>Named datasets on the command line: put --name, names, log, and NAME / NAME@N wherever a CID goes.</summary>
public sealed class NameCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string Dictionary = "1.0.0-littleendian/generated_dictionary";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    /// <summary>Puts two datasets as versions 1 and 2 of <c>plant-3/temps</c>.</summary>
    private (string First, string Second) PutTwoVersions()
    {
        var first = InRepo("put", Golden.File(Primitive), "--name", "plant-3/temps", "--tag", "run=1");
        var second = InRepo("put", Golden.File(Dictionary), "--name", "plant-3/temps");
        Assert.Contains("version plant-3/temps@1", Lines(first.Out));
        Assert.Contains("version plant-3/temps@2", Lines(second.Out));
        return (Table(first), Table(second));
    }

    [Fact]
    public void Put_with_a_name_records_versions_that_names_and_log_list()
    {
        var (first, second) = PutTwoVersions();
        InRepo("put", Golden.File(Primitive), "--name", "alpha");

        var names = InRepo("names");
        var namesJson = JsonNode.Parse(InRepo("names", "--json").Out)!.AsArray();
        var log = InRepo("log", "plant-3/temps");
        string logText = InRepo("log", "plant-3/temps", "--json").Out;
        var logJson = JsonNode.Parse(logText)!.AsArray();

        Assert.Equal(0, names.ExitCode);
        var nameLines = Lines(names.Out);
        Assert.Equal(2, nameLines.Length);
        Assert.StartsWith("alpha 1 ", nameLines[0], StringComparison.Ordinal);
        Assert.StartsWith($"plant-3/temps 2 {second} ", nameLines[1], StringComparison.Ordinal);
        Assert.Equal(["alpha", "plant-3/temps"], namesJson.Select(n => n!["name"]!.GetValue<string>()));
        Assert.Equal(second, namesJson[1]!["cid"]!.GetValue<string>());
        Assert.Equal(2, namesJson[1]!["version"]!.GetValue<long>());

        Assert.Equal(0, log.ExitCode);
        var logLines = Lines(log.Out);
        Assert.StartsWith($"2 {second} ", logLines[0], StringComparison.Ordinal);
        Assert.StartsWith($"1 {first} 37 ", logLines[1], StringComparison.Ordinal);
        Assert.EndsWith(" run=1", logLines[1], StringComparison.Ordinal);

        Assert.Equal([2L, 1L], logJson.Select(v => v!["version"]!.GetValue<long>()));
        Assert.Equal([second, first], logJson.Select(v => v!["cid"]!.GetValue<string>()));
        var oldest = logJson[1]!.AsObject();
        Assert.Equal(37, oldest["rows"]!.GetValue<long>());
        Assert.Equal("1", oldest["tags"]!["run"]!.GetValue<string>());
        // A small table is its one chunk: a batch block.
        Assert.Equal("batch", oldest["kind"]!.GetValue<string>());
        Assert.True(DateTimeOffset.TryParse(oldest["created"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture, out _));
        // Printed for people and programs, not HTML: the offset reads "+00:00", not "\u002B00:00".
        Assert.Contains("+00:00\"", logText, StringComparison.Ordinal);

        // bytes are the data's (what put reported for the table).
        var put = JsonNode.Parse(InRepo("put", Golden.File(Primitive), "--json").Out)!.AsArray()[0]!;
        Assert.Equal(put["table"]!["bytes"]!.GetValue<long>(), oldest["bytes"]!.GetValue<long>());
    }

    [Fact]
    public void Put_json_carries_the_name_and_version_and_each_input_is_the_next_version()
    {
        var result = InRepo("put", Golden.File(Primitive), Golden.File(Dictionary), "--name", "sensors", "--json");

        Assert.Equal(0, result.ExitCode);
        var inputs = JsonNode.Parse(result.Out)!.AsArray();
        Assert.Equal([1L, 2L], inputs.Select(i => i!["version"]!.GetValue<long>()));
        Assert.All(inputs, i => Assert.Equal("sensors", i!["name"]!.GetValue<string>()));
        Assert.Null(JsonNode.Parse(InRepo("put", Golden.File(Primitive), "--json").Out)!.AsArray()[0]!["name"]);
    }

    [Fact]
    public void Get_cat_info_export_and_pin_take_a_name_or_a_version_of_it()
    {
        var (first, second) = PutTwoVersions();

        foreach (var (reference, cid) in new[] { ("plant-3/temps", second), ("plant-3/temps@2", second), ("plant-3/temps@1", first) })
        {
            string byName = _temp.File("by-name.arrows");
            string byCid = _temp.File("by-cid.arrows");
            Assert.Equal(0, InRepo("get", reference, "-o", byName).ExitCode);
            Assert.Equal(0, InRepo("get", cid, "-o", byCid).ExitCode);
            Assert.Equal(File.ReadAllBytes(byCid), File.ReadAllBytes(byName));

            Assert.Equal(InRepo("cat", cid).Out, InRepo("cat", reference).Out);
            Assert.Contains($"cid: {cid}", Lines(InRepo("info", reference).Out));

            string car = _temp.File("n.car");
            Assert.Equal(0, InRepo("export", "car", reference, "-o", car).ExitCode);
            string parquet = _temp.File("n.parquet");
            Assert.Equal(0, InRepo("export", "parquet", reference, "-o", parquet).ExitCode);
            Assert.Equal(Table(CliRun.Run("cid", byCid)), Table(CliRun.Run("cid", parquet)));

            Assert.Equal($"unpinned {cid}", InRepo("unpin", reference).Out.Trim());
            Assert.Equal($"pinned {cid}", InRepo("pin", reference).Out.Trim());
        }
    }

    [Fact]
    public void Unknown_names_and_versions_fail_with_exit_1_saying_so()
    {
        PutTwoVersions();

        var unknownName = InRepo("get", "nobody", "-o", _temp.File("x"));
        var unknownVersion = InRepo("cat", "plant-3/temps@3");
        var unknownLog = InRepo("log", "nobody");
        var badLog = InRepo("log", "a//b");
        var notAName = InRepo("info", "a//b@1");

        Assert.Equal(1, unknownName.ExitCode);
        // A well-formed name was most likely meant as one: the unknown name is said first, not a malformed CID.
        Assert.Equal("arrowcid: not found: no table is named 'nobody' (nor is it a CID)", unknownName.ErrorLines.Single());
        Assert.Equal(1, unknownVersion.ExitCode);
        Assert.Equal("arrowcid: not found: plant-3/temps@3 ('plant-3/temps' has versions 1 to 2)", unknownVersion.ErrorLines.Single());
        Assert.Equal(1, unknownLog.ExitCode);
        Assert.Equal("arrowcid: not found: no table is named 'nobody'", unknownLog.ErrorLines.Single());
        Assert.Equal(1, badLog.ExitCode);
        Assert.Contains("empty segment", badLog.Error, StringComparison.Ordinal);
        Assert.Equal(1, notAName.ExitCode);
        Assert.Contains("nor is it a table name", notAName.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sensors@2")]
    [InlineData("/abs")]
    [InlineData("")]
    [InlineData("bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")]
    public void An_invalid_name_for_put_is_a_usage_error_and_stores_nothing(string name)
    {
        var result = InRepo("put", Golden.File(Primitive), "--name", name);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--name", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Repo));
    }

    [Fact]
    public void Gc_keeps_every_version_of_a_name_even_unpinned()
    {
        string first = Table(InRepo("put", Golden.File(Primitive), "--name", "sensors", "--no-pin"));
        string second = Table(InRepo("put", Golden.File(Dictionary), "--name", "sensors", "--no-pin"));
        string csv = _temp.File("unnamed.csv");
        File.WriteAllText(csv, "a,b\n1,x\n2,y\n");
        string unnamed = Table(InRepo("put", csv, "--no-pin"));

        var gc = InRepo("gc");

        Assert.Contains($"removed {unnamed}", gc.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(first, gc.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(second, gc.Out, StringComparison.Ordinal);
        Assert.Equal(0, InRepo("get", "sensors@1", "-o", _temp.File("v1.arrows")).ExitCode);
    }

    [Fact]
    public async Task Flight_put_with_a_name_then_get_info_and_ls_by_name_resolve_on_the_node()
    {
        using var served = ContentRepository.Open(_temp.File("served"));
        await using var node = await FlightNode.StartAsync(served);

        var put = CliRun.Run("flight", "put", "--server", node.Location, Golden.Stream(Primitive), "--name", "plant-3/temps");
        var second = CliRun.Run("flight", "put", "--server", node.Location, Golden.Stream(Dictionary), "--name", "plant-3/temps");
        Assert.True(put.ExitCode == 0, put.Error);
        Assert.Contains("version plant-3/temps@1", Lines(put.Out));
        Assert.Contains("version plant-3/temps@2", Lines(second.Out));
        string firstDataset = Lines(put.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ')[1];
        Assert.Equal(Cid.Parse(firstDataset), served.Repository.Registry.FindVersion("plant-3/temps", 1)!.Cid);

        string fetched = _temp.File("fetched.arrows");
        var get = CliRun.Run("flight", "get", "--server", node.Location, "plant-3/temps@1", "-o", fetched);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal(firstDataset, Table(CliRun.Run("cid", fetched)));

        string secondDataset = Lines(second.Out).Single(l => l.StartsWith("table ", StringComparison.Ordinal)).Split(' ')[1];
        var info = JsonNode.Parse(CliRun.Run("flight", "info", "--server", node.Location, "plant-3/temps", "--json").Out)!;
        Assert.Equal(secondDataset, info["cid"]!.GetValue<string>());
        Assert.Equal(2, info["app_metadata"]!["version"]!.GetValue<long>());
        // Rows and bytes in the words info --json uses for the same table.
        Assert.Equal(served.OpenTable(Cid.Parse(secondDataset)).Rows, info["rows"]!.GetValue<long>());
        Assert.Equal(served.OpenTable(Cid.Parse(secondDataset)).Bytes, info["bytes"]!.GetValue<long>());
        Assert.Null(info["total_records"]);
        var infoText = Lines(CliRun.Run("flight", "info", "--server", node.Location, "plant-3/temps").Out);
        Assert.Equal($"cid: {secondDataset}", infoText[0]);
        Assert.Contains("path: plant-3/temps@2", infoText);

        var ls = Lines(CliRun.Run("flight", "ls", "--server", node.Location).Out);
        Assert.EndsWith("  name plant-3/temps@2", ls[0], StringComparison.Ordinal);

        // --json is one document (an array), --jsonl a line per flight, neither escaped beyond JSON's needs.
        var listed = CliRun.Run("flight", "ls", "--server", node.Location, "--json");
        var array = JsonNode.Parse(listed.Out)!.AsArray();
        Assert.Equal(ls.Length, array.Count);
        Assert.DoesNotContain("\\u002B", listed.Out, StringComparison.Ordinal);
        var lines = Lines(CliRun.Run("flight", "ls", "--server", node.Location, "--jsonl").Out);
        Assert.Equal(ls.Length, lines.Length);
        Assert.All(lines, l => Assert.NotNull(JsonNode.Parse(l)));
        var report = JsonNode.Parse(CliRun.Run("flight", "get", "--server", node.Location, "plant-3/temps@1", "-o", _temp.File("again.arrows"), "--json").Out)!;
        Assert.Equal(firstDataset, (string)report["cid"]!);

        var missing = CliRun.Run("flight", "get", "--server", node.Location, "plant-3/temps@3", "-o", _temp.File("none"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("NotFound", missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flight_put_of_unchanged_content_under_its_name_adds_no_version_and_says_so_unless_forced()
    {
        using var served = ContentRepository.Open(_temp.File("served"));
        await using var node = await FlightNode.StartAsync(served);
        string input = Golden.Stream(Primitive);
        Assert.Contains("version same@1", Lines(CliRun.Run("flight", "put", "--server", node.Location, input, "--name", "same").Out));

        var again = CliRun.Run("flight", "put", "--server", node.Location, input, "--name", "same");
        Assert.True(again.ExitCode == 0, again.Error);
        Assert.Contains("version same@1 (unchanged: already this table; --force-version adds one)", Lines(again.Out));
        var json = JsonNode.Parse(CliRun.Run("flight", "put", "--server", node.Location, input, "--name", "same", "--json").Out)!;
        Assert.False((bool)json["version_added"]!);

        // One answer, one shape: a put over Flight reports as a local put of the same input does.
        var local = JsonNode.Parse(CliRun.Run("put", "--repo", _temp.File("local"), input, "--name", "same", "--json").Out)!.AsArray().Single()!;
        Assert.Equal(Keys(local), Keys(json));
        Assert.Equal(Keys(local["table"]!), Keys(json["table"]!));
        foreach (string member in new[] { "cid", "rows", "bytes", "chunks", "manifest_bytes" })
        {
            Assert.Equal(local["table"]![member]!.ToJsonString(), json["table"]![member]!.ToJsonString());
        }

        Assert.Equal(local["chunks"]!.ToJsonString(), json["chunks"]!.ToJsonString());
        Assert.Equal(1, served.Repository.Registry.FindVersion("same")!.Version);

        var forced = CliRun.Run("flight", "put", "--server", node.Location, input, "--name", "same", "--force-version", "--json");
        Assert.True(forced.ExitCode == 0, forced.Error);
        var forcedJson = JsonNode.Parse(forced.Out)!;
        Assert.Equal(2, (long)forcedJson["version"]!);
        Assert.True((bool)forcedJson["version_added"]!);
        Assert.Equal(2, served.Repository.Registry.FindVersion("same")!.Version);
    }

    private static string[] Keys(JsonNode node) => [.. node.AsObject().Select(member => member.Key)];
}
