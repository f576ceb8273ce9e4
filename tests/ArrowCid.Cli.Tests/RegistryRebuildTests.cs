using System.Text.Json.Nodes;
using static ArrowCid.Cli.Tests.CliOutput;

namespace ArrowCid.Cli.Tests;

/// <summary>
/// <c>verify --repair --rebuild-registry</c> on a repository that has seen puts, names, tags, pins,
/// unpins and a gc that compacted its packs (dropping the log entries of the rows it kept, which
/// only the journal then holds): after registry.db is removed or damaged, the rebuild gives back
/// the same <c>ls --json</c>, <c>names --json</c> and <c>log --json</c>, and <c>verify</c> is clean.
/// </summary>
public sealed class RegistryRebuildTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("removed")]
    [InlineData("truncated")]
    public void A_rebuilt_registry_lists_every_row_name_version_tag_and_pin_as_before(string damage)
    {
        string repo = _temp.File("repo");
        var history = MakeHistory(repo);
        string[] names = ["sales", "other"];
        var before = Listings(repo, names);

        if (damage == "removed")
        {
            foreach (string file in Directory.EnumerateFiles(repo, "registry.db*"))
            {
                File.Delete(file);
            }
        }
        else
        {
            using (var database = new FileStream(Path.Combine(repo, "registry.db"), FileMode.Open, FileAccess.Write))
            {
                database.SetLength(database.Length / 3);
            }

            var refused = CliRun.Run("names", "--repo", repo);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("verify --repair --rebuild-registry", refused.Error, StringComparison.Ordinal);
        }

        var rebuilt = CliRun.Run("verify", "--repo", repo, "--repair", "--rebuild-registry", "--json");
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Error + rebuilt.Out);
        var report = JsonNode.Parse(rebuilt.Out)!.AsObject();
        Assert.Equal(4, (int)report["rebuilt"]!["versions"]!);
        Assert.Empty(report["rebuilt"]!["unrecorded"]!.AsArray());
        Assert.Equal(damage == "truncated", report["rebuilt"]!["set_aside"] is not null);

        var after = Listings(repo, names);
        Assert.Equal(before, after);
        Assert.Contains(": clean", CliRun.Run("verify", "--repo", repo).Out, StringComparison.Ordinal);

        // What gc removed stays removed, and the rebuilt registry keeps what it kept through the next gc.
        Assert.DoesNotContain(history.Collected, after["ls"], StringComparison.Ordinal);
        Assert.Equal(0, CliRun.Run("gc", "--repo", repo).ExitCode);
        Assert.Equal(before["ls"], Listings(repo, names)["ls"]);
        Assert.Equal(0, CliRun.Run("get", "--repo", repo, "sales@1", "-o", _temp.File("v1.arrows")).ExitCode);
    }

    [Fact]
    public void A_rebuild_is_refused_while_a_node_serves_the_folder_and_needs_repair()
    {
        string repo = _temp.File("served");
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, Csv("one", 1, 10)).ExitCode);
        using (Repository.NodeLease.Acquire(repo))
        {
            var refused = CliRun.Run("verify", "--repo", repo, "--repair", "--rebuild-registry");
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("already served", refused.Error, StringComparison.Ordinal);
        }

        var alone = CliRun.Run("verify", "--repo", repo, "--rebuild-registry");
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("need --repair", alone.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(repo, "registry.db")));
    }

    // Puts (named, tagged, pinned and not), an unpin, and a gc that removes most of the first pack, so it is rewritten.
    private (string Collected, string Kept) MakeHistory(string repo)
    {
        string first = Table(CliRun.Run("put", "--repo", repo, Csv("first", 1, 40), "--name", "sales", "--tag", "team=north"));
        var loose = new List<string>();
        for (int i = 0; i < 24; i++)
        {
            loose.Add(Table(CliRun.Run("put", "--repo", repo, Csv($"loose{i}", 100 + i, 300), "--no-pin", "--tag", "batch=" + i)));
        }

        string second = Table(CliRun.Run("put", "--repo", repo, Csv("second", 2, 50), "--name", "sales"));
        string other = Table(CliRun.Run("put", "--repo", repo, Csv("other", 3, 60), "--name", "other", "--no-pin", "--tag", "team=south"));
        string pinned = Table(CliRun.Run("put", "--repo", repo, Csv("pinned", 4, 70)));
        string unpinned = Table(CliRun.Run("put", "--repo", repo, Csv("unpinned", 5, 80)));
        Assert.Equal(0, CliRun.Run("unpin", "--repo", repo, unpinned).ExitCode);
        Assert.Equal(0, CliRun.Run("unpin", "--repo", repo, "sales@1").ExitCode);

        var gc = CliRun.Run("gc", "--repo", repo, "--json");
        Assert.True(gc.ExitCode == 0, gc.Error);
        var report = JsonNode.Parse(gc.Out)!.AsObject();
        Assert.True((int)report["packs_rewritten"]! >= 1, gc.Out);
        Assert.Contains(unpinned, report["removed_records"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(0, CliRun.Run("put", "--repo", repo, Csv("third", 6, 90), "--name", "other").ExitCode);
        _ = (first, second, other, pinned);
        return (loose[0], pinned);
    }

    private static Dictionary<string, string> Listings(string repo, string[] names)
    {
        var listings = new Dictionary<string, string>
        {
            ["ls"] = Ok(CliRun.Run("ls", "--repo", repo, "--json")),
            ["names"] = Ok(CliRun.Run("names", "--repo", repo, "--json")),
        };
        foreach (string name in names)
        {
            listings["log " + name] = Ok(CliRun.Run("log", "--repo", repo, name, "--json"));
        }

        return listings;
    }

    private static string Ok(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.Error);
        return result.Out;
    }

    private string Csv(string name, int seed, int rows)
    {
        string path = _temp.File($"{name}.csv");
        File.WriteAllLines(path, ["id,v", .. Enumerable.Range(0, rows).Select(k => $"{k},{(seed * 7919) + k}")]);
        return path;
    }
}
