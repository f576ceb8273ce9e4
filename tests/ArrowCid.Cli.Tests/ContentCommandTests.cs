using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

public sealed class ContentCommandTests : IDisposable
{
    private const string Primitive = "1.0.0-littleendian/generated_primitive";
    private const string Dictionary = "1.0.0-littleendian/generated_dictionary";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Repo => _temp.File("repo");

    private CliResult InRepo(params string[] args) => CliRun.Run(["--repo", Repo, .. args]);

    [Fact]
    public void Put_of_a_small_golden_file_is_one_chunk_whose_get_bytes_hash_to_the_table_cid()
    {
        // Two batches of 17 and 20 rows are far below a chunk: the table is one canonical batch.
        string table = Table(InRepo("put", Golden.File(Primitive)));
        string output = _temp.File("table.arrows");

        Assert.StartsWith("bafkrei", table, StringComparison.Ordinal);
        Assert.Equal(0, InRepo("get", table, "-o", output).ExitCode);
        Assert.Equal(Cid.Parse(table), Cid.ForRaw(File.ReadAllBytes(output)));
    }

    [Fact]
    public void Put_prints_one_table_line_with_rows_bytes_and_chunks()
    {
        var put = InRepo("put", Golden.File(Primitive));
        var line = Lines(put.Out).Single().Split(' ');

        using var reader = ArrowFileReader.Open(Golden.File(Primitive));
        var rows = reader.ReadAll().Select(b => { using (b) { return b.Length; } }).Sum();
        Assert.Equal("table", line[0]);
        Assert.Equal(rows.ToString(System.Globalization.CultureInfo.InvariantCulture), line[2]);
        using (var repository = new ArrowCid.Repository.LocalRepository(Repo))
        {
            Assert.True(repository.Blocks.TryGetSize(Cid.Parse(line[1]), out long stored));
            Assert.Equal(stored.ToString(System.Globalization.CultureInfo.InvariantCulture), line[3]);
        }
        Assert.Equal("1", line[4]);
    }

    [Fact]
    public void Cid_prints_what_put_stores_and_stores_nothing()
    {
        var computed = CliRun.Run("--repo", Repo, "cid", Golden.File(Dictionary));

        Assert.Equal(0, computed.ExitCode);
        Assert.False(Directory.Exists(Repo));
        var put = InRepo("put", Golden.File(Dictionary));
        Assert.Equal(computed.Out, put.Out);
    }

    [Fact]
    public void The_same_data_as_stream_file_and_stdin_gets_the_same_cids()
    {
        var file = CliRun.Run("cid", Golden.File(Dictionary));
        var stream = CliRun.Run("cid", Golden.Stream(Dictionary));
        var stdin = CliRun.RunWithInput(File.ReadAllBytes(Golden.Stream(Dictionary)), "cid", "-");

        Assert.Equal(0, file.ExitCode);
        Assert.Equal(file.Out, stream.Out);
        Assert.Equal(file.Out, stdin.Out);
    }

    [Fact]
    public void Table_get_gives_one_ipc_stream_with_the_inputs_rows()
    {
        string table = Table(InRepo("put", Golden.Stream(Dictionary)));
        string output = _temp.File("table.arrows");

        Assert.Equal(0, InRepo("get", table, "-o", output).ExitCode);

        using var expected = ArrowFileReader.Open(Golden.File(Dictionary));
        using var actual = new ArrowStreamReader(File.ReadAllBytes(output).AsMemory());
        var expectedBatches = expected.ReadAll().ToList();
        // The input's batches are one chunk now: each is the next run of its rows.
        using var chunk = Assert.Single(actual.ReadAll().ToList());
        int offset = 0;
        foreach (var e in expectedBatches)
        {
            using (e)
            {
                Assert.True(ArrayEquality.Equals(e, chunk.Slice(offset, e.Length), out string? difference), difference);
                offset += e.Length;
            }
        }

        Assert.Equal(chunk.Length, offset);
    }

