using ArrowCid.TestSupport;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>The Arrow integration golden cases in the repository's testdata/arrow-ipc-golden.</summary>
internal static class GoldenFiles
{
    public static string Root { get; } = Path.Combine(RepositoryPaths.TestData, "arrow-ipc-golden");

    /// <summary>Every "folder/case" that has a .json.gz, over all producer folders, in ordinal order.</summary>
    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(Root, "*.json.gz", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p)[..^".json.gz".Length].Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    /// <summary>Every case as member data for a theory.</summary>
    public static IEnumerable<object[]> Cases() => All().Select(c => new object[] { c });

    /// <summary>Every case as theory data.</summary>
    public static TheoryData<string> Theory()
    {
        var data = new TheoryData<string>();
        foreach (var c in All())
        {
            data.Add(c);
        }

        return data;
    }

    public static string PathOf(string relativeCase, string extension) => Path.Combine(Root, relativeCase + extension);

    public static string JsonPath(string relativeCase) => PathOf(relativeCase, ".json.gz");
}
