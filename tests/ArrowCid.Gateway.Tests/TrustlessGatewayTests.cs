using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Repository;

namespace ArrowCid.Gateway.Tests;

/// <summary>The IPFS trustless gateway (ipfs/specs http-gateways/trustless-gateway.md): status codes and headers, raw blocks, ranges, CARs.</summary>
[Collection(SharedTrustlessNode.Name)]
public sealed class TrustlessGatewayTests(TrustlessFixture fixture)
{
    private const string RawType = "application/vnd.ipld.raw";
    private const string CarType = "application/vnd.ipld.car";
    private const string Immutable = "public, max-age=29030400, immutable";

    private GatewayFixture Node => fixture.Node;

    [Fact]
    public async Task A_raw_block_asked_by_accept_has_every_header_the_spec_asks_for()
    {
        var chunk = FirstChunk();
        using var response = await Send(HttpMethod.Get, $"/ipfs/{chunk}", RawType);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RawType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"attachment; filename=\"{chunk}.bin\"", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal($"\"{chunk}.raw\"", response.Headers.ETag!.ToString());
        Assert.Equal(Immutable, Header(response, "Cache-Control"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal($"/ipfs/{chunk}", Header(response, "X-Ipfs-Path"));
        Assert.Equal(chunk.ToString(), Header(response, "X-Ipfs-Roots"));
        Assert.Contains("Accept", response.Headers.Vary);
        Assert.Equal("bytes", Header(response, "Accept-Ranges"));
        Assert.Equal($"/ipfs/{chunk}?format=raw", response.Content.Headers.ContentLocation!.OriginalString);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(chunk.Hash.Digest.ToArray(), SHA256.HashData(body));
    }

    [Fact]
    public async Task Format_raw_in_the_url_needs_no_accept_and_sends_no_content_location()
    {
        var chunk = FirstChunk();
        using var response = await Node.Http.GetAsync($"/ipfs/{chunk}?format=raw");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RawType, response.Content.Headers.ContentType!.MediaType);
        Assert.Null(response.Content.Headers.ContentLocation);
    }

    [Fact]
    public async Task Head_answers_the_headers_of_get_without_a_body()
    {
        var chunk = FirstChunk();
        long length = Node.Content.GetBytes(chunk).Length;
        using var response = await Send(HttpMethod.Head, $"/ipfs/{chunk}?format=raw");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(length, response.Content.Headers.ContentLength);
        Assert.Equal($"\"{chunk}.raw\"", response.Headers.ETag!.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());

        using var car = await Send(HttpMethod.Head, $"/ipfs/{fixture.TwoLevelTable}?format=car");
        Assert.Equal(HttpStatusCode.OK, car.StatusCode);
        Assert.Equal(CarType, car.Content.Headers.ContentType!.MediaType);
        Assert.Empty(await car.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("raw")]
    [InlineData("car")]
    public async Task A_matching_if_none_match_is_304_and_another_is_200(string format)
    {
        string path = $"/ipfs/{fixture.RepeatingTable}?format={format}";
        using var first = await Node.Http.GetAsync(path);
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"other\""));
        again.Headers.IfNoneMatch.Add(etag);
        using var notModified = await Node.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var weak = new HttpRequestMessage(HttpMethod.Get, path);
        weak.Headers.TryAddWithoutValidation("If-None-Match", "W/" + etag.Tag);
        using var weakAnswer = await Node.Http.SendAsync(weak);
        Assert.Equal(HttpStatusCode.NotModified, weakAnswer.StatusCode);

        using var stale = new HttpRequestMessage(HttpMethod.Get, path);
        stale.Headers.IfNoneMatch.Add(new EntityTagHeaderValue("\"stale\""));
        using var full = await Node.Http.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
    }

