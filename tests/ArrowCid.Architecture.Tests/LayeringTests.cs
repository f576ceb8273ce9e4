using ArrowCid.TestSupport;

namespace ArrowCid.Architecture.Tests;

/// <summary>Project references point down the layers of docs/architecture.md, and the check itself catches each kind of mistake.</summary>
public sealed class LayeringTests
{
    private const string Arrow = "src/ArrowCid.Arrow/ArrowCid.Arrow.csproj";
    private const string Content = "src/ArrowCid.Content/ArrowCid.Content.csproj";
    private const string Registry = "src/ArrowCid.Registry/ArrowCid.Registry.csproj";
    private const string Repository = "src/ArrowCid.Repository/ArrowCid.Repository.csproj";
    private const string SharedMemory = "src/ArrowCid.SharedMemory/ArrowCid.SharedMemory.csproj";
    private const string Flight = "src/ArrowCid.Flight/ArrowCid.Flight.csproj";
    private const string Http2 = "src/ArrowCid.Http2/ArrowCid.Http2.csproj";
    private const string Grpc = "src/ArrowCid.Grpc/ArrowCid.Grpc.csproj";
    private const string Gateway = "src/ArrowCid.Gateway/ArrowCid.Gateway.csproj";
    private const string Node = "src/ArrowCid.Node/ArrowCid.Node.csproj";
    private const string FlightService = "src/ArrowCid.Flight.Service/ArrowCid.Flight.Service.csproj";
    private const string Parquet = "src/ArrowCid.Parquet/ArrowCid.Parquet.csproj";
    private const string Bench = "src/ArrowCid.Bench/ArrowCid.Bench.csproj";
    private const string Cli = "src/ArrowCid.Cli/ArrowCid.Cli.csproj";
    private const string Support = "tests/ArrowCid.TestSupport/ArrowCid.TestSupport.csproj";

    [Fact]
    public void The_repository_references_point_down_the_layers()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        var graph = ProjectGraph.Load(root);

        var violations = Layering.Violations(graph, Layering.Layers, Layering.KnownExceptions);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void The_flight_client_needs_no_storage_and_the_faces_never_see_each_other()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");

        var violations = Layering.ForbiddenPaths(ProjectGraph.Load(root), Layering.Unreachable);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void Only_tests_see_the_internals_of_a_src_project()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        var graph = ProjectGraph.Load(root);
        var src = graph.Keys.Where(p => ProjectGraph.FolderOf(p) == "src").Select(p => ProjectGraph.AssemblyOf(root, p)).ToHashSet(StringComparer.Ordinal);
        var friends = ProjectGraph.LoadFriends(root);

        // The parse found the friends that are there (a test project of the Flight client), so an empty result means none.
        Assert.Contains("ArrowCid.Flight.Tests", friends[Flight]);
        var violations = Layering.FriendViolations(friends, src);

        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    [Fact]
    public void A_src_project_befriending_another_or_a_sample_is_reported()
    {
        var friends = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
        {
            [Flight] = ["ArrowCid.Flight.Tests", "ArrowCid.Gateway"],
            [Bench] = ["arrowcid", "Consumer"],
            ["tests/ArrowCid.TestSupport/ArrowCid.TestSupport.csproj"] = ["Anything"],
        };

        var violations = Layering.FriendViolations(friends, new HashSet<string>(StringComparer.Ordinal) { "ArrowCid.Gateway", "arrowcid" });

        Assert.Equal(3, violations.Count);
        Assert.Contains(violations, v => v.StartsWith("ArrowCid.Flight lets ArrowCid.Gateway", StringComparison.Ordinal) && v.Contains("another src project", StringComparison.Ordinal));
        Assert.Contains(violations, v => v.StartsWith("ArrowCid.Bench lets Consumer", StringComparison.Ordinal) && v.Contains("not a test", StringComparison.Ordinal));
    }

