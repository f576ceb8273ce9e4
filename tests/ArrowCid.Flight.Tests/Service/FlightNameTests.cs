using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Flight.Client;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.Repository;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests.Service;

/// <summary>Named datasets over Flight: DoPut with a PATH name, lookups by name and version, listings and actions.</summary>
public sealed class FlightNameTests : IAsyncLifetime
{
    private FlightNodeFixture? _node;

    private FlightNodeFixture Node => _node!;

    public async Task InitializeAsync() => _node = await FlightNodeFixture.StartAsync();

    public async Task DisposeAsync() => await Node.DisposeAsync();

    private static FlightDescriptor Path(params string[] elements) =>
        new() { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { elements } };

    [Fact]
    public async Task A_pyarrow_style_put_to_a_path_records_a_version_that_GetFlightInfo_answers_for()
    {
        using var client = Node.Client();
        using var first = TestBatches.Small(1);
        using var second = TestBatches.Small(2, rows: 7);

        // client.do_put(FlightDescriptor.for_path("sensors"), schema): the first user story.
        var v1 = await client.PutAsync(Path("sensors"), first.Schema, [first]);
        var v2 = await client.PutAsync(Path("sensors"), second.Schema, [second]);

        Assert.Equal(("sensors", 1L), (v1.Name, v1.Version));
        Assert.Equal(("sensors", 2L), (v2.Name, v2.Version));
        Assert.Equal(ContentRepository.ComputeCids(second.Schema, [second]).Table.Cid, v2.Table);

        var latest = await client.GetInfoAsync(Path("sensors"));
        Assert.Equal(v2.Table.ToString(), Assert.Single(latest.Endpoint).Ticket.Ticket_.ToStringUtf8());
        Assert.Equal(7, latest.TotalRecords);
        Assert.Equal(["sensors"], latest.FlightDescriptor.Path);
        using (var metadata = JsonDocument.Parse(latest.AppMetadata.Memory))
        {
            Assert.Equal("sensors", metadata.RootElement.GetProperty("name").GetString());
            Assert.Equal(2, metadata.RootElement.GetProperty("version").GetInt64());
        }

        var older = await client.GetInfoAsync(Path("sensors@1"));
        Assert.Equal(v1.Table.ToString(), Assert.Single(older.Endpoint).Ticket.Ticket_.ToStringUtf8());
        var byCommand = await client.GetInfoAsync(new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("{\"name\":\"sensors@1\"}") });
        Assert.Equal(older.Endpoint, byCommand.Endpoint);

        // GetSchema agrees, and a PATH [CID] keeps answering for the CID.
        Assert.Equal(latest.Schema, (await client.Service.GetSchemaAsync(Path("sensors"))).Schema);
        Assert.Equal(older.Endpoint, (await client.GetInfoAsync(v1.Table)).Endpoint);

