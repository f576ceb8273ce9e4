using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Service;
using ArrowCid.Node;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// What a penetration test sent the HTTP face (issue 35) and how it must be answered: rebinding
/// Host names, CORS that leaks or opens writes, oversized tags, client addresses and server paths
/// in what readers see, 5xx for client input. Each ends with a normal request answered at once.
/// </summary>
public sealed class GatewayAbuseTests
{
    private static async Task NormalRequestWorksAsync(GatewayFixture node)
    {
        using var response = await node.Http.GetAsync("/api/v1/tables?limit=1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static HttpRequestMessage Csv(string path, string text, string? origin = null, string? host = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(text, Encoding.UTF8, "text/csv") };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return request;
    }

    [Fact]
    public async Task A_table_that_links_more_chunks_than_a_request_may_walk_is_refused_on_every_face()
    {
        // A tree may link one node thousands of times (issue 65: an 810 KB CAR described 206 billion
        // rows and its description took the node past 6 GB); the node walks at most
        // max_table_chunks chunks for one request. Here the limit is 2 and the table has more.
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Limits = new NodeLimits { MaxTableChunks = 2 } });
        var batches = TableData.Sensors(120_000, seed: 1);
        var put = node.Content.PutStream(batches[0].Schema, batches, new Repository.PutOptions { Name = "sensors" });
        Assert.True(put.Table.Batches > 2, $"{put.Table.Batches} chunks");
        string cid = put.Table.Cid.ToString();
        foreach (string path in new[] { $"/api/v1/tables/{cid}", $"/ipfs/{cid}?format=arrow", $"/ipfs/{cid}?format=arrow-file", "/names/sensors?format=csv", "/names/sensors?format=parquet" })
        {
            using var response = await node.Http.GetAsync(path);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {text}");
            Assert.Contains("max_table_chunks", text, StringComparison.Ordinal);
        }