    [Fact]
    public async Task Etags_differ_by_format_and_by_scope()
    {
        var table = fixture.RepeatingTable;
        var tags = new List<string>();
        foreach (string query in new[] { "format=raw", "format=car", "format=car&dag-scope=block", "format=car&dag-scope=entity", "format=car&car-dups=y" })
        {
            using var response = await Send(HttpMethod.Head, $"/ipfs/{table}?{query}");
            tags.Add(response.Headers.ETag!.Tag);
        }

        Assert.Equal(tags.Count, tags.Distinct().Count());
    }

    [Theory]
    [InlineData("bytes=10-19", 10, 19)]
    [InlineData("bytes=-5", -5, -1)]
    [InlineData("bytes=100-", 100, -1)]
    public async Task A_single_range_of_a_raw_block_is_206_with_its_content_range(string range, int from, int to)
    {
        var chunk = FirstChunk();
        byte[] whole = Node.Content.GetBytes(chunk).ToArray();
        int first = from < 0 ? whole.Length + from : from;
        int last = to < 0 ? whole.Length - 1 : to;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{chunk}?format=raw");
        request.Headers.TryAddWithoutValidation("Range", range);
        using var response = await Node.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/{whole.Length}", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(whole[first..(last + 1)], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"\"{chunk}.raw.{first}-{last}\"", response.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task A_range_outside_the_block_is_416_with_its_length_and_several_ranges_get_the_whole_block()
    {
        var chunk = FirstChunk();
        int length = Node.Content.GetBytes(chunk).Length;
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{chunk}?format=raw"))
        {
            request.Headers.TryAddWithoutValidation("Range", $"bytes={length}-");
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
            Assert.Equal($"bytes */{length}", response.Content.Headers.ContentRange!.ToString());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{chunk}?format=raw"))
        {
            request.Headers.TryAddWithoutValidation("Range", "bytes=0-1, 4-5");
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(length, (await response.Content.ReadAsByteArrayAsync()).Length);
        }
    }

    [Fact]
    public async Task The_bafkqaaa_probe_is_an_empty_block_and_a_car_with_that_root()
    {
        using (var raw = await Send(HttpMethod.Get, "/ipfs/bafkqaaa", RawType))
        {
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Empty(await raw.Content.ReadAsByteArrayAsync());
        }

        using (var head = await Send(HttpMethod.Head, "/ipfs/bafkqaaa?format=raw"))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        using var car = await Send(HttpMethod.Get, "/ipfs/bafkqaaa", CarType);
        Assert.Equal(HttpStatusCode.OK, car.StatusCode);
        var reader = CarReader.Open(new MemoryStream(await car.Content.ReadAsByteArrayAsync()));
        Assert.Equal([Cid.Parse("bafkqaaa")], reader.Roots);
        Assert.Empty(reader.ReadBlocks());
    }

    [Fact]
    public async Task Only_if_cached_is_412_for_a_block_not_held_and_answered_for_one_held()
    {
        var missing = Cid.ForRaw("held nowhere"u8);
        using (var request = new HttpRequestMessage(HttpMethod.Head, $"/ipfs/{missing}?format=raw"))
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { OnlyIfCached = true };
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{missing}?format=car"))
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { OnlyIfCached = true };
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Head, $"/ipfs/{FirstChunk()}?format=raw"))
        {
            request.Headers.CacheControl = new CacheControlHeaderValue { OnlyIfCached = true };
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Theory]
    [InlineData("?format=raw", null, HttpStatusCode.NotFound)]
    [InlineData("?format=car", null, HttpStatusCode.NotFound)]
    [InlineData("", RawType, HttpStatusCode.NotFound)]
    public async Task Content_not_held_is_404(string query, string? accept, HttpStatusCode expected)
    {
        using var response = await Send(HttpMethod.Get, $"/ipfs/{Cid.ForRaw("held nowhere"u8)}{query}", accept);
        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("/ipfs/bafy-not-a-cid?format=raw", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}?format=car&car-version=2", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}?format=car&car-order=bfs", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}?format=car&car-dups=maybe", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}?format=car&dag-scope=everything", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}?format=car&entity-bytes=a:b", null, HttpStatusCode.BadRequest)]
    [InlineData("/ipfs/{table}", "application/vnd.ipld.car; version=2", HttpStatusCode.NotAcceptable)]
    [InlineData("/ipfs/{table}", "application/vnd.ipld.car; order=bfs", HttpStatusCode.NotAcceptable)]
    [InlineData("/ipfs/{table}", "image/png", HttpStatusCode.NotAcceptable)]
    [InlineData("/ipfs/{table}", "application/vnd.ipld.car; version=2, application/vnd.ipld.car; order=dfs; q=0.5", HttpStatusCode.OK)]
    public async Task Requests_the_gateway_cannot_serve_get_the_status_the_spec_names(string path, string? accept, HttpStatusCode expected)
    {
        using var response = await Send(HttpMethod.Get, path.Replace("{table}", fixture.RepeatingTable.ToString(), StringComparison.Ordinal), accept);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task A_request_naming_no_format_gets_the_raw_block_or_400_in_strict_mode()
    {
        var chunk = FirstChunk();
        using (var lenient = await Node.Http.GetAsync($"/ipfs/{chunk}"))
        {
            Assert.Equal(HttpStatusCode.OK, lenient.StatusCode);
            Assert.Equal(RawType, lenient.Content.Headers.ContentType!.MediaType);
        }

        await using var strict = await GatewayFixture.StartAsync(gateway: new GatewayOptions { StrictTrustless = true });
        var stored = strict.Content.PutBatch(ArrowCid.Content.Chunking.MixedTable.Build(1, 0, 10));
        using (var noAccept = await strict.Http.GetAsync($"/ipfs/{stored.Cid}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noAccept.StatusCode);
        }

        using var asked = await strict.Http.GetAsync($"/ipfs/{stored.Cid}?format=raw");
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
    }

    [Fact]
    public async Task A_car_of_a_two_level_table_is_every_block_once_in_depth_first_order()
    {
        var table = fixture.TwoLevelTable;
        using var response = await Send(HttpMethod.Get, $"/ipfs/{table}", "application/vnd.ipld.car; version=1; order=dfs; dups=n");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.ipld.car; version=1; order=dfs; dups=n", response.Content.Headers.ContentType!.ToString());
        Assert.Equal($"attachment; filename=\"{table}.car\"", response.Content.Headers.ContentDisposition!.ToString());
        Assert.Equal(Immutable, Header(response, "Cache-Control"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
        Assert.Equal($"/ipfs/{table}?format=car", response.Content.Headers.ContentLocation!.OriginalString);
        var (roots, blocks) = await ReadCar(response);

        Assert.Equal([table], roots);
        var expected = fixture.DepthFirstOf(table);
        Assert.Equal(expected, blocks);
        // Depth first is not "all nodes, then all chunks": a chunk comes before the second level-0 node.
        int secondNode = blocks.Select((c, i) => (c, i)).Where(b => b.c.Codec == Multicodec.DagCbor).Skip(2).First().i;
        Assert.Contains(blocks.Take(secondNode), c => c.Codec == Multicodec.Raw);
        Assert.Equal(TableBlocks.Read(Node.Content, table).Blocks.Select(b => b.Cid).ToHashSet(), blocks.ToHashSet());
    }

    [Theory]
    [InlineData("two-level table")]
    [InlineData("repeating table")]
    [InlineData("foreign node")]
    public async Task Export_car_gives_the_bytes_the_gateway_gives_for_the_same_request(string which)
    {
        var root = which switch
        {
            "two-level table" => fixture.TwoLevelTable,
            "repeating table" => fixture.RepeatingTable,
            _ => fixture.ForeignNode,
        };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{root}");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.ipld.car; version=1; order=dfs; dups=n");
        using var response = await Node.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        byte[] served = await response.Content.ReadAsByteArrayAsync();

        using var exported = new MemoryStream();
        Node.Content.ExportCar([root], exported);

        Assert.Equal(exported.ToArray(), served);
    }

    [Fact]
    public async Task Dag_scope_block_is_the_root_alone_and_entity_the_whole_table()
    {
        var table = fixture.RepeatingTable;
        using (var block = await Node.Http.GetAsync($"/ipfs/{table}?format=car&dag-scope=block"))
        {
            var (_, blocks) = await ReadCar(block);
            Assert.Equal([table], blocks);
        }

        using var entity = await Node.Http.GetAsync($"/ipfs/{table}?format=car&dag-scope=entity");
        var (_, all) = await ReadCar(entity);
        Assert.Equal(fixture.DepthFirstOf(table), all);
    }

    [Fact]
    public async Task Dups_y_sends_a_repeated_chunk_each_time_the_walk_meets_it()
    {
        var table = fixture.RepeatingTable;
        using var once = await Send(HttpMethod.Get, $"/ipfs/{table}", "application/vnd.ipld.car; dups=n");
        var (_, unique) = await ReadCar(once, distinct: false);
        using var every = await Node.Http.GetAsync($"/ipfs/{table}?format=car&car-dups=y");
        Assert.Equal("application/vnd.ipld.car; version=1; order=dfs; dups=y", every.Content.Headers.ContentType!.ToString());
        var (_, repeated) = await ReadCar(every, distinct: false);

        var chunks = Node.Content.OpenTable(table).Chunks().Select(c => c.Cid).ToList();
        Assert.True(chunks.Count > chunks.Distinct().Count(), "the repeating table repeats a chunk");
        Assert.Equal(unique.Count, unique.Distinct().Count());
        Assert.Equal(chunks, repeated.Where(c => c.Codec == Multicodec.Raw));
        Assert.Equal(unique.ToHashSet(), repeated.ToHashSet());
    }

    [Fact]
    public async Task Foreign_blocks_imported_from_a_car_are_served_raw_and_as_a_car_of_what_they_link()
    {
        using (var raw = await Node.Http.GetAsync($"/ipfs/{fixture.ForeignNode}?format=raw"))
        {
            Assert.Equal(HttpStatusCode.OK, raw.StatusCode);
            Assert.Equal(fixture.ForeignNode.Hash.Digest.ToArray(), SHA256.HashData(await raw.Content.ReadAsByteArrayAsync()));
        }

        using (var all = await Node.Http.GetAsync($"/ipfs/{fixture.ForeignNode}?format=car"))
        {
            var (_, blocks) = await ReadCar(all);
            Assert.Equal([fixture.ForeignNode, fixture.ForeignLeaf], blocks);
        }

        // Not UnixFS and not a table: its entity is the block itself.
        using var entity = await Node.Http.GetAsync($"/ipfs/{fixture.ForeignNode}?format=car&dag-scope=entity");
        var (_, one) = await ReadCar(entity);
        Assert.Equal([fixture.ForeignNode], one);
    }

    private Cid FirstChunk() => Node.Content.OpenTable(fixture.TwoLevelTable).Chunks().First().Cid;

    private async Task<HttpResponseMessage> Send(HttpMethod method, string path, string? accept = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (accept is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept", accept);
        }

        return await Node.Http.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(", ", content)
        : throw new Xunit.Sdk.XunitException($"no {name} header");

    // Reads a CAR answer, every block checked against its CID by the reader.
    private static async Task<(IReadOnlyList<Cid> Roots, List<Cid> Blocks)> ReadCar(HttpResponseMessage response, bool distinct = true)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reader = CarReader.Open(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var blocks = reader.ReadBlocks().Select(b => b.Cid).ToList();
        if (distinct)
        {
            Assert.Equal(blocks.Count, blocks.Distinct().Count());
        }

        return (reader.Roots, blocks);
    }
}
