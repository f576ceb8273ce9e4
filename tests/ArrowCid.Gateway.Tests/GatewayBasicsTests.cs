using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Flight.Service;
using ArrowCid.Node;

namespace ArrowCid.Gateway.Tests;

/// <summary>The gateway's shared behaviour: routing, problem answers, tokens and roles, CORS, negotiation, HTTP/2.</summary>
public sealed class GatewayBasicsTests
{
    [Fact]
    public async Task A_raw_block_comes_back_byte_for_byte_and_hashes_to_its_cid()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(SmallBatch(10));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{stored.Cid}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.ipld.raw"));
        using var response = await node.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.ipld.raw", response.Content.Headers.ContentType!.MediaType);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(stored.Cid.Hash.Digest.ToArray(), SHA256.HashData(body));
    }

    [Theory]
    [InlineData("/ipfs/not-a-cid", HttpStatusCode.BadRequest)]
    [InlineData("/nothing/here", HttpStatusCode.NotFound)]
    [InlineData("/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?format=nonsense", HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?format=raw", HttpStatusCode.NotFound)]
    public async Task Bad_or_unknown_requests_get_a_problem_answer(string path, HttpStatusCode expected)
    {
        await using var node = await GatewayFixture.StartAsync();
        using var response = await node.Http.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal((int)expected, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
    }

    [Fact]
    public async Task An_accept_header_naming_nothing_offered_is_406()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(SmallBatch(3));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{stored.Cid}");
        request.Headers.Accept.ParseAdd("image/png");
        using var response = await node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task Tokens_and_roles_of_the_node_apply_to_http()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read).AddToken("writer", AccessRole.Write);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access });
        var stored = node.Content.PutBatch(SmallBatch(3));
        string path = $"/ipfs/{stored.Cid}?format=raw";

        using (var anonymous = await node.Http.GetAsync(path))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        }

        using (var wrong = await Send(node, HttpMethod.Get, path, "nope"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using (var reader = await Send(node, HttpMethod.Get, path, "reader"))
        {
            Assert.Equal(HttpStatusCode.OK, reader.StatusCode);
        }

        using (var readerWrites = await Send(node, HttpMethod.Post, "/ipfs/anything", "reader"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, readerWrites.StatusCode);
        }
    }

    [Fact]
    public async Task Allowed_origins_get_cors_headers_and_preflights_others_get_none()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access }, new GatewayOptions { CorsOrigins = ["https://explorer.example"] });

        using (var preflight = new HttpRequestMessage(HttpMethod.Options, "/ipfs/bafkqaaa"))
        {
            preflight.Headers.Add("Origin", "https://explorer.example");
            preflight.Headers.Add("Access-Control-Request-Method", "GET");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization");
            using var response = await node.Http.SendAsync(preflight);
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal("https://explorer.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("GET", response.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
            // A fixed list, never an echo of what was asked.
            Assert.Equal("Authorization, Accept, Range, Content-Type, Last-Event-ID, If-None-Match", response.Headers.GetValues("Access-Control-Allow-Headers").Single());
        }

        using (var other = new HttpRequestMessage(HttpMethod.Get, "/ipfs/bafkqaaa"))
        {
            other.Headers.Add("Origin", "https://evil.example");
            using var response = await node.Http.SendAsync(other);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
    }

    [Fact]
    public async Task Http2_with_prior_knowledge_is_served_on_the_same_port()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(SmallBatch(5));
        using var client = new HttpClient { BaseAddress = node.Gateway.Address, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await client.GetAsync($"/ipfs/{stored.Cid}?format=raw");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
    }

    [Fact]
    public void Negotiation_prefers_the_format_parameter_then_the_highest_quality()
    {
        static NegotiatedFormat Of(string? accept, string? query = null)
        {
            var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
            if (accept is not null)
            {
                http.Request.Headers.Accept = accept;
            }

            http.Request.QueryString = new Microsoft.AspNetCore.Http.QueryString(query ?? string.Empty);
            return ContentNegotiation.Negotiate(http.Request);
        }

        Assert.Equal(ResponseFormat.Unspecified, Of(null).Format);
        Assert.Equal(ResponseFormat.Unspecified, Of("*/*").Format);
        Assert.Equal(ResponseFormat.Car, Of("application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car").Format);
        Assert.Equal(ResponseFormat.Raw, Of("application/vnd.ipld.car", "?format=raw").Format);
        var arrow = Of("text/html, application/vnd.apache.arrow.stream; codecs=\"zstd\"");
        Assert.Equal(ResponseFormat.ArrowStream, arrow.Format);
        Assert.Equal("zstd", arrow.Parameter("codecs"));
        Assert.Equal(406, Assert.Throws<GatewayException>(() => Of("text/html")).Status);
        Assert.Equal(400, Assert.Throws<GatewayException>(() => Of(null, "?format=xml")).Status);
    }

    private static async Task<HttpResponseMessage> Send(GatewayFixture node, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await node.Http.SendAsync(request);
    }

    private static RecordBatch SmallBatch(int rows)
    {
        var builder = new RecordBatchBuilder(new Schema([new Field("n", ArrowType.Int64, nullable: false)]));
        for (int i = 0; i < rows; i++)
        {
            builder.AppendRow((long)i);
        }

        return builder.Build();
    }
}
