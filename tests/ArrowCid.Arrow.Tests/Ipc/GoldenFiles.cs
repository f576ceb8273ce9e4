namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>Locates the Arrow integration golden cases in ../shared/testdata beside the repository.</summary>
internal static class GoldenFiles
{
    public static string Root { get; } = FindRoot();

    /// <summary>Every case as (folder/name, path without extension), across all producer folders.</summary>
    public static IEnumerable<object[]> Cases() =>
        Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(p => new object[] { Path.GetRelativePath(Root, p)[..^".json.gz".Length] });

    public static string PathOf(string relativeCase, string extension) => Path.Combine(Root, relativeCase + extension);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "testdata", "arrow-ipc-golden");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = Path.Combine(dir.FullName, "..", "shared", "testdata", "arrow-ipc-golden");
            if (File.Exists(Path.Combine(dir.FullName, "ArrowCid.sln")) && Directory.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException("shared/testdata/arrow-ipc-golden not found beside the repository");
    }
}
