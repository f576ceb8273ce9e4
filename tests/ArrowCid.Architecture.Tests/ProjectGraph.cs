using System.Xml.Linq;

namespace ArrowCid.Architecture.Tests;

/// <summary>
/// The project references of the repository as written in its project files: each project (a
/// repository-relative path with '/' separators, e.g. <c>src/ArrowCid.Arrow/ArrowCid.Arrow.csproj</c>)
/// and the projects its <c>ProjectReference</c> items name, resolved to the same form.
/// </summary>
internal static class ProjectGraph
{
    /// <summary>The folders whose <c>*/*.csproj</c> make up the solution.</summary>
    public static readonly string[] Folders = ["src", "tests", "samples"];

    /// <summary>Every project under <see cref="Folders"/> and its references.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> Load(string root)
    {
        var graph = new SortedDictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (string folder in Folders)
        {
            string path = Path.Combine(root, folder);
            if (!Directory.Exists(path))
            {
                continue;
            }

            foreach (string project in Directory.EnumerateFiles(path, "*.csproj", SearchOption.AllDirectories))
            {
                // One level deep only: folder/Name/Name.csproj (build outputs never sit there).
                if (Path.GetDirectoryName(Path.GetDirectoryName(project)) != path)
                {
                    continue;
                }

                graph[Relative(root, project)] = ReferencesOf(root, project);
            }
        }

        return graph;
    }

    /// <summary>Every project under <see cref="Folders"/> and the assemblies its <c>InternalsVisibleTo</c> items name.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> LoadFriends(string root) =>
        Load(root).Keys.ToDictionary(
            project => project,
            project => (IReadOnlyList<string>)XDocument.Load(Path.Combine(root, project))
                .Descendants()
                .Where(e => e.Name.LocalName == "InternalsVisibleTo")
                .Select(e => (string?)e.Attribute("Include"))
                .OfType<string>()
                .ToList(),
            StringComparer.Ordinal);

    /// <summary>The assembly a project builds: its <c>AssemblyName</c>, else its name.</summary>
    public static string AssemblyOf(string root, string project) =>
        XDocument.Load(Path.Combine(root, project)).Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value ?? NameOf(project);

    /// <summary>The project's name: its file name without <c>.csproj</c>.</summary>
    public static string NameOf(string project) => Path.GetFileNameWithoutExtension(project);

    /// <summary>The top folder a project lives in (<c>src</c>, <c>tests</c>, <c>samples</c>).</summary>
    public static string FolderOf(string project) => project.Split('/')[0];

    private static List<string> ReferencesOf(string root, string project)
    {
        string directory = Path.GetDirectoryName(project)!;
        return XDocument.Load(project)
            .Descendants()
            .Where(e => e.Name.LocalName == "ProjectReference")
            .Select(e => (string?)e.Attribute("Include"))
            .OfType<string>()
            // MSBuild accepts either separator; the files here use '\'.
            .Select(include => Relative(root, Path.GetFullPath(Path.Combine(directory, include.Replace('\\', '/')))))
            .ToList();
    }

    private static string Relative(string root, string path) =>
        Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
}
