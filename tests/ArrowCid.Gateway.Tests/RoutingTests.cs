using System.Net;
using System.Text.Json;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Gateway.Tests;

/// <summary>Delegated Routing V1 (ipfs/specs routing/http-routing-v1.md) and the node's peer identity.</summary>
public sealed class RoutingTests
{
    [Fact]
    public void The_public_key_of_a_seed_is_rfc_8032s()
    {
        // RFC 8032 §7.1, TEST 1 and TEST 2.
        Assert.Equal("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", Convert.ToHexStringLower(PeerIdentity.PublicKeyOf(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))));
        Assert.Equal("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", Convert.ToHexStringLower(PeerIdentity.PublicKeyOf(Convert.FromHexString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))));
    }

    [Fact]
    public void A_peer_id_is_the_identity_multihash_of_the_protobuf_public_key_in_base58btc()
    {
        var identity = PeerIdentity.FromSeed(Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        Assert.StartsWith("12D3KooW", identity.Id, StringComparison.Ordinal);
        byte[] decoded = Multibase.Decode("z" + identity.Id);
        Assert.Equal([0x00, 0x24, 0x08, 0x01, 0x12, 0x20, .. identity.PublicKey], decoded);
        var asCid = Cid.CreateV1(PeerIdentity.Libp2pKeyCodec, identity.Multihash);
        Assert.True(identity.IsNamedBy(asCid.ToString()));
        Assert.False(identity.IsNamedBy(Cid.ForRaw("x"u8).ToString()));
    }

    [Fact]
    public async Task The_peer_id_is_kept_in_the_repository_readable_by_its_owner_only()
    {
        await using var node = await GatewayFixture.StartAsync();
        string folder = node.Content.Repository.Root;
        string id = await ProviderId(node);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, PeerIdentity.KeyFileName)));
        }

        // What the next serve of this repository reads.
        Assert.Equal(id, PeerIdentity.LoadOrCreate(folder).Id);
        await File.WriteAllBytesAsync(Path.Combine(folder, PeerIdentity.KeyFileName), [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => PeerIdentity.LoadOrCreate(folder));
    }

    [Fact]
    public async Task Providers_of_a_held_cid_are_this_node_as_an_http_gateway_peer()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(ArrowCid.Content.Chunking.MixedTable.Build(3, 0, 5));
        using var response = await node.Http.GetAsync($"/routing/v1/providers/{stored.Cid}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var provider = Assert.Single(body.RootElement.GetProperty("Providers").EnumerateArray());
        Assert.Equal("peer", provider.GetProperty("Schema").GetString());
        Assert.StartsWith("12D3KooW", provider.GetProperty("ID").GetString(), StringComparison.Ordinal);
        Assert.Equal([$"/ip4/127.0.0.1/tcp/{node.Gateway.Address.Port}/http"], provider.GetProperty("Addrs").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(["transport-ipfs-gateway-http"], provider.GetProperty("Protocols").EnumerateArray().Select(a => a.GetString()));
    }

    [Fact]
    public async Task Providers_stream_as_ndjson_when_asked()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(ArrowCid.Content.Chunking.MixedTable.Build(3, 0, 5));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/routing/v1/providers/{stored.Cid}");
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        using var response = await node.Http.SendAsync(request);

        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType!.MediaType);
        string[] lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var record = JsonDocument.Parse(Assert.Single(lines));
        Assert.Equal("peer", record.RootElement.GetProperty("Schema").GetString());
    }

    [Theory]
    [InlineData("/routing/v1/providers/{missing}", HttpStatusCode.NotFound)]
    [InlineData("/routing/v1/providers/not-a-cid", HttpStatusCode.BadRequest)]
    [InlineData("/routing/v1/peers/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN", HttpStatusCode.NotFound)]
    [InlineData("/routing/v1/ipns/anything", HttpStatusCode.BadRequest)]
    public async Task Routing_requests_with_no_answer_get_the_status_the_spec_names(string path, HttpStatusCode expected)
    {
        await using var node = await GatewayFixture.StartAsync();
        using var response = await node.Http.GetAsync(path.Replace("{missing}", Cid.ForRaw("held nowhere"u8).ToString(), StringComparison.Ordinal));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task The_peer_record_of_this_node_is_found_by_its_id_in_either_form()
    {
        await using var node = await GatewayFixture.StartAsync();
        string id = await ProviderId(node);
        var asCid = Cid.CreateV1(PeerIdentity.Libp2pKeyCodec, Multihash.Parse(Multibase.Decode("z" + id)));
        foreach (string name in new[] { id, asCid.ToString() })
        {
            using var response = await node.Http.GetAsync($"/routing/v1/peers/{name}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(id, Assert.Single(body.RootElement.GetProperty("Peers").EnumerateArray()).GetProperty("ID").GetString());
        }
    }

    [Theory]
    [InlineData("http://127.0.0.1:8816/", "/ip4/127.0.0.1/tcp/8816/http")]
    [InlineData("http://[::1]:80/", "/ip6/::1/tcp/80/http")]
    [InlineData("https://node.example:443/", "/dns/node.example/tcp/443/tls/http")]
    public void Gateway_addresses_become_http_multiaddrs(string address, string multiaddr) =>
        Assert.Equal(multiaddr, RoutingEndpoints.MultiaddrOf(new Uri(address)));

    private static async Task<string> ProviderId(GatewayFixture node)
    {
        using var response = await node.Http.GetAsync("/routing/v1/providers/bafkqaaa");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("Providers")[0].GetProperty("ID").GetString()!;
    }
}
