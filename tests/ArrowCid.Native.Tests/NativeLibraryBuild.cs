using System.Diagnostics;
using ArrowCid.TestSupport;

namespace ArrowCid.Native.Tests;

/// <summary>
/// libarrowcid.so as users build it: <c>dotnet publish src/ArrowCid.Native -c Release -r linux-x64
/// -o artifacts/native</c>. ./test.sh publishes it before the tests; a test run on its own
/// publishes it once (all tests share the one build).
/// </summary>
public static class NativeLibraryBuild
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? s_built;

    /// <summary>The folder of libarrowcid.so in this checkout.</summary>
    public static string Folder => Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root not found"), "artifacts", "native");

    /// <summary>The library's path, published first when it is missing (or when ARROWCID_NATIVE_REBUILD=1).</summary>
    public static async Task<string> LibraryAsync()
    {
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (s_built is not null)
            {
                return s_built;
            }

            string library = Path.Combine(Folder, "libarrowcid.so");
            // libarrowcid.so is the loader: a folder without the builds it loads is from before it.
            bool complete = File.Exists(library) && File.Exists(Path.Combine(Folder, "libarrowcid.x86-64-v2.so"));
            if (!complete || Environment.GetEnvironmentVariable("ARROWCID_NATIVE_REBUILD") == "1")
            {
                var start = new ProcessStartInfo(BuildOutputs.DotnetHost, ["publish", Path.Combine(RepositoryPaths.Root!, "src", "ArrowCid.Native"), "-c", "Release", "-r", "linux-x64", "-o", Folder])
                {
                    WorkingDirectory = RepositoryPaths.Root!,
                };
                var (exitCode, log) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(15)).ConfigureAwait(false);
                Assert.True(exitCode == 0 && File.Exists(library), $"publishing libarrowcid failed ({exitCode}):\n{log}");
            }

            s_built = library;
            return library;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The arrowcid CLI's apphost, built beside the tests.</summary>
    public static string Cli => Path.ChangeExtension(BuildOutputs.AssemblyPath("ArrowCid.Cli", "arrowcid"), null);
}