        var fetched = await client.GetByNameAsync("sensors");
        Assert.Equal(v2.Table, fetched.Cid);
        using var back = fetched.Batches[0].Read();
        Assert.True(ArrayEquality.Equals(second, back, out string? difference), difference);
    }

    [Fact]
    public async Task Path_elements_join_into_one_name_and_the_name_as_one_element_finds_it_too()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(3);

        var put = await client.PutAsync(Path("plant-3", "temps"), a.Schema, [a]);

        Assert.Equal("plant-3/temps", put.Name);
        Assert.Equal(put.Table, Node.Content.Repository.Registry.FindVersion("plant-3/temps")!.Cid);
        foreach (var descriptor in new[] { Path("plant-3", "temps"), Path("plant-3/temps"), Path("plant-3", "temps@1") })
        {
            var info = await client.GetInfoAsync(descriptor);
            Assert.Equal(put.Table.ToString(), Assert.Single(info.Endpoint).Ticket.Ticket_.ToStringUtf8());
        }
    }

    [Fact]
    public async Task A_path_of_key_value_elements_still_tags_and_names_nothing()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(4);

        var put = await client.PutAsync(Path("source=test", "owner=me"), a.Schema, [a]);

        Assert.Null(put.Name);
        var record = Node.Content.Repository.GetRecord(put.Table)!;
        Assert.Equal("test", record.Tags["source"]);
        Assert.Equal("me", record.Tags["owner"]);
        Assert.Empty(Node.Content.Repository.Registry.ListNames());
    }

    [Fact]
    public async Task A_name_with_tags_goes_as_a_command_and_a_bad_name_stores_nothing()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(5);

        var put = await client.PutAsync(FlightClient.PutDescriptor(new Dictionary<string, string> { ["k"] = "v" }, "date=2024"), a.Schema, [a]);
        Assert.Equal(("date=2024", 1L), (put.Name, put.Version));
        Assert.Equal("v", Node.Content.Repository.GetRecord(put.Table)!.Tags["k"]);
        Assert.Equal(FlightDescriptor.Types.DescriptorType.Path, FlightClient.PutDescriptor(name: "sensors").Type);
        Assert.Equal(FlightDescriptor.Types.DescriptorType.Cmd, FlightClient.PutDescriptor(name: "date=2024").Type);

        int registered = Node.Content.Repository.Registry.ListCids().Count;
        foreach (var bad in new[] { Path("sensors@2"), Path("a", string.Empty), Path("tab\there") })
        {
            using var b = TestBatches.Small(6);
            var error = await Assert.ThrowsAsync<RpcException>(() => client.PutAsync(bad, b.Schema, [b]));
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        }

        Assert.Equal(registered, Node.Content.Repository.Registry.ListCids().Count);
    }

    [Fact]
    public async Task Unknown_names_and_versions_are_NOT_FOUND_and_malformed_ones_INVALID_ARGUMENT()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(7);
        await client.PutAsync(Path("sensors"), a.Schema, [a]);

        foreach (var unknown in new[] { Path("nobody"), Path("sensors@2"), Path("a", "b") })
        {
            Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(unknown))).StatusCode);
            Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.Service.GetSchemaAsync(unknown))).StatusCode);
        }

        var notFound = await Assert.ThrowsAsync<RpcException>(() => client.GetByNameAsync("sensors@2"));
        Assert.Contains("versions 1 to 1", notFound.Status.Detail, StringComparison.Ordinal);
        foreach (var malformed in new[] { Path("sensors@0"), Path("a", string.Empty), Path("/abs"), Path() })
        {
            Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.GetInfoAsync(malformed))).StatusCode);
        }
    }

    [Fact]
    public async Task ListFlights_lists_each_name_by_path_then_every_record_and_the_names_filter_only_names()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(8);
        using var b = TestBatches.Small(9);
        var sensors1 = await client.PutAsync(Path("sensors"), a.Schema, [a]);
        var sensors2 = await client.PutAsync(Path("sensors"), b.Schema, [b]);
        var temps = await client.PutAsync(Path("plant-3", "temps"), a.Schema, [a]);

        var all = await FlightNodeServiceTests.ToListAsync(client.ListAsync());

        // for f in client.list_flights(): print(f.descriptor.path) → [b'plant-3/temps'], [b'sensors'], then CIDs.
        Assert.Equal(["plant-3/temps", "sensors"], all.Take(2).Select(f => Assert.Single(f.FlightDescriptor.Path)));
        Assert.Equal(sensors2.Table.ToString(), all[1].Endpoint[0].Ticket.Ticket_.ToStringUtf8());
        Assert.Equal(temps.Table, sensors1.Table);
        Assert.Equal(Node.Content.Repository.Registry.List().Count(r => r.Kind != Registry.BlockKind.VersionNode), all.Count - 2);
        Assert.All(all.Skip(2), f => Assert.Equal(f.Endpoint[0].Ticket.Ticket_.ToStringUtf8(), Assert.Single(f.FlightDescriptor.Path)));

        var names = await FlightNodeServiceTests.ToListAsync(client.ListAsync("{\"names\":true}"));
        Assert.Equal(all.Take(2).Select(f => f.FlightDescriptor), names.Select(f => f.FlightDescriptor));
        // Each put is one small chunk, so each table is its chunk: a batch (a and b, temps being a again).
        var filtered = await FlightNodeServiceTests.ToListAsync(client.ListAsync("{\"kind\":\"batch\"}"));
        Assert.Equal(
            new[] { sensors1.Table.ToString(), sensors2.Table.ToString() }.Order(StringComparer.Ordinal),
            filtered.Select(f => f.Endpoint[0].Ticket.Ticket_.ToStringUtf8()).Order(StringComparer.Ordinal));
        Assert.Empty(await FlightNodeServiceTests.ToListAsync(client.ListAsync("{\"kind\":\"dataset\"}")));
    }

    [Fact]
    public async Task The_names_and_versions_actions_list_json_and_delete_keeps_named_content()
    {
        using var client = Node.Client();
        using var a = TestBatches.Small(10);
        using var b = TestBatches.Small(11, rows: 3);
        var v1 = await client.PutAsync(Path("sensors"), a.Schema, [a]);
        var v2 = await client.PutAsync(Path("sensors"), b.Schema, [b]);

        var versions = (await client.ActionAsync("versions", "sensors")).Select(r => JsonDocument.Parse(r).RootElement).ToList();
        Assert.Equal([2L, 1L], versions.Select(v => v.GetProperty("version").GetInt64()));
        Assert.Equal([v2.Table.ToString(), v1.Table.ToString()], versions.Select(v => v.GetProperty("cid").GetString()));
        Assert.Equal([3L, 5L], versions.Select(v => v.GetProperty("rows").GetInt64()));
        Assert.All(versions, v => Assert.Equal("sensors", v.GetProperty("name").GetString()));
        Assert.All(versions, v => Assert.True(DateTimeOffset.TryParse(v.GetProperty("created").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)));

        var names = (await client.ActionAsync("names")).Select(r => JsonDocument.Parse(r).RootElement).ToList();
        var only = Assert.Single(names);
        Assert.Equal(("sensors", 2L), (only.GetProperty("name").GetString(), only.GetProperty("version").GetInt64()));

        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("versions", "nobody"))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("versions", "a//b"))).StatusCode);

        await client.ActionAsync("unpin", v1.Table.ToString());
        var refused = await Assert.ThrowsAsync<RpcException>(() => client.ActionAsync("delete", v1.Table.ToString()));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains("sensors", refused.Status.Detail, StringComparison.Ordinal);
        Assert.True(Node.Content.Repository.Blocks.Has(v1.Table));
    }
}
