using System.Text.Json;
using System.Text.RegularExpressions;
using ArrowCid.TestSupport;

namespace ArrowCid.Architecture.Tests;

/// <summary>One version number for every artefact: the CLI and libarrowcid (Directory.Build.props), and the Python, Rust and JavaScript packages.</summary>
public sealed partial class VersionTests
{
    [Fact]
    public void Every_artefact_carries_the_version_Directory_Build_props_sets()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        string Read(string file) => File.ReadAllText(Path.Combine(root, file));
        string version = PropsVersion().Match(Read("Directory.Build.props")) is { Success: true } props ? props.Groups[1].Value : throw new InvalidDataException("Directory.Build.props sets no <Version>");

        var found = new Dictionary<string, string?>
        {
            ["clients/python/pyproject.toml"] = TomlVersion().Match(Read("clients/python/pyproject.toml")).Groups[1].Value,
            ["clients/rust/arrowcid/Cargo.toml"] = TomlVersion().Match(Read("clients/rust/arrowcid/Cargo.toml")).Groups[1].Value,
            ["clients/rust/arrowcid-sys/Cargo.toml"] = TomlVersion().Match(Read("clients/rust/arrowcid-sys/Cargo.toml")).Groups[1].Value,
            ["clients/js/package.json"] = JsonDocument.Parse(Read("clients/js/package.json")).RootElement.GetProperty("version").GetString(),
            ["clients/explorer/package.json"] = JsonDocument.Parse(Read("clients/explorer/package.json")).RootElement.GetProperty("version").GetString(),
        };
        var csproj = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.csproj", SearchOption.AllDirectories)
            .Where(file => File.ReadAllText(file).Contains("<Version>", StringComparison.Ordinal));

        Assert.Empty(csproj);
        Assert.All(found, entry => Assert.True(entry.Value == version, $"{entry.Key} says {entry.Value}, Directory.Build.props {version}"));
        Assert.Equal(version, typeof(VersionTests).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : null);
    }

    [GeneratedRegex(@"<Version>([^<]+)</Version>")]
    private static partial Regex PropsVersion();

    [GeneratedRegex(@"(?m)^version\s*=\s*""([^""]+)""")]
    private static partial Regex TomlVersion();
}
