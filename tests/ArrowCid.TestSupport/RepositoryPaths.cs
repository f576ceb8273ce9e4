namespace ArrowCid.TestSupport;

/// <summary>Where the repository and the shared test data (../shared/testdata beside it) are.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding ArrowCid.sln, found by walking up from the test binaries; null if absent.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The shared test data folder (Arrow golden files, Parquet samples).</summary>
    public static string SharedTestData
    {
        get
        {
            string root = Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
            string path = Path.GetFullPath(Path.Combine(root, "..", "shared", "testdata"));
            return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"{path} not found beside the repository");
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
