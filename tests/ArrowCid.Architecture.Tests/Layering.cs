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
        // The JSON documents every face writes and reads (Flight bodies, HTTP API, CLI --json), one set of models.
        ["ArrowCid.Content", "ArrowCid.Parquet", "ArrowCid.DuckDb", "ArrowCid.Grpc", "ArrowCid.Wire"],
        // Shared memory sits beside the registry, over Content: it publishes canonical blocks and
        // needs no metadata store (it knows nothing of the registry). The Flight protocol and client
        // sit beside both: a program that only fetches needs no storage.
        // Ingest reads a table in whatever format it comes (Arrow IPC, CSV, Parquet).
        // The storage engine of blocks (files and packs) sits over the pure formats, beside them.
        // Signed names (keys, IPNS names and records) need only the multiformats and DAG-CBOR.
        ["ArrowCid.Registry", "ArrowCid.SharedMemory", "ArrowCid.Flight", "ArrowCid.Ingest", "ArrowCid.Content.Stores", "ArrowCid.Names"],
        // The repository joins blocks and their metadata, and reads blocks wherever they live (shared memory too).
        // Beside it, the durable tier below a node's disk (blocks on S3-compatible object storage): the
        // node puts the two together, so the repository never carries an S3 client.
        ["ArrowCid.Repository", "ArrowCid.ObjectStorage"],
        // The node, whatever protocol reaches it: content, peers (over the Flight client), registry, tokens, changes.
        // Beside it, the adapter that lets Apache.Arrow objects into puts and publishes and out of reads.
        ["ArrowCid.Node", "ArrowCid.Apache"],
        // SQL over the repository's tables on embedded DuckDB, and a node's queries under its limits,
        // which the faces answer Flight SQL and HTTP queries with.
        ["ArrowCid.Sql"],
        // The node's faces, siblings that never see each other: Flight, HTTP, and the C ABI (libarrowcid).
        ["ArrowCid.Flight.Service", "ArrowCid.Gateway", "ArrowCid.Native"],
        // Every benchmark, over the libraries it measures; the CLI's bench commands call into it.
        ["ArrowCid.Bench"],
        ["ArrowCid.Cli"],
    ];

    /// <summary>
    /// Wrong-way references that exist today and are on their way out. Each must still exist (so
    /// the list shrinks when one is fixed); no reference may be added here to make a test pass.
    /// </summary>
    public static readonly (string From, string To)[] KnownExceptions = [];

    /// <summary>
    /// Projects that must reach none of the named projects, directly or through others: the Flight
    /// client needs no storage (arrow-rs's arrow-flight has none), nor does the Arrow core anything.
    /// </summary>
    public static readonly (string From, string[] Never)[] Unreachable =
    [
        ("ArrowCid.Flight", ["ArrowCid.Registry", "ArrowCid.Repository", "ArrowCid.Parquet", "ArrowCid.SharedMemory", "ArrowCid.Content.Stores"]),
        // What needs only CIDs and the canonical form does not carry the storage engine.
        ("ArrowCid.Registry", ["ArrowCid.Content.Stores"]),
        ("ArrowCid.SharedMemory", ["ArrowCid.Content.Stores"]),
        ("ArrowCid.Gateway", ["ArrowCid.Flight.Service"]),
        ("ArrowCid.Flight.Service", ["ArrowCid.Gateway"]),
        ("ArrowCid.Native", ["ArrowCid.Flight.Service", "ArrowCid.Gateway"]),
    ];

    /// <summary>One line for each project a project of <see cref="Unreachable"/> reaches though it must not.</summary>
    /// <param name="graph">Projects and their references.</param>
    /// <param name="rules">What each project must never reach.</param>
    public static List<string> ForbiddenPaths(IReadOnlyDictionary<string, IReadOnlyList<string>> graph, (string From, string[] Never)[] rules)
    {
        var byName = graph.Keys.ToDictionary(ProjectGraph.NameOf, p => p, StringComparer.Ordinal);
        var violations = new List<string>();
        foreach (var (from, never) in rules)
        {
            if (!byName.TryGetValue(from, out string? start))
            {
                continue;
            }

            // Breadth-first, remembering how each project was reached, to print the path.
            var cameFrom = new Dictionary<string, string?>(StringComparer.Ordinal) { [start] = null };
            var queue = new Queue<string>([start]);
            while (queue.Count > 0)
            {
                string project = queue.Dequeue();
                foreach (string reference in graph.TryGetValue(project, out var references) ? references : [])
                {
                    if (cameFrom.TryAdd(reference, project))
                    {
                        queue.Enqueue(reference);
                    }
                }
            }

            foreach (string target in never)
            {
                if (byName.TryGetValue(target, out string? end) && cameFrom.ContainsKey(end))
                {
                    var path = new List<string>();
                    for (string? at = end; at is not null; at = cameFrom[at])
                    {
                        path.Add(ProjectGraph.NameOf(at));
                    }

                    path.Reverse();
                    violations.Add($"{from} must not reach {target}, but does: {string.Join(" → ", path)}");
                }
            }
        }

        return violations;
    }

    /// <summary>One line for each <c>InternalsVisibleTo</c> a src project grants another src project or a sample (only tests may be friends).</summary>
    /// <param name="friends">Each project and the assemblies it grants its internals.</param>
    /// <param name="srcAssemblies">The assembly names of the src projects.</param>
    public static List<string> FriendViolations(IReadOnlyDictionary<string, IReadOnlyList<string>> friends, IReadOnlySet<string> srcAssemblies)
    {
        var violations = new List<string>();
        foreach (var (project, granted) in friends)
        {
            if (ProjectGraph.FolderOf(project) != "src")
            {
                continue;
            }

            foreach (string friend in granted)
            {
                if (!friend.EndsWith(".Tests", StringComparison.Ordinal))
                {
                    string what = srcAssemblies.Contains(friend) ? "another src project" : "a project that is not a test";
                    violations.Add($"{ProjectGraph.NameOf(project)} lets {friend} see its internals, {what}: make what it needs public, or move it down a layer (only tests may be friends)");
                }
            }
        }

        return violations;
    }

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
