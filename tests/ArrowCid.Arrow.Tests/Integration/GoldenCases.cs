namespace ArrowCid.Arrow.Tests.Integration;

/// <summary>Finds the Arrow golden files (shared/testdata/arrow-ipc-golden) and lists every case in them.</summary>
internal static class GoldenCases
{
    private static readonly Lazy<string> RootDirectory = new(FindRoot);

    public static string Root => RootDirectory.Value;

    /// <summary>Every "folder/case" that has a .json.gz, over all producer folders.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)[..^".json.gz".Length].Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    public static string JsonPath(string folderAndCase) => Path.Combine(Root, folderAndCase + ".json.gz");

    public static TheoryData<string> Theory()
    {
        var data = new TheoryData<string>();
        foreach (var c in All())
        {
            data.Add(c);
        }

        return data;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "testdata", "arrow-ipc-golden");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("shared/testdata/arrow-ipc-golden not found above " + AppContext.BaseDirectory);
    }
}
