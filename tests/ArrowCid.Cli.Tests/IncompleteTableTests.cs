using System.Text.Json.Nodes;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// A CAR delta (export car --since) imported where its base is not: the import says the table is
/// incomplete and names the first missing block, exits 1 and keeps the blocks; get, cat, export
/// parquet and export car of the table refuse it naming the table and that block, and write
/// nothing; importing the base, then the delta again, makes it a whole table that reads back.
/// </summary>
public sealed class IncompleteTableTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_incomplete_table_is_named_as_such_and_never_written_until_its_base_arrives()
    {
        string samples = _temp.File("samples");
        Assert.Equal(0, CliRun.Run("sample", samples).ExitCode);
        string source = _temp.File("source");
        Assert.Equal(0, CliRun.Run("put", "--repo", source, Path.Combine(samples, "v1.csv"), "--name", "t").ExitCode);
        string table = Table(CliRun.Run("put", "--repo", source, Path.Combine(samples, "v2.csv"), "--name", "t"));
        string delta = _temp.File("delta.car");
        string baseCar = _temp.File("base.car");
        Assert.Equal(0, CliRun.Run("export", "car", "--repo", source, "t@2", "--since", "t@1", "-o", delta).ExitCode);
        Assert.Equal(0, CliRun.Run("export", "car", "--repo", source, "t@1", "-o", baseCar).ExitCode);

        string repo = _temp.File("repo");
        var import = CliRun.Run("import", "car", "--repo", repo, delta, "--json");
        Assert.Equal(1, import.ExitCode);
        var report = JsonNode.Parse(import.Out)!;
        Assert.False((bool)report["complete"]!);
        var incomplete = Assert.Single(report["incomplete"]!.AsArray())!;
        Assert.Equal(table, (string)incomplete["root"]!);
        string missing = (string)incomplete["missing"]!;
        Assert.StartsWith("bafkrei", missing, StringComparison.Ordinal);
        Assert.Contains($"table {table} is incomplete here", CliRun.Run("import", "car", "--repo", repo, delta).Error, StringComparison.Ordinal);

        string[][] readers =
        [
            ["get", "--repo", repo, table, "-o", _temp.File("x.arrows")],
            ["get", "--repo", repo, table],
            ["cat", "--repo", repo, table],
            ["export", "parquet", "--repo", repo, table, "-o", _temp.File("x.parquet")],
            ["export", "car", "--repo", repo, table, "-o", _temp.File("x.car")],
        ];
        foreach (string[] args in readers)
        {
            var refused = CliRun.Run(args);
            Assert.True(refused.ExitCode == 1, $"{string.Join(' ', args)}: {refused.ExitCode} {refused.Error}");
            Assert.Contains($"table {table} is incomplete here: its block {missing} is missing", refused.Error, StringComparison.Ordinal);
            Assert.Empty(refused.BinaryOut);
            Assert.DoesNotContain("batch 0", refused.Out, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(_temp.File("x.arrows")));
        Assert.False(File.Exists(_temp.File("x.parquet")));
        Assert.False(File.Exists(_temp.File("x.car")));

        // The base, then the delta again: a whole table, registered as one, that reads back as put.
        Assert.Equal(0, CliRun.Run("import", "car", "--repo", repo, baseCar).ExitCode);
        Assert.Equal(0, CliRun.Run("import", "car", "--repo", repo, delta).ExitCode);
        Assert.Contains($"table {table} ", CliRun.Run("ls", "--repo", repo).Out, StringComparison.Ordinal);
        Assert.Equal(0, CliRun.Run("get", "--repo", repo, table, "-o", _temp.File("whole.arrows")).ExitCode);
        Assert.Equal(table, Table(CliRun.Run("cid", _temp.File("whole.arrows"))));
    }
}
