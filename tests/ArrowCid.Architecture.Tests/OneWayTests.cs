using ArrowCid.TestSupport;

namespace ArrowCid.Architecture.Tests;

/// <summary>One way to do one thing, where a second way would be a slower copy of the first.</summary>
public sealed class OneWayTests
{
    [Fact]
    public void Whole_blocks_are_hashed_through_ArrowCid_Content_Sha256_only()
    {
        // .NET's one-shot SHA-256 costs a small block half as much again as its hashing (OpenSSL
        // 3's EVP context): the product's own code hashes through Sha256, which bypasses that. The
        // benchmarks call .NET's directly on purpose: it is their reference.
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        string src = Path.Combine(root, "src");
        var callers = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(file => Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(file => !file.StartsWith("src/ArrowCid.Bench/", StringComparison.Ordinal) && file != "src/ArrowCid.Content/Sha256.cs")
            .Where(file => File.ReadAllText(Path.Combine(root, file)).Contains("SHA256.HashData(", StringComparison.Ordinal))
            .ToList();

        Assert.True(callers.Count == 0, "SHA256.HashData outside ArrowCid.Content.Sha256: " + string.Join(", ", callers));
    }
}
