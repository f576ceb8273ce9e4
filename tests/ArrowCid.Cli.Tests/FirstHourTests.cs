using System.Text.Json.Nodes;
using ArrowCid.TestSupport;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// A newcomer's first hour (issue 42): sample data ships (<c>arrowcid sample</c>), and the defaults
/// are those of the tools users know: <c>get</c> writes to a pipe, <c>export parquet NAME</c> writes
/// NAME.parquet, <c>ls</c> lists tables (<c>--all</c> adds their blocks), <c>info</c> gives a
/// table's size, re-putting an unchanged table under its name adds no version, and
/// <c>quickstart --keep</c> keeps what it prints.
/// </summary>
public sealed class FirstHourTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Sample_writes_one_table_in_four_formats_two_versions_and_a_golden_pair()
    {
        string dir = _temp.File("samples");
        var sample = CliRun.Run("sample", dir);
        Assert.True(sample.ExitCode == 0, sample.Error);
        string[] formats = ["readings.csv", "readings.arrows", "readings.arrow", "readings.parquet"];
        var cids = formats.Select(f => Table(CliRun.Run("cid", Path.Combine(dir, f)))).ToList();
        Assert.Single(cids.Distinct());

        var golden = CliRun.Run("integration", "validate", "--json", Path.Combine(dir, "golden.json"), "--arrow", Path.Combine(dir, "golden.arrow_file"));
        Assert.True(golden.ExitCode == 0, golden.Error + golden.Out);

        string repo = _temp.File("repo");
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, Path.Combine(dir, "v1.csv"), "--name", "t").ExitCode);
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, Path.Combine(dir, "v2.csv"), "--name", "t").ExitCode);
        var diff = CliRun.Run("diff", "--repo", repo, "t@1", "t@2");
        Assert.Matches(@"shared [1-9]\d* blocks", diff.Out);

        // The same files on every run.
        string again = _temp.File("again");
        Assert.Equal(0, CliRun.Run("sample", again).ExitCode);
        foreach (string file in Directory.EnumerateFiles(dir))
        {
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(again, Path.GetFileName(file))));
        }
    }

    [Fact]
    public void Cat_prints_a_table_by_cid_or_name_and_a_file_of_any_input_format()
    {
        string repo = _temp.File("repo");
        string dir = _temp.File("samples");
        Assert.Equal(0, CliRun.Run("sample", dir).ExitCode);
        string csv = Path.Combine(dir, "readings.csv");
        string cid = Table(CliRun.Run("put", "--repo", repo, csv, "--name", "readings"));

        var byName = CliRun.Run("cat", "--repo", repo, "readings", "--limit", "2");
        Assert.True(byName.ExitCode == 0, byName.Error);
        Assert.Equal(byName.Out, CliRun.Run("cat", "--repo", repo, cid, "--limit", "2").Out);
        foreach (string file in new[] { "readings.csv", "readings.parquet", "readings.arrow", "readings.arrows" })
        {
            // The first rows are the same whatever the file's format (the batch sizes differ).
            var fromFile = CliRun.Run("cat", "--repo", repo, Path.Combine(dir, file), "--limit", "2");
            Assert.True(fromFile.ExitCode == 0, fromFile.Error);
            Assert.Equal(Lines(byName.Out)[1..5], Lines(fromFile.Out)[1..5]);
        }

        var neither = CliRun.Run("cat", "--repo", repo, Path.Combine(dir, "missing.csv"));
        Assert.Equal(1, neither.ExitCode);
        Assert.Contains("missing.csv", neither.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_writes_to_a_pipe_without_o_and_refuses_a_terminal()
    {
        string repo = _temp.File("repo");
        string csv = Csv("t", 50);
        string cid = Table(CliRun.Run("put", "--repo", repo, csv, "--name", "t"));
        var piped = CliRun.Run("get", "--repo", repo, "t");
        Assert.True(piped.ExitCode == 0, piped.Error);
        File.WriteAllBytes(_temp.File("back.arrows"), piped.BinaryOut);
        Assert.Equal(cid, Table(CliRun.Run("cid", _temp.File("back.arrows"))));

        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = Program.Run(["get", "--repo", repo, "t"], new CliConsole(output, error) { IsOutputTerminal = true });
        Assert.Equal(1, exit);
        Assert.Contains("stdout is a terminal", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("-o FILE", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Export_parquet_of_a_name_writes_name_dot_parquet()
    {
        string repo = _temp.File("repo");
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, Csv("s", 40), "--name", "plant-3/temps").ExitCode);
        string previous = Directory.GetCurrentDirectory();
        Directory.SetCurrentDirectory(_temp.Path);
        try
        {
            var export = CliRun.Run("export", "parquet", "--repo", repo, "plant-3/temps");
            Assert.True(export.ExitCode == 0, export.Error);
            Assert.True(File.Exists(_temp.File("plant-3-temps.parquet")), export.Out);
            Assert.Equal(0, CliRun.Run("export", "parquet", "--repo", repo, "plant-3/temps@1").ExitCode);
            Assert.True(File.Exists(_temp.File("plant-3-temps@1.parquet")));
        }
        finally
        {
            Directory.SetCurrentDirectory(previous);
        }
    }

    [Fact]
    public void Ls_lists_tables_all_adds_their_blocks_and_info_gives_a_tables_size()
    {
        string repo = _temp.File("repo");
        string big = MixedStream.Write(_temp, "big.arrows", 10_000, (1, 0, 40_000));
        string table = Table(CliRun.Run("put", "--repo", repo, big));
        string small = Table(CliRun.Run("put", "--repo", repo, Csv("small", 10)));

        var tables = Lines(CliRun.Run("ls", "--repo", repo).Out);
        Assert.Equal(2, tables.Length);
        Assert.Contains(tables, l => l.Contains(table, StringComparison.Ordinal));
        Assert.Contains(tables, l => l.Contains(small, StringComparison.Ordinal));
        Assert.True(Lines(CliRun.Run("ls", "--repo", repo, "--all").Out).Length > 3);

        var info = JsonNode.Parse(CliRun.Run("info", "--repo", repo, table, "--json").Out)!;
        long rootBytes = (long)info["bytes"]!;
        long tableBytes = (long)info["table_bytes"]!;
        Assert.True(tableBytes > 100 * rootBytes, $"{tableBytes} vs {rootBytes}");
        Assert.Contains("table bytes: ", CliRun.Run("info", "--repo", repo, table).Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Re_putting_an_unchanged_table_under_its_name_adds_no_version_unless_forced()
    {
        string repo = _temp.File("repo");
        string csv = Csv("same", 30);
        Assert.Contains("version same@1", CliRun.Run("put", "--repo", repo, csv, "--name", "same").Out, StringComparison.Ordinal);
        var again = CliRun.Run("put", "--repo", repo, csv, "--name", "same");
        Assert.Contains("version same@1 (unchanged", again.Out, StringComparison.Ordinal);
        var json = JsonNode.Parse(CliRun.Run("put", "--repo", repo, csv, "--name", "same", "--json").Out)!.AsArray()[0]!;
        Assert.False((bool)json["version_added"]!);
        Assert.Contains("version same@2", CliRun.Run("put", "--repo", repo, csv, "--name", "same", "--force-version").Out, StringComparison.Ordinal);
        Assert.Equal(2, Lines(CliRun.Run("log", "--repo", repo, "same").Out).Length);
    }

    [Fact]
    public async Task Quickstart_keep_keeps_every_path_it_prints_and_its_shared_memory_store_is_small()
    {
        var result = CliRun.Run("quickstart", "--keep");
        Assert.True(result.ExitCode == 0, result.Error);
        var paths = QuickstartPaths(result.Out);
        Assert.True(paths.Count >= 4, result.Out);
        try
        {
            Assert.All(paths, p => Assert.True(File.Exists(p) || Directory.Exists(p), $"{p} printed but gone"));
            Assert.DoesNotContain("(deleted)", result.Out, StringComparison.Ordinal);

            // What a quickstart cut short leaves in memory: its store's arenas hold one small table
            // (the default small arena would back 64 MiB of tmpfs).
            string store = System.Text.RegularExpressions.Regex.Match(result.Out, @"shared memory store (\S+): ").Groups[1].Value;
            Assert.True(Directory.Exists(store), result.Out);
            var usage = await ChildProcess.RunAsync(new System.Diagnostics.ProcessStartInfo("du", ["-sk", store]), TimeSpan.FromMinutes(1));
            long kib = long.Parse(usage.Stdout.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(kib < 2048, $"the quickstart's shared memory store takes {kib} KiB");
        }
        finally
        {
            DeleteQuickstartFolders(result.Out);
        }
    }

    [Fact]
    public void Ipc_commands_read_csv_and_parquet_through_the_put_dispatch_and_name_what_they_refuse()
    {
        string dir = _temp.File("samples");
        Assert.Equal(0, CliRun.Run("sample", dir, "--rows", "500").ExitCode);
        string csv = Path.Combine(dir, "readings.csv");
        string parquet = Path.Combine(dir, "readings.parquet");

        var cat = CliRun.Run("ipc", "cat", parquet, "-n", "2");
        Assert.True(cat.ExitCode == 0, cat.Error);
        Assert.Contains("s01", cat.Out, StringComparison.Ordinal);
        var schema = CliRun.Run("ipc", "schema", csv);
        Assert.StartsWith("CSV, types inferred", schema.Out, StringComparison.Ordinal);
        Assert.Contains("time: timestamp[us, tz=UTC]", schema.Out, StringComparison.Ordinal);
        Assert.StartsWith("Parquet file", CliRun.Run("ipc", "schema", parquet).Out, StringComparison.Ordinal);

        // Converted to Arrow IPC, each names the table the CSV names.
        string expected = Table(CliRun.Run("cid", csv));
        foreach (string input in new[] { csv, parquet })
        {
            string output = _temp.File(Path.GetFileName(input) + ".arrows");
            var convert = CliRun.Run("ipc", "convert", input, output, "--format", "stream");
            Assert.True(convert.ExitCode == 0, convert.Error);
            Assert.Equal(expected, Table(CliRun.Run("cid", output)));
        }

        string text = _temp.File("notes.txt");
        File.WriteAllText(text, "not a table at all, just words\n");
        var refused = CliRun.Run("ipc", "cat", text);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not Arrow IPC (a stream or a file) nor Parquet", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("metadata length", refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Exports_report_as_json_on_request()
    {
        string repo = _temp.File("repo");
        string table = Table(CliRun.Run("put", "--repo", repo, Csv("j", 20), "--name", "j"));
        var car = JsonNode.Parse(CliRun.Run("export", "car", "--repo", repo, "j", "-o", _temp.File("j.car"), "--json").Out)!;
        Assert.Equal(table, (string)car["roots"]![0]!);
        Assert.Equal(1, (long)car["blocks"]!);
        var parquet = JsonNode.Parse(CliRun.Run("export", "parquet", "--repo", repo, "j", "-o", _temp.File("j.parquet"), "--json").Out)!;
        Assert.Equal(20, (long)parquet["rows"]!);
        Assert.Equal(new FileInfo(_temp.File("j.parquet")).Length, (long)parquet["bytes"]!);

        // To stdout, the data goes there and the report to stderr.
        var piped = CliRun.Run("export", "car", "--repo", repo, "j", "-o", "-", "--json");
        Assert.NotEmpty(piped.BinaryOut);
        Assert.Equal(table, (string)JsonNode.Parse(piped.Error)!["roots"]![0]!);
    }

    private string Csv(string name, int rows)
    {
        string path = _temp.File($"{name}.csv");
        File.WriteAllLines(path, ["id,v", .. Enumerable.Range(0, rows).Select(k => $"{k},{k * 3}")]);
        return path;
    }
}