        using var client = new Flight.Client.FlightClient(node.Flight.Location);
        var refused = await Assert.ThrowsAsync<Grpc.RpcException>(() => client.GetInfoAsync(put.Table.Cid));
        Assert.Equal(Grpc.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("max_table_chunks", refused.Status.Detail, StringComparison.Ordinal);

        // A table within the limit is served as ever, and a listing leaves out the one past it.
        var small = node.Content.PutStream(batches[0].Schema, [batches[0].Slice(0, 10)], new Repository.PutOptions());
        using (var fine = await node.Http.GetAsync($"/api/v1/tables/{small.Table.Cid}"))
        {
            Assert.Equal(HttpStatusCode.OK, fine.StatusCode);
        }

        var listed = new List<string>();
        await foreach (var info in client.ListAsync())
        {
            listed.Add(string.Join("/", info.FlightDescriptor.Path));
        }

        Assert.Contains(small.Table.Cid.ToString(), listed);
        Assert.DoesNotContain(cid, listed);

        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task An_upload_that_decodes_past_the_per_request_limit_is_refused_on_both_faces()
    {
        // Issue 65: one 1 MiB dictionary value named by every row is stored again in every chunk, so
        // 1 MB on the wire became 5.2 GB of chunks; the per-request limit counted only what was
        // decompressed. Here the limit is 4 MiB: eight rows decode to 8 MiB of chunks, two to 2 MiB.
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Limits = new NodeLimits { MaxDecompressedBytesPerRequest = 4L << 20 } });
        byte[] eight = HostileUploads.OneLargeDictionaryValue(rows: 8);
        using (var content = new ByteArrayContent(eight))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
            using var refused = await node.Http.PostAsync("/api/v1/tables", content);
            string text = await refused.Content.ReadAsStringAsync();
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{(int)refused.StatusCode} {text}");
            Assert.Contains("max_decompressed_bytes_per_request", text, StringComparison.Ordinal);
        }

        using var client = new Flight.Client.FlightClient(node.Flight.Location);
        var overFlight = await Assert.ThrowsAsync<Grpc.RpcException>(() => client.PutStreamAsync(eight));
        Assert.Equal(Grpc.StatusCode.InvalidArgument, overFlight.StatusCode);
        Assert.Contains("max_decompressed_bytes_per_request", overFlight.Status.Detail, StringComparison.Ordinal);

        // Nothing of either is kept pinned; two rows are within the limit and stored.
        Assert.Empty(node.Content.Repository.Registry.List(new Registry.RegistryQuery { Pinned = true }));
        var stored = await client.PutStreamAsync(HostileUploads.OneLargeDictionaryValue(rows: 2));
        Assert.Equal(2, stored.Totals!.Rows);
        await NormalRequestWorksAsync(node);
    }

    [Theory]
    [InlineData("")]
    [InlineData("PRI * HTTP/2.0\r\n")]
    [InlineData("GET /api/v1/tables HT")]
    public async Task A_connection_that_stops_before_its_request_is_closed(string sent)
    {
        // Before issue 65 a connection that sent fewer than the HTTP/2 preface's 24 bytes was never
        // closed: the protocol detection waited for more with no deadline.
        await using var node = await GatewayFixture.StartAsync(gateway: new GatewayOptions { RequestHeadersTimeout = TimeSpan.FromMilliseconds(200) });
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(node.Http.BaseAddress!.Host, node.Http.BaseAddress.Port);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(sent));
        }
        catch (IOException)
        {
            // On a loaded machine the node may have closed it already: what is checked below.
        }

        // The node closes it, or resets it (after a 408 when Kestrel had begun a request); the guard
        // only keeps a connection left open from hanging the run.
        byte[] buffer = new byte[4096];
        var answer = new StringBuilder();
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromMinutes(1))) > 0)
            {
                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset })
        {
            // Reset: closed as well.
        }

        Assert.True(answer.Length == 0 || answer.ToString().StartsWith("HTTP/1.1 408", StringComparison.Ordinal), answer.ToString());
        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task A_loopback_node_answers_loopback_host_names_and_those_it_was_given_only()
    {
        await using var node = await GatewayFixture.StartAsync(gateway: new GatewayOptions { AllowedHosts = ["data.internal"] });
        int port = node.Gateway.Address.Port;

        foreach (string foreign in new[] { "rebind.attacker.example", $"rebind.attacker.example:{port}", "10.0.0.1" })
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables");
            read.Headers.Host = foreign;
            using var refused = await node.Http.SendAsync(read);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
            Assert.Contains("loopback host names only", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            using var write = Csv("/api/v1/tables", "a\n1\n", origin: "http://rebind.attacker.example", host: foreign);
            using var writeRefused = await node.Http.SendAsync(write);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, writeRefused.StatusCode);
        }

        Assert.Empty(node.Content.Repository.Registry.ListCids());
        foreach (string local in new[] { $"localhost:{port}", $"127.0.0.1:{port}", $"[::1]:{port}", "data.internal" })
        {
            using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables");
            read.Headers.Host = local;
            using var answered = await node.Http.SendAsync(read);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }
    }

    [Fact]
    public async Task Cors_varies_by_origin_matches_exactly_and_keeps_writes_from_pages_of_other_origins()
    {
        await using var node = await GatewayFixture.StartAsync(gateway: new GatewayOptions { CorsOrigins = ["https://Good.example"] });
        var stored = node.Content.PutStream(TableData.Sensors(10, seed: 1)[0].Schema, TableData.Sensors(10, seed: 1));

        // Every answer varies by Origin, the immutable ones too, whoever asks.
        foreach (string? origin in new[] { "https://good.example", "https://evil.example", null })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{stored.Table.Cid}?format=raw");
            if (origin is not null)
            {
                get.Headers.Add("Origin", origin);
            }

            using var response = await node.Http.SendAsync(get);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Origin", response.Headers.Vary);
            Assert.Contains("Accept", response.Headers.Vary);
        }

        // Exact match: another spelling of the origin is another origin.
        using (var upper = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables"))
        {
            upper.Headers.Add("Origin", "https://GOOD.example");
            using var response = await node.Http.SendAsync(upper);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }

        // A page of another origin cannot write (a text/csv POST needs no preflight); the named one can.
        using (var evil = await node.Http.SendAsync(Csv("/api/v1/tables", "a\n1\n", origin: "https://evil.example")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        }

        using (var good = await node.Http.SendAsync(Csv("/api/v1/tables", "a\n2\n", origin: "https://good.example")))
        {
            Assert.Equal(HttpStatusCode.Created, good.StatusCode);
            Assert.Equal("https://good.example", good.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task Cors_any_origin_opens_reads_only_unless_the_operator_opens_writes()
    {
        await using (var node = await GatewayFixture.StartAsync(gateway: new GatewayOptions { CorsOrigins = ["*"] }))
        {
            using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/v1/tables");
            preflight.Headers.Add("Origin", "https://any.example");
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            using var answer = await node.Http.SendAsync(preflight);
            Assert.DoesNotContain("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);

            using var write = await node.Http.SendAsync(Csv("/api/v1/tables", "a\n1\n", origin: "https://any.example"));
            Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);

            using var read = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables");
            read.Headers.Add("Origin", "https://any.example");
            using var readAnswer = await node.Http.SendAsync(read);
            Assert.Equal("*", readAnswer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        }

        await using (var open = await GatewayFixture.StartAsync(gateway: new GatewayOptions { CorsOrigins = ["*"], CorsAnyOriginWrites = true }))
        {
            using var write = await open.Http.SendAsync(Csv("/api/v1/tables", "a\n1\n", origin: "https://any.example"));
            Assert.Equal(HttpStatusCode.Created, write.StatusCode);
        }
    }

    [Theory]
    [InlineData(Arrow.Compression.CompressionCodec.Zstd)]
    [InlineData(Arrow.Compression.CompressionCodec.Lz4Frame)]
    public async Task A_decompression_bomb_is_refused_before_it_is_inflated(Arrow.Compression.CompressionCodec codec)
    {
        await using var node = await GatewayFixture.StartAsync();
        // 80 MB of zeros in one message, past the node's 64 MiB a message, sent as a few KiB.
        byte[] bomb = Arrow.Tests.IpcFuzz.CompressedZeros.Stream(10_000_000, batches: 1, codec);
        using var body = new ByteArrayContent(bomb);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");

        using var response = await node.Http.PostAsync("/api/v1/tables", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("max_decompressed_bytes_per_message", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(node.Content.Repository.Registry.ListCids());
        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task Parquet_bombs_are_refused_before_they_are_inflated()
    {
        await using var node = await GatewayFixture.StartAsync();
        // A 64 KiB page of 2 GiB of zeros, and one 1 MiB dictionary entry named a million times.
        foreach (byte[] bomb in new[] { Parquet.Tests.Bounded.HandMadeParquet.Int64ZerosInZstd(268_434_944), Parquet.Tests.Bounded.HandMadeParquet.OneDictionaryEntryRepeated(1 << 20, 1_000_000) })
        {
            using var body = new ByteArrayContent(bomb);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.parquet");

            using var response = await node.Http.PostAsync("/api/v1/tables", body);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(text.Contains("max_parquet_bytes_held", StringComparison.Ordinal), text);
        }

        Assert.Empty(node.Content.Repository.Registry.ListCids());
        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task Subscribers_past_the_limit_are_refused_with_429_naming_it_and_the_node_answers_the_rest()
    {
        var limits = new NodeLimits { MaxSubscribersPerToken = 2, MaxSubscribers = 3 };
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Limits = limits });
        var open = new List<HttpResponseMessage>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var response = await node.Http.GetAsync("/api/v1/events?after=0", HttpCompletionOption.ResponseHeadersRead);
                open.Add(response);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using var third = await node.Http.GetAsync("/api/v1/events?after=0", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal((HttpStatusCode)429, third.StatusCode);
            Assert.Contains("max_subscribers_per_token", await third.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.NotNull(third.Headers.RetryAfter);
            await NormalRequestWorksAsync(node);
        }
        finally
        {
            open.ForEach(r => r.Dispose());
        }
    }

    [Fact]
    public async Task A_replay_storm_leaves_the_node_answering()
    {
        await using var node = await GatewayFixture.StartAsync();
        var batches = TableData.Sensors(10, seed: 5);
        for (int i = 0; i < 300; i++)
        {
            node.Content.PutStream(batches[0].Schema, batches, new Repository.PutOptions { Tags = new Dictionary<string, string> { ["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        }

        // Forty subscribers replaying the whole feed at once, each read to its end of the backlog.
        using var storm = new CancellationTokenSource();
        var replays = Enumerable.Range(0, 40).Select(async _ =>
        {
            using var response = await node.Http.GetAsync("/api/v1/events?after=0", HttpCompletionOption.ResponseHeadersRead, storm.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(storm.Token));
            int events = 0;
            while (events < 300 && await reader.ReadLineAsync(storm.Token) is { } line)
            {
                events += line.StartsWith("event: ", StringComparison.Ordinal) ? 1 : 0;
            }

            return events;
        }).ToList();

        await NormalRequestWorksAsync(node);
        int[] seen = await Task.WhenAll(replays);
        Assert.All(seen, n => Assert.True(n >= 300, $"{n} events"));
        await storm.CancelAsync();
        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task Oversized_tags_are_refused_naming_the_limit_and_store_nothing()
    {
        await using var node = await GatewayFixture.StartAsync();
        string big = new('v', 2048);
        using var response = await node.Http.SendAsync(Csv($"/api/v1/tables?tag=k={big}", "a\n1\n"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("max_tag_value_bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(node.Content.Repository.Registry.ListCids());

        string many = string.Join('&', Enumerable.Range(0, 65).Select(i => $"tag=k{i}=v"));
        using var tooMany = await node.Http.SendAsync(Csv($"/api/v1/tables?{many}", "a\n1\n"));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("max_tags", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await NormalRequestWorksAsync(node);
    }

    [Fact]
    public async Task Readers_see_neither_the_uploaders_address_nor_the_nodes_paths()
    {
        await using var node = await GatewayFixture.StartAsync();
        using var uploaded = await node.Http.SendAsync(Csv("/api/v1/tables", "a\n1\n"));
        string cid = JsonDocument.Parse(await uploaded.Content.ReadAsStringAsync()).RootElement.GetProperty("table").GetProperty("cid").GetString()!;
        var batches = TableData.Sensors(10, seed: 2);
        var local = node.Content.PutStream(batches[0].Schema, batches, new Repository.PutOptions { Provenance = "/home/ops/secret-folder/big.csv", Producer = "arrowcid put" });

        using (var detail = JsonDocument.Parse(await node.Http.GetStringAsync($"/api/v1/tables/{cid}")))
        {
            Assert.Equal("http", detail.RootElement.GetProperty("producer").GetString());
        }

        using (var detail = JsonDocument.Parse(await node.Http.GetStringAsync($"/api/v1/tables/{local.Table.Cid}")))
        {
            Assert.Equal("big.csv", detail.RootElement.GetProperty("provenance").GetString());
        }

        // The node itself keeps the whole path.
        Assert.Equal("/home/ops/secret-folder/big.csv", node.Content.Repository.GetRecord(local.Table.Cid)!.Provenance);
    }

    [Fact]
    public async Task Client_input_gets_a_4xx_and_no_answer_names_an_exception_type()
    {
        await using var node = await GatewayFixture.StartAsync();

        // An identity CID is answered from the CID itself, in every scope.
        foreach (string scope in new[] { "all", "entity", "block" })
        {
            using var car = await node.Http.GetAsync($"/ipfs/bafkqaaa?format=car&dag-scope={scope}");
            Assert.Equal(HttpStatusCode.OK, car.StatusCode);
        }

        // A DAG-CBOR identity CID too (it was a 500 naming BlockNotFoundException).
        using var odd = await node.Http.GetAsync("/ipfs/bafyqabh777776?format=car");
        Assert.Equal(HttpStatusCode.OK, odd.StatusCode);
        Assert.DoesNotContain("Exception", await odd.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A CSV field over the reader's limit: 400, in words, no parser type.
        var text = new StringBuilder("a\n\"").Append('x', (16 << 20) + 10).Append("\"\n").ToString();
        using var field = await node.Http.SendAsync(Csv("/api/v1/tables", text));
        string problem = await field.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, field.StatusCode);
        Assert.DoesNotContain("Exception", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("CsvHelper", problem, StringComparison.Ordinal);
        await NormalRequestWorksAsync(node);
    }
}
