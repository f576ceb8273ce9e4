using System.Security.Cryptography;
using ArrowCid.TestSupport;

namespace ArrowCid.Architecture.Tests;

/// <summary>
/// A clone tests itself: the conformance data lives in the repository as upstream wrote it, and
/// nothing the suite or the clients run reads a folder beside the repository.
/// </summary>
public sealed class StandAloneTests
{
    private static string Root => RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");

    [Fact]
    public void Every_conformance_file_is_in_testdata_with_the_digest_SHA256SUMS_lists()
    {
        string folder = RepositoryPaths.TestData;
        var listed = File.ReadAllLines(Path.Combine(folder, "SHA256SUMS"))
            .Where(line => line.Length > 0)
            .Select(line => (Digest: line[..64], File: line[66..]))
            .ToList();
        var present = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(file => Path.GetRelativePath(folder, file).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(file => file.Contains('/', StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(listed.Select(entry => entry.File).Order(StringComparer.Ordinal), present);
        Assert.True(listed.Count >= 100, $"only {listed.Count} files listed");
        foreach (var (digest, file) in listed)
        {
            string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(folder, file))));
            Assert.True(digest == actual, $"{file}: SHA-256 {actual}, SHA256SUMS says {digest}");
        }

        string readme = File.ReadAllText(Path.Combine(folder, "README.md"));
        foreach (string provenance in new[] { "apache/arrow-testing", "apache/parquet-testing", "9cfebfef8982fb8612e0a2c59059752bd32321a3", "1a2a75127be06fc0123f03ebd36c966f7beda27d", "Apache-2.0" })
        {
            Assert.Contains(provenance, readme, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(Path.Combine(folder, "LICENSE-Apache-2.0.txt")));
    }

    [Fact]
    public void No_test_client_or_script_reads_a_folder_beside_the_repository()
    {
        // A user's clone has nothing beside it: a path that climbs out of the repository to one of
        // the folders beside it here works only on the machine it was written on. Those folders
        // are whatever stands beside this checkout (on a developer's machine and in CI: some).
        string parent = Path.GetDirectoryName(Root) ?? Root;
        var climbs = Directory.EnumerateDirectories(parent)
            .Select(Path.GetFileName)
            .Where(sibling => sibling is not null && sibling != Path.GetFileName(Root))
            .SelectMany(sibling => new[] { $"../{sibling}/", $"'..', '{sibling}'", $"\"..\", \"{sibling}\"" })
            .ToList();
        string[] roots = ["tests", "src", "clients", "interop", "samples"];
        string[] kinds = [".cs", ".mjs", ".js", ".ts", ".py", ".sh", ".rs", ".c", ".cpp", ".h", ".txt", ".csproj", ".props", ".json"];
        var offenders = roots
            .Select(folder => Path.Combine(Root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(file => kinds.Contains(Path.GetExtension(file), StringComparer.Ordinal))
            .Where(file => !IsGenerated(file))
            .Concat(new[] { "test.sh", Path.Combine(".ci", "run") }.Select(file => Path.Combine(Root, file)).Where(File.Exists))
            .Where(file => File.ReadAllText(file) is string text && climbs.Any(climb => text.Contains(climb, StringComparison.Ordinal)))
            .Select(file => Path.GetRelativePath(Root, file))
            .ToList();

        Assert.True(offenders.Count == 0, "reads beside the repository: " + string.Join(", ", offenders));
    }

    private static bool IsGenerated(string file)
    {
        char s = Path.DirectorySeparatorChar;
        return file.Contains($"{s}node_modules{s}", StringComparison.Ordinal) || file.Contains($"{s}obj{s}", StringComparison.Ordinal)
            || file.Contains($"{s}target{s}", StringComparison.Ordinal)
            || file.Contains($"{s}dist{s}", StringComparison.Ordinal);
    }
}