    [Fact]
    public void Get_to_stdout_writes_the_stream_there()
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));

        var result = InRepo("get", table, "-o", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Cid.Parse(table), Cid.ForRaw(result.BinaryOut));
    }

    [Fact]
    public void Cat_prints_a_table_chunk_by_chunk_and_stops_at_the_limit()
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        string joined = _temp.File("joined.arrows");
        Assert.Equal(0, InRepo("get", table, "-o", joined).ExitCode);

        var all = InRepo("cat", table);
        var limited = InRepo("cat", table, "--limit", "3");

        Assert.Equal(0, all.ExitCode);
        // The table's one chunk holds the file's 17 + 20 rows, as `ipc cat` of what get wrote shows them.
        Assert.StartsWith("batch 0: 37 rows", all.Out, StringComparison.Ordinal);
        Assert.Equal(CliRun.Run("ipc", "cat", joined).Out, all.Out);
        Assert.EndsWith("(stopped at --limit 3)\n", limited.Out.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("batch 1:", limited.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Ls_filters_by_tag_and_prints_json()
    {
        string tagged = Table(InRepo("put", Golden.File(Primitive), "--tag", "team=red"));
        string other = Table(InRepo("put", Golden.File(Dictionary), "--tag", "team=blue"));

        var red = Lines(InRepo("ls", "--tag", "team=red").Out);
        var json = JsonNode.Parse(InRepo("ls", "--json").Out)!.AsArray();

        // Each small table is its one chunk: a batch block, pinned and tagged.
        Assert.Single(red);
        Assert.Contains(red, l => l.StartsWith($"batch {tagged} ", StringComparison.Ordinal) && l.EndsWith(" pinned team=red", StringComparison.Ordinal));
        Assert.DoesNotContain(red, l => l.Contains(other, StringComparison.Ordinal));
        Assert.Contains(json, r => r!["cid"]!.GetValue<string>() == other && r["kind"]!.GetValue<string>() == "batch" && r["tags"]!["team"]!.GetValue<string>() == "blue");
    }

    [Fact]
    public void Info_describes_a_record_as_text_and_json()
    {
        string table = Table(InRepo("put", Golden.File(Primitive), "--tag", "team=red"));

        var text = Lines(InRepo("info", table).Out);
        var json = JsonNode.Parse(InRepo("info", table, "--json").Out)!;

        Assert.Contains("kind: batch", text);
        Assert.Contains("rows: 37", text);
        Assert.Contains("pinned: yes", text);
        Assert.Contains("tag: team=red", text);
        Assert.Contains(text, l => l.StartsWith("schema:", StringComparison.Ordinal));
        Assert.Equal(37, json["rows"]!.GetValue<long>());
        Assert.True(json["pinned"]!.GetValue<bool>());
        Assert.Empty(json["chunks"]!.AsArray());
        Assert.Empty(json["nodes"]!.AsArray());
    }

    [Fact]
    public void Pin_unpin_and_gc_decide_what_stays()
    {
        string table = Table(InRepo("put", Golden.File(Primitive), "--no-pin"));

        Assert.Equal(0, InRepo("pin", table).ExitCode);
        Assert.Contains("removed 0 records", InRepo("gc").Out, StringComparison.Ordinal);
        Assert.Equal(0, InRepo("unpin", table).ExitCode);
        var gc = InRepo("gc");

        Assert.Contains($"removed {table}", gc.Out, StringComparison.Ordinal);
        var gone = InRepo("get", table, "-o", _temp.File("x"));
        Assert.Equal(1, gone.ExitCode);
        Assert.Equal($"arrowcid: not found: {table}", gone.ErrorLines.Single());
    }

    [Fact]
    public void Gc_json_lists_the_removed_records_and_unregistered_blocks_as_it_goes_then_the_totals()
    {
        var empty = JsonNode.Parse(InRepo("gc", "--json").Out)!;
        Assert.Empty(empty["removed_records"]!.AsArray());
        Assert.Empty(empty["removed_orphans"]!.AsArray());
        // One member for what was removed: the arrays (their lengths are the counts).
        Assert.Null(empty["records_removed"]);
        Assert.Null(empty["orphans_removed"]);

        string table = Table(InRepo("put", Golden.File(Primitive), "--no-pin"));
        var orphans = new List<string>();
        using (var repository = new ArrowCid.Repository.LocalRepository(Repo))
        {
            // Unregistered blocks: one packed, one in a file of its own.
            foreach (int length in new[] { 100, ArrowCid.Repository.LocalRepositoryOptions.DefaultPackThreshold + 1 })
            {
                byte[] bytes = new byte[length];
                Random.Shared.NextBytes(bytes);
                var cid = Cid.ForRaw(bytes);
                repository.Blocks.Put(cid, bytes);
                orphans.Add(cid.ToString());
            }
        }

        var gc = InRepo("gc", "--json");
        Assert.Equal(0, gc.ExitCode);
        var json = JsonNode.Parse(gc.Out)!;
        var records = json["removed_records"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Contains(table, records);
        Assert.Equal(orphans.Order(), json["removed_orphans"]!.AsArray().Select(n => (string)n!).Order());
        Assert.Equal(2, json["removed_orphans"]!.AsArray().Count);
        Assert.True(json["bytes_freed"]!.GetValue<long>() > ArrowCid.Repository.LocalRepositoryOptions.DefaultPackThreshold);
        Assert.Empty(json["handed_over"]!.AsArray());
    }

    [Fact]
    public void Verify_reports_a_corrupted_block_and_repair_fixes_it()
    {
        string table = Table(InRepo("put", Golden.File(Primitive)));
        Assert.Contains(": clean", InRepo("verify").Out, StringComparison.Ordinal);
        using (var repository = new ArrowCid.Repository.LocalRepository(Repo))
        {
            // The table is small, so it lies in a pack: damage its bytes there.
            Assert.True(repository.Blocks.TryGetPacked(Cid.Parse(table), out var packed));
            using var pack = new FileStream(repository.Blocks.Packs.PathOf(packed.Pack), FileMode.Open, FileAccess.ReadWrite);
            pack.Position = packed.End - 16;
            int value = pack.ReadByte();
            pack.Position = packed.End - 16;
            pack.WriteByte((byte)(value ^ 0xff));
        }

        var damaged = InRepo("verify");
        var repaired = InRepo("verify", "--repair");
        var after = InRepo("verify", "--json");

        Assert.Equal(1, damaged.ExitCode);
        Assert.Contains($"corrupt {table}", damaged.Out, StringComparison.Ordinal);
        Assert.Equal(0, repaired.ExitCode);
        Assert.Contains("repaired", repaired.Out, StringComparison.Ordinal);
        Assert.Equal(0, after.ExitCode);
        Assert.True(JsonNode.Parse(after.Out)!["consistent"]!.GetValue<bool>());
        Assert.Equal(1, InRepo("get", table, "-o", _temp.File("y")).ExitCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Export_and_import_car_move_a_table_between_repositories(bool v2)
    {
        string input = ChunkedTableCommandTests.WriteMixedStream(_temp, "mixed.arrows", ChunkedTableCommandTests.Rows, 5000);
        var put = JsonNode.Parse(InRepo("put", input, "--json").Out)![0]!;
        string dataset = put["table"]!["cid"]!.GetValue<string>();
        var batches = put["chunks"]!.AsArray().Select(c => c!["cid"]!.GetValue<string>()).ToArray();
        string car = _temp.File("d.car");
        string[] export = v2 ? ["export", "car", dataset, "-o", car, "--v2"] : ["export", "car", dataset, "-o", car];
        Assert.Equal(0, InRepo(export).ExitCode);
        string other = _temp.File("other");

        var import = CliRun.Run("--repo", other, "import", "car", car);

        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains($"table {dataset}", import.Out, StringComparison.Ordinal);
        Assert.All(batches, b => Assert.Contains($"batch {b}", import.Out, StringComparison.Ordinal));
        string a = _temp.File("a.arrows");
        string b = _temp.File("b.arrows");
        Assert.Equal(0, InRepo("get", dataset, "-o", a).ExitCode);
        Assert.Equal(0, CliRun.Run("--repo", other, "get", dataset, "-o", b).ExitCode);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
    }

    [Fact]
    public void Strict_import_of_a_car_with_foreign_blocks_reports_them_and_fails()
    {
        string car = _temp.File("foreign.car");
        using (var output = File.Create(car))
        {
            var writer = new ArrowCid.Content.Car.CarV1Writer(output, [Cid.ForRaw("hello"u8)]);
            writer.WriteRawBlock("hello"u8);
        }

        var result = InRepo("import", "car", car, "--strict");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a canonical Arrow batch", result.Error, StringComparison.Ordinal);
        Assert.Contains("1 refused", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_of_a_car_with_foreign_blocks_keeps_them_counts_them_and_get_serves_them()
    {
        string car = _temp.File("foreign.car");
        var hello = Cid.ForRaw("hello"u8);
        byte[] cbor = ArrowCid.Content.DagCbor.DagCborEncoder.EncodeBlock(
            ArrowCid.Content.DagCbor.DagNode.MapOf(("greeting", ArrowCid.Content.DagCbor.DagNode.Of(hello))), out var root);
        using (var output = File.Create(car))
        {
            var writer = new ArrowCid.Content.Car.CarV1Writer(output, [root]);
            writer.WriteBlock(root, cbor);
            writer.WriteRawBlock("hello"u8);
        }

        var result = InRepo("import", "car", car);

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = Lines(result.Out);
        Assert.Equal($"dag-cbor {root} {cbor.Length} bytes 1 links", lines[0]);
        Assert.Equal($"raw {hello} 5 bytes", lines[1]);
        Assert.Equal("imported 2 of 2 blocks: 0 batches, 0 tables, 0 table nodes, 0 arrow streams, 1 other raw, 1 dag-cbor, 0 dag-pb, 0 other; 0 refused", lines[2]);
        string back = _temp.File("hello.bin");
        Assert.Equal(0, InRepo("get", hello.ToString(), "-o", back).ExitCode);
        Assert.Equal("hello"u8.ToArray(), File.ReadAllBytes(back));
        Assert.StartsWith("foreign ", Lines(InRepo("ls").Out)[0], StringComparison.Ordinal);
        var info = JsonNode.Parse(InRepo("info", root.ToString(), "--json").Out)!;
        Assert.Equal("foreign", info["kind"]!.GetValue<string>());
        Assert.Equal(hello.ToString(), info["links"]![0]!.GetValue<string>());

        var json = JsonNode.Parse(InRepo("import", "car", car, "--json").Out)!;
        Assert.Equal(1, json["counts"]!["raw"]!.GetValue<int>());
        Assert.Equal(1, json["counts"]!["dag-cbor"]!.GetValue<int>());
        Assert.True(json["complete"]!.GetValue<bool>());
        Assert.Contains("not a canonical Arrow batch", json["blocks"]![1]!["note"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cat", "bafkrei")]
    [InlineData("pin", "bafy!")]
    [InlineData("info", "Qm00000000000000000000000000000000000000000000")]
    public void A_malformed_cid_fails_with_exit_1_naming_it(params string[] args)
    {
        var result = InRepo(args);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"arrowcid: malformed CID '{args[1]}'", result.ErrorLines.Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("get", "notacid", "-o", "x")]
    [InlineData("info", "zzzz")]
    public void Text_that_is_not_cid_like_is_an_unknown_name_first(params string[] args)
    {
        var result = InRepo(args);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"arrowcid: not found: no table is named '{args[1]}' (nor is it a CID)", result.ErrorLines.Single());
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("info")]
    [InlineData("pin")]
    [InlineData("unpin")]
    public void An_unknown_cid_fails_with_exit_1_not_found(string command)
    {
        string unknown = Cid.ForRaw("nothing here"u8).ToString();

        var result = InRepo(command, unknown);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"arrowcid: not found: {unknown}", result.ErrorLines.Single());
    }

    [Theory]
    [InlineData("get")]
    [InlineData("put")]
    [InlineData("put", "x.arrow", "--tag", "novalue")]
    [InlineData("export", "car", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")]
    [InlineData("cat", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--limit", "-1")]
    public void Usage_errors_exit_2(params string[] args)
    {
        var result = InRepo(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }

    [Fact]
    public void Put_of_a_missing_file_fails_naming_it()
    {
        var result = InRepo("put", _temp.File("missing.arrow"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("missing.arrow: no such file", result.ErrorLines.Single(), StringComparison.Ordinal);
    }
}
