namespace ArrowCid.TestSupport;

/// <summary>
/// Programs of this solution that tests start as child processes (`arrowcid serve`, the samples,
/// crash children). Their build output sits beside the test's own in the artifacts tree:
/// bin/&lt;test project&gt;/&lt;pivot&gt;/ and bin/&lt;project&gt;/&lt;pivot&gt;/; the test project builds them
/// first through a ProjectReference with ReferenceOutputAssembly="false".
/// </summary>
public static class BuildOutputs
{
    /// <summary>The dotnet host running these tests (DOTNET_HOST_PATH), else `dotnet` from PATH.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>The path of <paramref name="assembly"/>.dll built by <paramref name="project"/>; throws when it was not built.</summary>
    public static string AssemblyPath(string project, string assembly)
    {
        string ours = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        string pivot = Path.GetFileName(ours);
        string path = Path.GetFullPath(Path.Combine(ours, "..", "..", project, pivot, assembly + ".dll"));
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built at {path}", path);
    }
}
