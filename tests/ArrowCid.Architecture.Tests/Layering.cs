namespace ArrowCid.Architecture.Tests;

/// <summary>
/// The order of the src/ projects (docs/architecture.md): a project may reference only projects
/// in a lower layer. Two projects in one layer are siblings and do not reference each other.
/// </summary>
internal static class Layering
{
    /// <summary>Bottom first. A new src/ project must be placed here before the test passes.</summary>
    public static readonly string[][] Layers =
    [
        // HTTP/2 references nothing of ours: it sits at the bottom beside Arrow.
        ["ArrowCid.Arrow", "ArrowCid.Http2"],
        ["ArrowCid.Content", "ArrowCid.Parquet", "ArrowCid.Ingest", "ArrowCid.DuckDb", "ArrowCid.Grpc"],
        // Shared memory sits beside the registry, over Content: it publishes canonical blocks and
        // needs no metadata store (DESIGN.md: it "knows nothing of the registry").
        ["ArrowCid.Registry", "ArrowCid.SharedMemory"],
        // The repository joins blocks and their metadata, and reads blocks wherever they live (shared memory too).
        ["ArrowCid.Repository"],
        ["ArrowCid.Flight"],
        // The HTTP face of a node, over the same Flight service (its content, registry and tokens).
        ["ArrowCid.Gateway"],
        // Every benchmark, over the libraries it measures; the CLI's bench commands call into it.
        ["ArrowCid.Bench"],
        ["ArrowCid.Cli"],
    ];

    /// <summary>
    /// Wrong-way references that exist today and are on their way out. Each must still exist (so
    /// the list shrinks when one is fixed); no reference may be added here to make a test pass.
    /// </summary>
    public static readonly (string From, string To)[] KnownExceptions = [];

    /// <summary>Everything wrong with a graph's references, one line each; empty when it is layered.</summary>
    /// <param name="graph">Projects (repository-relative paths) and their references, as <see cref="ProjectGraph.Load"/> gives.</param>
    /// <param name="layers">The allowed order, bottom first.</param>
    /// <param name="exceptions">Wrong-way references tolerated for now.</param>
    public static List<string> Violations(
        IReadOnlyDictionary<string, IReadOnlyList<string>> graph,
        string[][] layers,
        (string From, string To)[] exceptions)
    {
        var layerOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < layers.Length; i++)
        {
            foreach (string name in layers[i])
            {
                layerOf[name] = i;
            }
        }

        var violations = new List<string>();
        var seenExceptions = new HashSet<(string, string)>();
        foreach (var (project, references) in graph)
        {
            foreach (string reference in references)
            {
                if (!graph.ContainsKey(reference))
                {
                    violations.Add($"{project} references {reference}, which is not a project of the solution's folders");
                }
            }

            if (ProjectGraph.FolderOf(project) != "src")
            {
                continue;
            }

            string from = ProjectGraph.NameOf(project);
            if (!layerOf.TryGetValue(from, out int fromLayer))
            {
                violations.Add($"{project} is in no layer: place it in Layering.Layers (and docs/architecture.md)");
                continue;
            }

            foreach (string reference in references)
            {
                if (ProjectGraph.FolderOf(reference) != "src")
                {
                    violations.Add($"{from} references {reference}: a src project references src projects only");
                    continue;
                }

                string to = ProjectGraph.NameOf(reference);
                if (!layerOf.TryGetValue(to, out int toLayer) || toLayer < fromLayer)
                {
                    // An unplaced target is reported on its own line.
                    continue;
                }

                if (exceptions.Contains((from, to)))
                {
                    seenExceptions.Add((from, to));
                    continue;
                }

                string direction = toLayer == fromLayer ? "a sibling in its own layer" : "a higher layer";
                violations.Add($"{from} (layer {fromLayer}) references {to} (layer {toLayer}), {direction}: references point down only");
            }
        }

        foreach (var exception in exceptions)
        {
            if (!seenExceptions.Contains(exception))
            {
                violations.Add($"the known exception {exception.From} → {exception.To} no longer exists: remove it from Layering.KnownExceptions");
            }
        }

        violations.AddRange(Cycles(graph));
        return violations;
    }

    /// <summary>One line per reference cycle found by a depth-first walk.</summary>
    private static List<string> Cycles(IReadOnlyDictionary<string, IReadOnlyList<string>> graph)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        var onPath = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<string>();

        void Visit(string project)
        {
            if (done.Contains(project))
            {
                return;
            }

            if (!onPath.Add(project))
            {
                var cycle = path.Skip(path.IndexOf(project)).Append(project).Select(ProjectGraph.NameOf);
                found.Add("reference cycle: " + string.Join(" → ", cycle));
                return;
            }

            path.Add(project);
            foreach (string reference in graph.TryGetValue(project, out var references) ? references : [])
            {
                Visit(reference);
            }

            path.RemoveAt(path.Count - 1);
            onPath.Remove(project);
            done.Add(project);
        }

        foreach (string project in graph.Keys)
        {
            Visit(project);
        }

        return found;
    }
}
