using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// A repository whose registry.db is lost after a gc compacted its packs (so the write-ahead log no
/// longer names every table): gc refuses to delete what now looks unregistered, and verify --repair
/// registers every stored block again, pinned, so the acknowledged table reads back and nothing is lost.
/// </summary>
public sealed class LostRegistryTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void After_a_lost_registry_gc_refuses_and_repair_keeps_every_stored_table()
    {
        string repo = _temp.File("repo");
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, CliRun.Run("put", "--repo", repo, Csv($"gone{i}", i), "--no-pin").ExitCode);
        }

        string kept = Table(CliRun.Run("put", "--repo", repo, Csv("kept", 9)));
        Assert.Equal(0, CliRun.Run("gc", "--repo", repo).ExitCode);
        foreach (string file in Directory.EnumerateFiles(repo, "registry.db*"))
        {
            File.Delete(file);
        }

        var gc = CliRun.Run("gc", "--repo", repo);
        Assert.Equal(1, gc.ExitCode);
        Assert.Contains("gc stopped: the registry has no rows", gc.Error, StringComparison.Ordinal);

        var repair = CliRun.Run("verify", "--repo", repo, "--repair");
        Assert.True(repair.ExitCode == 0, repair.Error);
        Assert.Contains(kept, CliRun.Run("ls", "--repo", repo).Out, StringComparison.Ordinal);
        Assert.Equal(0, CliRun.Run("get", "--repo", repo, kept, "-o", _temp.File("back.arrows")).ExitCode);
        Assert.Equal(kept, Table(CliRun.Run("cid", _temp.File("back.arrows"))));

        // The re-registered table is pinned: a gc now keeps it, and the repository is clean.
        Assert.Equal(0, CliRun.Run("gc", "--repo", repo).ExitCode);
        Assert.Equal(0, CliRun.Run("get", "--repo", repo, kept, "-o", _temp.File("again.arrows")).ExitCode);
        Assert.Contains("clean", CliRun.Run("verify", "--repo", repo).Out, StringComparison.Ordinal);
    }

    private string Csv(string name, int seed)
    {
        string path = _temp.File($"{name}.csv");
        File.WriteAllLines(path, ["id,v", .. Enumerable.Range(0, 3000).Select(k => $"{k},{(seed * 7919) + k}")]);
        return path;
    }
}
