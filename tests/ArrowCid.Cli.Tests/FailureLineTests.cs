namespace ArrowCid.Cli.Tests;

/// <summary>
/// Every failure is one line: a damaged registry names the file and the way out, a full disk says so,
/// and a failure no input should cause is exit 3, the whole exception only under --verbose.
/// </summary>
public sealed class FailureLineTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_damaged_registry_is_one_line_naming_the_file_and_the_repair_for_every_command()
    {
        string repo = _temp.File("repo");
        string csv = _temp.File("t.csv");
        File.WriteAllLines(csv, ["id,v", "1,2", "3,4"]);
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, csv, "--name", "t").ExitCode);
        using (var registry = new FileStream(Path.Combine(repo, "registry.db"), FileMode.Open))
        {
            registry.SetLength(5000);
        }

        foreach (var command in new[] { new[] { "names" }, new[] { "ls" }, new[] { "verify" }, new[] { "verify", "--repair" }, new[] { "gc" } })
        {
            var result = CliRun.Run([.. command, "--repo", repo]);
            Assert.Equal(1, result.ExitCode);
            Assert.Single(CliOutput.Lines(result.Error));
            Assert.Contains("registry.db in the repository folder) is damaged", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_unexpected_failure_is_one_line_unless_verbose()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the cursor moved past the end");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        string line = CliErrors.DescribeUnexpected(new AggregateException(thrown), verbose: false);
        Assert.Equal("internal error: the cursor moved past the end (a bug: run again with --verbose for the trace, and report it)", line);
        Assert.False(CliErrors.IsExpected(thrown));

        string verbose = CliErrors.DescribeUnexpected(thrown, verbose: true);
        Assert.Contains("System.InvalidOperationException: the cursor moved past the end", verbose, StringComparison.Ordinal);
        Assert.Contains(" at ", verbose, StringComparison.Ordinal);
    }

    [Fact]
    public void Verbose_is_accepted_by_every_command_and_exit_codes_are_distinct()
    {
        Assert.Equal(0, CliRun.Run("--verbose", "cid", "--help").ExitCode);
        Assert.Equal(new[] { 0, 1, 2, 3 }, new[] { ExitCodes.Ok, ExitCodes.Failure, ExitCodes.Usage, ExitCodes.Internal });
    }

    [Fact]
    public void A_full_disk_and_a_damaged_registry_are_expected_and_say_the_way_out()
    {
        var full = new Microsoft.Data.Sqlite.SqliteException("SQLite Error 13: 'database or disk is full'.", 13);
        Assert.True(CliErrors.IsExpected(full));
        Assert.StartsWith("the disk is full: free space", CliErrors.Describe(full), StringComparison.Ordinal);
        var damaged = new Microsoft.Data.Sqlite.SqliteException("SQLite Error 11: 'database disk image is malformed'.", 11);
        Assert.True(CliErrors.IsExpected(damaged));
        Assert.Contains("registry.db", CliErrors.Describe(damaged), StringComparison.Ordinal);
    }
}
