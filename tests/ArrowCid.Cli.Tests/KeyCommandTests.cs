using System.Text.Json.Nodes;
using ArrowCid.Names;

namespace ArrowCid.Cli.Tests;

public sealed class KeyCommandTests
{
    [Fact]
    public void Keys_are_made_listed_exported_imported_and_removed_as_0600_files_and_self_is_the_nodes_identity()
    {
        using var repo = new TempFolder();
        string folder = Path.Combine(repo.Path, "repo");

        var made = CliRun.Run("--repo", folder, "key", "gen", "plant-3", "--json");
        Assert.True(made.ExitCode == 0, made.Error);
        string name = JsonNode.Parse(made.Out)![0]!["ipns_name"]!.GetValue<string>();
        Assert.StartsWith("k51", name, StringComparison.Ordinal);

        var listed = JsonNode.Parse(CliRun.Run("--repo", folder, "key", "list", "--json").Out)!.AsArray();
        Assert.Equal(["self", "plant-3"], listed.Select(k => k!["name"]!.GetValue<string>()));
        Assert.Equal(name, listed[1]!["ipns_name"]!.GetValue<string>());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "keys", "plant-3")));
        }

        // Exported and imported under another name: the same key, the same name.
        string exported = Path.Combine(repo.Path, "plant-3.key");
        Assert.Equal(0, CliRun.Run("--repo", folder, "key", "export", "plant-3", "-o", exported).ExitCode);
        Assert.Equal(0, CliRun.Run("--repo", folder, "key", "rm", "plant-3").ExitCode);
        var imported = CliRun.Run("--repo", folder, "key", "import", "again", exported);
        Assert.Equal($"{name} again", imported.Out.Trim());
        using (var key = new NameKeyStore(folder).Load("again"))
        {
            Assert.Equal(name, key.Name.ToString());
        }

        // Refusals: a name taken, self, a bad name, a missing key, a file that is no key.
        Assert.Contains("already", CliRun.Run("--repo", folder, "key", "gen", "again").Error, StringComparison.Ordinal);
        Assert.Contains("identity", CliRun.Run("--repo", folder, "key", "rm", "self").Error, StringComparison.Ordinal);
        Assert.Contains("not a key name", CliRun.Run("--repo", folder, "key", "gen", "../x").Error, StringComparison.Ordinal);
        Assert.Contains("no key is named", CliRun.Run("--repo", folder, "key", "rm", "nothing").Error, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(repo.Path, "junk.key"), "junk");
        Assert.Contains("not a libp2p Ed25519 private key", CliRun.Run("--repo", folder, "key", "import", "junk", Path.Combine(repo.Path, "junk.key")).Error, StringComparison.Ordinal);
    }
}
