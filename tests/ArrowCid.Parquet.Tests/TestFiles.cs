using ArrowCid.TestSupport;

namespace ArrowCid.Parquet.Tests;

/// <summary>Finds the Parquet sample files (testdata/parquet in the repository).</summary>
internal static class TestFiles
{
    private static readonly Lazy<string> Folder = new(Locate);

    public static string Directory => Folder.Value;

    public static byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Directory, name));

    public static IEnumerable<string> All() =>
        System.IO.Directory.GetFiles(Directory, "*.parquet").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    private static string Locate()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable("ARROWCID_TESTDATA");
        if (fromEnvironment is not null)
        {
            return Path.Combine(fromEnvironment, "parquet");
        }

        return Path.Combine(RepositoryPaths.TestData, "parquet");
    }
}
