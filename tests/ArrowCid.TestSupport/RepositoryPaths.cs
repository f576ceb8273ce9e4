namespace ArrowCid.TestSupport;

/// <summary>Where the repository and its conformance data (testdata/ in it) are.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding ArrowCid.sln, found by walking up from the test binaries; null if absent.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The repository's upstream conformance data (Arrow golden files, Parquet samples): testdata/.</summary>
    public static string TestData
    {
        get
        {
            string root = Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
            string path = Path.Combine(root, "testdata");
            return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"{path} not found in the repository");
        }
    }

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
