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
            (Http2, []), (Grpc, [Http2]), (Flight, [Grpc, Repository, SharedMemory]), (Gateway, [Flight]), (Bench, [Flight, Gateway, SharedMemory]), (Cli, [Bench, Flight]));

        Assert.Empty(Layering.Violations(graph, Layering.Layers, Layering.KnownExceptions));
    }

    [Theory]
    [InlineData(Http2, Grpc, "ArrowCid.Http2 (layer 0) references ArrowCid.Grpc (layer 1), a higher layer")]
    [InlineData(Http2, Arrow, "ArrowCid.Http2 (layer 0) references ArrowCid.Arrow (layer 0), a sibling")]
    [InlineData(Grpc, Flight, "ArrowCid.Grpc (layer 1) references ArrowCid.Flight (layer 4), a higher layer")]
    [InlineData(Flight, Bench, "ArrowCid.Flight (layer 4) references ArrowCid.Bench (layer 6), a higher layer")]
    [InlineData(Flight, Gateway, "ArrowCid.Flight (layer 4) references ArrowCid.Gateway (layer 5), a higher layer")]
    [InlineData(Gateway, Bench, "ArrowCid.Gateway (layer 5) references ArrowCid.Bench (layer 6), a higher layer")]
    [InlineData(Registry, Repository, "ArrowCid.Registry (layer 2) references ArrowCid.Repository (layer 3), a higher layer")]
    [InlineData(SharedMemory, Registry, "ArrowCid.SharedMemory (layer 2) references ArrowCid.Registry (layer 2), a sibling")]
    [InlineData(Bench, Cli, "ArrowCid.Bench (layer 6) references ArrowCid.Cli (layer 7), a higher layer")]
    public void A_wrong_way_reference_between_parts_is_reported(string from, string to, string expected)
    {
        var graph = Graph((Arrow, []), (Http2, []), (Grpc, []), (Registry, []), (SharedMemory, []), (Repository, []), (Flight, []), (Gateway, []), (Bench, []), (Cli, []));
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