    [Fact]
    public void A_path_from_the_flight_client_to_storage_is_reported_with_its_steps()
    {
        var graph = Graph((Flight, [Grpc, Node]), (Grpc, [Http2]), (Http2, []), (Node, [Repository]), (Repository, [Registry]), (Registry, [Content]), (Content, [Arrow]), (Arrow, []), (Parquet, []), (SharedMemory, []));

        var violations = Layering.ForbiddenPaths(graph, Layering.Unreachable);

        Assert.Contains("ArrowCid.Flight must not reach ArrowCid.Repository, but does: ArrowCid.Flight → ArrowCid.Node → ArrowCid.Repository", violations);
        Assert.Contains(violations, v => v.StartsWith("ArrowCid.Flight must not reach ArrowCid.Registry", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.Contains("must not reach ArrowCid.Parquet", StringComparison.Ordinal));
    }

    [Fact]
    public void A_face_reaching_the_other_is_reported()
    {
        var graph = Graph((Gateway, [Node, FlightService]), (FlightService, [Node]), (Node, []));

        Assert.Equal("ArrowCid.Gateway must not reach ArrowCid.Flight.Service, but does: ArrowCid.Gateway → ArrowCid.Flight.Service", Assert.Single(Layering.ForbiddenPaths(graph, Layering.Unreachable)));
    }

    [Fact]
    public void The_graph_in_docs_architecture_md_is_the_graph_of_the_project_files()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        var actual = ProjectGraph.Load(root)
            .Where(p => ProjectGraph.FolderOf(p.Key) == "src")
            .SelectMany(p => p.Value.Select(r => $"{DocName(p.Key)} --> {DocName(r)}"))
            .ToHashSet(StringComparer.Ordinal);

        var drawn = ArchitectureDoc.Edges(File.ReadAllText(Path.Combine(root, "docs", "architecture.md")));

        Assert.True(drawn.SetEquals(actual), $"docs/architecture.md draws {string.Join(", ", drawn.Except(actual))} that the project files lack, and lacks {string.Join(", ", actual.Except(drawn))}");

        static string DocName(string project) => ProjectGraph.NameOf(project).Replace("ArrowCid.", string.Empty, StringComparison.Ordinal).Replace(".", string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void The_doc_graph_reader_finds_every_edge_of_the_mermaid_block_only()
    {
        const string doc = "text A --> B\n```mermaid\ngraph BT\n  Content --> Arrow\n  FlightService --> Node\n```\nafter C --> D\n";

        var edges = ArchitectureDoc.Edges(doc);

        Assert.Equal(["Content --> Arrow", "FlightService --> Node"], edges.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_src_project_is_read_with_its_references()
    {
        string root = RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the repository root (ArrowCid.sln) was not found");
        var graph = ProjectGraph.Load(root);

        // The check is only as good as the graph it reads: every placed project is found, and a
        // project known to have references has them (so the parse did not silently find none).
        foreach (string name in Layering.Layers.SelectMany(layer => layer))
        {
            Assert.Contains($"src/{name}/{name}.csproj", graph.Keys);
        }

        Assert.Contains(Arrow, graph[Content]);
        Assert.Contains(Flight, graph[Cli]);
        Assert.Contains(Node, graph[Gateway]);
        Assert.Contains(Node, graph[FlightService]);
        Assert.Contains(Http2, graph[Grpc]);
        Assert.Contains(Grpc, graph[Flight]);
        Assert.Contains(Bench, graph[Cli]);
        Assert.Contains(Gateway, graph[Bench]);
        Assert.Contains(Registry, graph[Repository]);
        Assert.DoesNotContain(Registry, graph[SharedMemory]);
        Assert.Empty(graph[Http2]);
    }

    [Fact]
    public void A_layered_graph_has_no_violations()
    {
        var graph = Graph(
            (Arrow, []), (Content, [Arrow]), (Registry, [Content]), (SharedMemory, [Content]), (Repository, [Registry, SharedMemory]),
            (Http2, []), (Grpc, [Http2]), (Flight, [Grpc, Content]), (Node, [Flight, Repository, SharedMemory]), (FlightService, [Node]), (Gateway, [Node]),
            (Bench, [FlightService, Gateway, SharedMemory]), (Cli, [Bench, Flight]));

        Assert.Empty(Layering.Violations(graph, Layering.Layers, Layering.KnownExceptions));
    }

    [Theory]
    [InlineData(Http2, Grpc, "ArrowCid.Http2 (layer 0) references ArrowCid.Grpc (layer 1), a higher layer")]
    [InlineData(Http2, Arrow, "ArrowCid.Http2 (layer 0) references ArrowCid.Arrow (layer 0), a sibling")]
    [InlineData(Grpc, Flight, "ArrowCid.Grpc (layer 1) references ArrowCid.Flight (layer 2), a higher layer")]
    [InlineData(Flight, Bench, "ArrowCid.Flight (layer 2) references ArrowCid.Bench (layer 7), a higher layer")]
    [InlineData(Flight, Gateway, "ArrowCid.Flight (layer 2) references ArrowCid.Gateway (layer 6), a higher layer")]
    [InlineData(Gateway, Bench, "ArrowCid.Gateway (layer 6) references ArrowCid.Bench (layer 7), a higher layer")]
    [InlineData(Registry, Repository, "ArrowCid.Registry (layer 2) references ArrowCid.Repository (layer 3), a higher layer")]
    [InlineData(SharedMemory, Registry, "ArrowCid.SharedMemory (layer 2) references ArrowCid.Registry (layer 2), a sibling")]
    [InlineData(Bench, Cli, "ArrowCid.Bench (layer 7) references ArrowCid.Cli (layer 8), a higher layer")]
    [InlineData(Flight, Repository, "ArrowCid.Flight (layer 2) references ArrowCid.Repository (layer 3), a higher layer")]
    [InlineData(Node, FlightService, "ArrowCid.Node (layer 4) references ArrowCid.Flight.Service (layer 6), a higher layer")]
    [InlineData(FlightService, Gateway, "ArrowCid.Flight.Service (layer 6) references ArrowCid.Gateway (layer 6), a sibling")]
    [InlineData(Gateway, FlightService, "ArrowCid.Gateway (layer 6) references ArrowCid.Flight.Service (layer 6), a sibling")]
    public void A_wrong_way_reference_between_parts_is_reported(string from, string to, string expected)
    {
        var graph = Graph((Arrow, []), (Http2, []), (Grpc, []), (Registry, []), (SharedMemory, []), (Repository, []), (Flight, []), (Node, []), (FlightService, []), (Gateway, []), (Bench, []), (Cli, []));
        graph[from] = [to];

        Assert.Contains(expected, Assert.Single(Layering.Violations(graph, Layering.Layers, [])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_to_a_higher_layer_is_reported()
    {
        var graph = Graph((Arrow, [Content]), (Content, []));

        string violation = Assert.Single(Layering.Violations(graph, Layering.Layers, []));
        Assert.Contains("ArrowCid.Arrow (layer 0) references ArrowCid.Content (layer 1)", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_to_a_sibling_is_reported_unless_it_is_a_known_exception()
    {
        var graph = Graph((Registry, []), (SharedMemory, [Registry]));

        Assert.Contains("a sibling", Assert.Single(Layering.Violations(graph, Layering.Layers, [])), StringComparison.Ordinal);
        Assert.Empty(Layering.Violations(graph, Layering.Layers, [("ArrowCid.SharedMemory", "ArrowCid.Registry")]));
    }

    [Fact]
    public void A_known_exception_that_no_longer_exists_is_reported()
    {
        var graph = Graph((Registry, []), (SharedMemory, []));

        string violation = Assert.Single(Layering.Violations(graph, Layering.Layers, [("ArrowCid.SharedMemory", "ArrowCid.Registry")]));
        Assert.Contains("no longer exists", violation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_src_project_referencing_a_test_project_is_reported()
    {
        var graph = Graph((Arrow, [Support]), (Support, []));

        Assert.Contains("src projects only", Assert.Single(Layering.Violations(graph, Layering.Layers, [])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_src_project_in_no_layer_is_reported()
    {
        var graph = Graph(("src/ArrowCid.Unplaced/ArrowCid.Unplaced.csproj", [Arrow]), (Arrow, []));

        Assert.Contains("in no layer", Assert.Single(Layering.Violations(graph, Layering.Layers, [])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_to_a_missing_project_is_reported()
    {
        var graph = Graph((Content, [Arrow]));

        Assert.Contains("not a project", Assert.Single(Layering.Violations(graph, Layering.Layers, [])), StringComparison.Ordinal);
    }

    [Fact]
    public void A_cycle_is_reported()
    {
        const string a = "tests/A/A.csproj";
        const string b = "tests/B/B.csproj";
        var graph = Graph((a, [b]), (b, [a]));

        Assert.Equal("reference cycle: A → B → A", Assert.Single(Layering.Violations(graph, Layering.Layers, [])));
    }

    private static Dictionary<string, IReadOnlyList<string>> Graph(params (string Project, string[] References)[] projects) =>
        projects.ToDictionary(p => p.Project, p => (IReadOnlyList<string>)p.References, StringComparer.Ordinal);
}
