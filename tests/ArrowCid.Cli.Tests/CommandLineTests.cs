using System.Text.Json;

namespace ArrowCid.Cli.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void No_command_is_a_usage_error()
    {
        var result = CliRun.Run();

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("arrowcid: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_command_is_a_usage_error()
    {
        var result = CliRun.Run("ipc", "frobnicate");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("frobnicate", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_lists_the_command_groups_on_stdout()
    {
        var result = CliRun.Run("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (string group in new[] { "ipc", "integration", "quickstart", "bench" })
        {
            Assert.Contains(group, result.Out, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("get", "<CID|NAME[@N]>")]
    [InlineData("cat", "<CID|NAME[@N]|FILE>")]
    [InlineData("info", "<CID|NAME[@N]>")]
    [InlineData("pin", "<CID|NAME[@N]>")]
    [InlineData("unpin", "<CID|NAME[@N]>")]
    [InlineData("diff", "<A> <B>")]
    [InlineData("flight get", "<CID|NAME[@N]>")]
    [InlineData("flight info", "<CID|NAME[@N]>")]
    [InlineData("flight pull", "<CID|NAME[@N]>")]
    public void Usage_lines_name_what_each_argument_accepts(string command, string arguments)
    {
        var result = CliRun.Run([.. command.Split(' '), "--help"]);

        Assert.Equal(0, result.ExitCode);
        string usage = result.Out.Split('\n').SkipWhile(line => line.Trim() != "Usage:").Skip(1).First().Trim();
        // After the program's name (testhost when run in process).
        Assert.StartsWith($"{command} {arguments}", usage[(usage.IndexOf(' ', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal);
    }

    [Fact]
    public void Quickstart_prints_the_demo_rows_and_a_summary()
    {
        var result = CliRun.Run("quickstart");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.Out.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // Header, rule, five rows, summary; the table line (five rows are one chunk); then one line
        // per step of the loop: shared memory, Flight fetch, repository get + CAR, Parquet export.
        Assert.Equal(14, lines.Length);
        Assert.StartsWith("station: int32", lines[0], StringComparison.Ordinal);
        Assert.Contains("Oslo", lines[3], StringComparison.Ordinal);
        Assert.Contains("[snow, wind]", lines[3], StringComparison.Ordinal);
        Assert.Contains("2024-03-01T06:30:00.000Z", lines[3], StringComparison.Ordinal);
        Assert.Contains("null", lines[4], StringComparison.Ordinal);
        Assert.Contains("Kyoto", lines[6], StringComparison.Ordinal);
        Assert.StartsWith("quickstart: wrote 5 rows x 5 columns", lines[7], StringComparison.Ordinal);
        Assert.Contains("memory-mapped: identical;", lines[7], StringComparison.Ordinal);
        Assert.EndsWith("(deleted)", lines[7], StringComparison.Ordinal);
        Assert.Matches("^table bafkrei[a-z2-7]+ 5 [0-9]+ 1$", lines[8]);
        Assert.Contains("zero-copy: identical", lines[9], StringComparison.Ordinal);
        Assert.Contains("hashing to its CID; identical to the demo table", lines[10], StringComparison.Ordinal);
        Assert.Contains("bytes hash to the CID", lines[11], StringComparison.Ordinal);
        Assert.Contains("read back as an IPC stream: identical", lines[11], StringComparison.Ordinal);
        Assert.Contains("CAR of 1 block:", lines[11], StringComparison.Ordinal);
        Assert.Contains("its row groups name the same table CID", lines[12], StringComparison.Ordinal);
        Assert.StartsWith("quickstart: deleted ", lines[13], StringComparison.Ordinal);

        // Without --keep nothing it made is left: the repository's folder and the shared-memory store's.
        var paths = CliOutput.QuickstartPaths(result.Out);
        Assert.True(paths.Count >= 4, result.Out);
        Assert.All(paths, p => Assert.False(File.Exists(p) || Directory.Exists(p), $"{p} left behind"));
    }

    [Fact]
    public void Quickstart_keep_leaves_a_readable_file()
    {
        var result = CliRun.Run("quickstart", "--keep");

        Assert.Equal(0, result.ExitCode);
        string summary = result.Out.ReplaceLineEndings("\n").Split('\n').Single(line => line.StartsWith("quickstart: wrote", StringComparison.Ordinal));
        string path = summary.Split(' ').Single(word => word.EndsWith("demo.arrow", StringComparison.Ordinal));
        try
        {
            var cat = CliRun.Run("ipc", "cat", path);
            Assert.Equal(0, cat.ExitCode);
            Assert.Contains("Nairobi", cat.Out, StringComparison.Ordinal);
        }
        finally
        {
            // The repository's folder and the shared-memory store's, which --keep kept.
            CliOutput.DeleteQuickstartFolders(result.Out);
        }
    }

    [Fact]
    public void Bench_ipc_json_has_the_required_figures()
    {
        var result = CliRun.Run("bench", "ipc", "--size-mib", "4", "--json");

        Assert.True(result.ExitCode == 0, result.Error);
        using var document = JsonDocument.Parse(result.Out);
        var root = document.RootElement;
        foreach (string key in new[] { "write_gbps", "read_gbps", "memcpy_gbps", "map_open_ms_1mib", "map_open_ms_1gib", "write_to_memcpy", "read_to_memcpy", "map_open_ratio" })
        {
            Assert.True(root.GetProperty(key).GetDouble() > 0, key);
        }

        Assert.Equal(4, root.GetProperty("size_mib").GetInt32());
        Assert.InRange(root.GetProperty("encoded_bytes").GetInt64(), 3L << 20, 5L << 20);
        Assert.Equal(root.GetProperty("encoded_bytes").GetInt64() + 8, root.GetProperty("map_open_large_file_bytes").GetInt64(), 2048.0);
    }

    [Fact]
    public void Bench_ipc_prints_a_table_without_json()
    {
        var result = CliRun.Run("bench", "ipc", "--size-mib", "2");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("memcpy", result.Out, StringComparison.Ordinal);
        Assert.Contains("map open", result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("100000")]
    [InlineData("lots")]
    [InlineData("-5")]
    public void Bench_ipc_rejects_a_bad_size(string size)
    {
        var result = CliRun.Run("bench", "ipc", "--size-mib", size);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
    }
}
