using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Printing;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Service;
using ArrowCid.Ingest.Csv;
using ArrowCid.Node;
using ArrowCid.Parquet.Reading;
using ArrowCid.Parquet.Writing;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>A node holding one multi-chunk table named "sensors", shared by the read tests.</summary>
[Trait("Category", "Peers")]
public sealed class SensorsNode : IAsyncLifetime
{
    public const int Rows = 120_000;

    public GatewayFixture Node { get; private set; } = null!;

    public Cid Table { get; private set; } = null!;

    public int Chunks { get; private set; }

    public List<string> ExpectedRows { get; } = [];

    public async Task InitializeAsync()
    {
        // Small endpoints so the FlightInfo of the table has several, each with its own http location.
        Node = await GatewayFixture.StartAsync(new NodeOptions { EndpointBytes = 1 << 20 });
        var batches = TableData.Sensors(Rows, seed: 1);
        ExpectedRows.AddRange(TableData.RowTexts(batches));
        var put = Node.Content.PutStream(batches[0].Schema, batches, new PutOptions { Name = "sensors" });
        Table = put.Table.Cid;
        Chunks = put.Table.Batches;
    }

    public async Task DisposeAsync() => await Node.DisposeAsync();
}

/// <summary>Tables over HTTP: every format, negotiation, compression, ranges, names, uploads and Flight http locations.</summary>
public sealed class TableHttpTests(SensorsNode sensors, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<SensorsNode>
{
    private const string Stream = "application/vnd.apache.arrow.stream";
    private const string FileType = "application/vnd.apache.arrow.file";

    private HttpClient Http => sensors.Node.Http;

    [Fact]
    public async Task The_arrow_stream_has_every_row_put_and_a_known_length()
    {
        Assert.True(sensors.Chunks >= 3, $"the table should span several chunks, not {sensors.Chunks}");
        using var response = await Get($"/ipfs/{sensors.Table}", Stream);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Stream, response.Content.Headers.ContentType!.MediaType);
        var cache = response.Headers.CacheControl!;
        Assert.True(cache.Public);
        Assert.Equal(TimeSpan.FromSeconds(29030400), cache.MaxAge);
        Assert.Contains(cache.Extensions, e => e.Name == "immutable");
        Assert.Contains(sensors.Table.ToString(), response.Headers.ETag!.Tag, StringComparison.Ordinal);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Equal(sensors.ExpectedRows, TableData.RowTexts(ReadStream(body)));
    }

    [Fact]
    public async Task The_arrow_file_reads_back_whole_and_ranges_are_its_bytes()
    {
        using var response = await Get($"/ipfs/{sensors.Table}", FileType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("bytes", response.Headers.AcceptRanges.Single());
        byte[] file = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(file.Length, response.Content.Headers.ContentLength);
        using (var reader = new ArrowFileReader(file))
        {
            Assert.Equal(sensors.Chunks, reader.RecordBatchCount);
            Assert.Equal(sensors.ExpectedRows, TableData.RowTexts([.. reader.ReadAll()]));
        }

        // The tail (where a reader starts: the footer) alone, a range across chunk boundaries, one
        // that starts and ends inside later chunks (the chunks before it are skipped, not read),
        // and a single byte in the middle.
        long middle = file.Length / 2;
        foreach (var (range, start, end) in new[]
        {
            ("bytes=-4096", file.Length - 4096L, file.Length),
            ("bytes=1000-2500000", 1000L, 2500001L),
            ($"bytes={middle}-{middle + 1_500_000}", middle, middle + 1_500_001),
            ($"bytes={middle}-{middle}", middle, middle + 1),
        })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{sensors.Table}?format=arrow-file");
            request.Headers.Range = RangeHeaderValue.Parse(range);
            using var partial = await Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal($"bytes {start}-{end - 1}/{file.Length}", partial.Content.Headers.ContentRange!.ToString());
            Assert.Equal(file.AsSpan((int)start, (int)(end - start)).ToArray(), await partial.Content.ReadAsByteArrayAsync());
        }

        using var beyond = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{sensors.Table}?format=arrow-file");
        beyond.Headers.Range = new RangeHeaderValue(file.Length + 10, null);
        using var unsatisfiable = await Http.SendAsync(beyond);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, unsatisfiable.StatusCode);
    }

    [Fact]
    public async Task Parquet_holds_the_rows_and_the_cids()
    {
        using var response = await Get($"/ipfs/{sensors.Table}", "application/vnd.apache.parquet");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = ParquetReader.Open(await response.Content.ReadAsByteArrayAsync());
        var batches = Enumerable.Range(0, reader.RowGroupCount).Select(reader.ReadRowGroup).ToList();
        Assert.Equal(sensors.ExpectedRows, TableData.RowTexts(batches));
        Assert.Equal(sensors.Table.ToString(), reader.KeyValueMetadata.Single(kv => kv.Key == "arrowcid.dataset").Value);
        Assert.Equal(sensors.Chunks, JsonDocument.Parse(reader.KeyValueMetadata.Single(kv => kv.Key == "arrowcid.cids").Value!).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Csv_reads_back_as_the_same_rows()
    {
        using var response = await Get($"/ipfs/{sensors.Table}?format=csv", accept: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("id,value,sensor,ok\n", text, StringComparison.Ordinal);
        using var reader = new CsvBatchReader(new StringReader(text));
        var batches = new List<RecordBatch>();
        while (reader.ReadNext() is { } batch)
        {
            batches.Add(batch);
        }

        Assert.Equal(sensors.ExpectedRows, TableData.RowTexts(batches));
    }

    [Theory]
    [InlineData("zstd")]
    [InlineData("lz4")]
    public async Task Codecs_compress_the_ipc_bodies_and_no_content_encoding_is_added(string codec)
    {
        using var plain = await Get($"/ipfs/{sensors.Table}", Stream);
        long plainLength = (await plain.Content.ReadAsByteArrayAsync()).Length;

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{sensors.Table}");
        request.Headers.Accept.ParseAdd($"{Stream}; codecs=\"{codec}\"");
        request.Headers.AcceptEncoding.ParseAdd("gzip, zstd");
        using var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"\"{codec}\"", response.Content.Headers.ContentType!.Parameters.Single(p => p.Name == "codecs").Value);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.Length < plainLength, $"{codec} body {body.Length} bytes, uncompressed {plainLength}");
        Assert.Equal(sensors.ExpectedRows, TableData.RowTexts(ReadStream(body)));
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task Content_encoding_follows_accept_encoding_for_uncompressed_bodies(string coding)
    {
        using var plain = await Get($"/ipfs/{sensors.Table}", Stream);
        byte[] expected = await plain.Content.ReadAsByteArrayAsync();

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{sensors.Table}");
        request.Headers.Accept.ParseAdd(Stream);
        request.Headers.AcceptEncoding.ParseAdd($"{coding}, identity;q=0.5");
        using var response = await Http.SendAsync(request);

        Assert.Equal(coding, response.Content.Headers.ContentEncoding.Single());
        await using var encoded = await response.Content.ReadAsStreamAsync();
        await using Stream decoded = coding == "gzip" ? new GZipStream(encoded, CompressionMode.Decompress) : new BrotliStream(encoded, CompressionMode.Decompress);
        using var copy = new MemoryStream();
        await decoded.CopyToAsync(copy);
        Assert.Equal(expected, copy.ToArray());
    }

    [Fact]
    public async Task Zstd_content_encoding_decodes_with_curl_to_the_identity_body()
    {
        if (NodeInteropRunner.FindOnPath("curl") is null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("curl is not on PATH"));
            return;
        }

        using var plain = await Get($"/ipfs/{sensors.Table}", Stream);
        byte[] expected = await plain.Content.ReadAsByteArrayAsync();
        string folder = Directory.CreateTempSubdirectory("arrowcid-zstd-").FullName;
        try
        {
            string body = Path.Combine(folder, "body");
            string headers = Path.Combine(folder, "headers");
            var curl = new System.Diagnostics.ProcessStartInfo("curl", ["-sS", "--fail", "--compressed", "-H", $"Accept: {Stream}", "-H", "Accept-Encoding: zstd", "-D", headers, "-o", body, new Uri(Http.BaseAddress!, $"/ipfs/{sensors.Table}").ToString()]);
            var result = await ChildProcess.RunAsync(curl, TimeSpan.FromMinutes(1));
            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains("content-encoding: zstd", (await File.ReadAllTextAsync(headers)).ToLowerInvariant(), StringComparison.Ordinal);
            Assert.Equal(expected, await File.ReadAllBytesAsync(body));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Head_answers_the_headers_of_get_without_a_body()
    {
        using var get = await Get($"/ipfs/{sensors.Table}", Stream);
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/ipfs/{sensors.Table}");
        request.Headers.Accept.ParseAdd(Stream);
        using var head = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(get.Content.Headers.ContentLength, head.Content.Headers.ContentLength);
        Assert.Equal(get.Headers.ETag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var again = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{sensors.Table}");
        again.Headers.Accept.ParseAdd(Stream);
        again.Headers.IfNoneMatch.Add(get.Headers.ETag!);
        using var notModified = await Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task A_chunk_range_serves_exactly_those_chunks()
    {
        var chunks = sensors.Node.Content.OpenTable(sensors.Table).Chunks().ToList();
        var expected = TableData.RowTexts([sensors.Node.Content.OpenBatch(chunks[1].Cid), sensors.Node.Content.OpenBatch(chunks[2].Cid)]);
        using var response = await Get($"/ipfs/{sensors.Table}?format=arrow&chunks=1-3", accept: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, TableData.RowTexts(ReadStream(await response.Content.ReadAsByteArrayAsync())));

        using var beyond = await Get($"/ipfs/{sensors.Table}?format=arrow&chunks=1-{chunks.Count + 1}", accept: null);
        Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        using var malformed = await Get($"/ipfs/{sensors.Table}?format=arrow&chunks=3-1", accept: null);
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }

    [Fact]
    public async Task Tables_not_held_are_404_and_blocks_that_are_no_table_406()
    {
        using var missing = await Get("/ipfs/bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", Stream);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var (text, _) = sensors.Node.Content.Repository.Blocks.PutRaw(s => s.Write("not a table"u8));
        using var notTable = await Get($"/ipfs/{text}", Stream);
        Assert.Equal(HttpStatusCode.NotAcceptable, notTable.StatusCode);
        using var fileWithCodecs = await Get($"/ipfs/{sensors.Table}", $"{FileType}; codecs=\"zstd\"");
        Assert.Equal(HttpStatusCode.NotAcceptable, fileWithCodecs.StatusCode);
    }

    [Fact]
    public async Task A_name_serves_its_latest_version_as_an_arrow_stream_and_lists_its_versions()
    {
        using var response = await Get("/names/sensors", accept: null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Stream, response.Content.Headers.ContentType!.MediaType);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.Contains(sensors.Table.ToString(), response.Headers.ETag!.Tag, StringComparison.Ordinal);
        Assert.Equal(sensors.ExpectedRows, TableData.RowTexts(ReadStream(await response.Content.ReadAsByteArrayAsync())));

        using var versions = await Get("/names/sensors/versions", accept: null);
        Assert.Equal(HttpStatusCode.OK, versions.StatusCode);
        string versionsText = await versions.Content.ReadAsStringAsync();

        // Only what JSON needs is escaped, as in the CLI's --json: a time reads "+00:00", not "\u002B00:00".
        Assert.Contains("+00:00\"", versionsText, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(versionsText);
        var first = json.RootElement.GetProperty("versions")[0];
        Assert.Equal(1, first.GetProperty("version").GetInt64());
        Assert.Equal(sensors.Table.ToString(), first.GetProperty("cid").GetString());

        foreach (string path in new[] { "/names/sensors@1", "/names/sensors/versions/1" })
        {
            using var byVersion = await Get(path, "text/csv");
            Assert.Equal(HttpStatusCode.OK, byVersion.StatusCode);
            Assert.Equal("1", byVersion.Headers.GetValues("X-Dataset-Version").Single());
        }

        using var unknown = await Get("/names/no-such-name", accept: null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var unknownVersion = await Get("/names/sensors@99", accept: null);
        Assert.Equal(HttpStatusCode.NotFound, unknownVersion.StatusCode);
        using var invalid = await Get("/names/a//b", accept: null);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    [Fact]
    public async Task Flight_endpoints_list_an_http_location_serving_that_tickets_rows()
    {
        using var client = new FlightClient(sensors.Node.Flight.Location);
        var info = await client.GetInfoAsync(sensors.Table);
        Assert.True(info.Endpoint.Count > 1, "a table over EndpointBytes has several endpoints");
        var rows = new List<string>();
        foreach (var endpoint in info.Endpoint)
        {
            Assert.Equal(sensors.Node.Flight.Location, endpoint.Location[0].Uri);
            string http = endpoint.Location.Select(l => l.Uri).Single(u => u.StartsWith("http://", StringComparison.Ordinal));
            Assert.Contains(endpoint.Ticket.Ticket_.ToStringUtf8().Split('?')[0], http, StringComparison.Ordinal);
            using var response = await Http.GetAsync(new Uri(http));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            rows.AddRange(TableData.RowTexts(ReadStream(await response.Content.ReadAsByteArrayAsync())));
        }

        Assert.Equal(sensors.ExpectedRows, rows);
    }

    private async Task<HttpResponseMessage> Get(string path, string? accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        return await Http.SendAsync(request);
    }

    private static List<RecordBatch> ReadStream(byte[] body)
    {
        using var reader = new ArrowStreamReader(body);
        return [.. reader.ReadAll()];
    }
}

/// <summary>POST /api/v1/tables: each body format stored through the dataset writer, bad bodies refused with nothing left pinned.</summary>
public sealed class TableUploadTests
{
    [Fact]
    public async Task An_arrow_stream_body_is_stored_named_and_tagged()
    {
        await using var node = await GatewayFixture.StartAsync();
        var batches = TableData.Sensors(30_000, seed: 2);
        using var content = new ByteArrayContent(TableData.StreamBytes(batches));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
        using var response = await node.Http.PostAsync("/api/v1/tables?name=uploads/sensors&tag=site=north&tag=kind=test", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        // The one report of a put, as `put --json` prints it, without the input path.
        var table = json.RootElement.GetProperty("table");
        var cid = Cid.Parse(table.GetProperty("cid").GetString()!);
        var stored = ContentRepository.ComputeCids(batches[0].Schema, batches);
        Assert.Equal(stored.Table.Cid, cid);
        Assert.Equal($"/ipfs/{cid}", response.Headers.Location!.ToString());
        Assert.Equal(30_000, table.GetProperty("rows").GetInt64());
        Assert.Equal(stored.Table.Bytes, table.GetProperty("bytes").GetInt64());
        Assert.Equal(stored.Table.Batches, table.GetProperty("chunks").GetInt64());
        Assert.Equal(stored.Table.ManifestBytes, table.GetProperty("manifest_bytes").GetInt64());
        Assert.Equal(stored.Batches.Select(b => b.Cid.ToString()), json.RootElement.GetProperty("chunks").EnumerateArray().Select(c => c.GetProperty("cid").GetString()));
        Assert.False(json.RootElement.TryGetProperty("input", out _));
        Assert.True(json.RootElement.GetProperty("version_added").GetBoolean());
        Assert.Equal("uploads/sensors", json.RootElement.GetProperty("name").GetString());
        Assert.Equal(1, json.RootElement.GetProperty("version").GetInt64());
        Assert.Equal("north", node.Content.Repository.GetRecord(cid)!.Tags["site"]);
        Assert.Equal(cid, node.Content.Repository.Registry.FindVersion("uploads/sensors")!.Cid);
        Assert.Equal(TableData.RowTexts(batches), TableData.RowTexts([.. node.Content.ReadBatches(cid)]));
    }

    [Fact]
    public async Task Uploading_unchanged_content_under_its_name_adds_no_version_unless_forced()
    {
        await using var node = await GatewayFixture.StartAsync();
        byte[] stream = TableData.StreamBytes(TableData.Sensors(2_000, seed: 5));

        async Task<JsonElement> UploadAsync(string query)
        {
            using var content = new ByteArrayContent(stream);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
            using var response = await node.Http.PostAsync("/api/v1/tables?name=same" + query, content);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }

        var first = await UploadAsync(string.Empty);
        Assert.Equal(1, first.GetProperty("version").GetInt64());
        Assert.True(first.GetProperty("version_added").GetBoolean());

        var again = await UploadAsync(string.Empty);
        Assert.Equal(1, again.GetProperty("version").GetInt64());
        Assert.False(again.GetProperty("version_added").GetBoolean());

        var forced = await UploadAsync("&forceVersion=true");
        Assert.Equal(2, forced.GetProperty("version").GetInt64());
        Assert.True(forced.GetProperty("version_added").GetBoolean());
        Assert.Equal(2, node.Content.Repository.Registry.FindVersion("same")!.Version);

        using var badFlag = new ByteArrayContent(stream);
        badFlag.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
        using var refused = await node.Http.PostAsync("/api/v1/tables?name=same&forceVersion=yes", badFlag);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
    }

    [Fact]
    public async Task Csv_and_parquet_bodies_are_stored_as_the_same_table()
    {
        await using var node = await GatewayFixture.StartAsync();
        var batches = TableData.Sensors(5_000, seed: 3);

        var text = new StringWriter();
        var csv = new CsvBatchWriter(text, batches[0].Schema);
        batches.ForEach(csv.Write);
        using var csvBody = new StringContent(text.ToString(), Encoding.UTF8, "text/csv");
        using var csvResponse = await node.Http.PostAsync("/api/v1/tables", csvBody);
        Assert.Equal(HttpStatusCode.Created, csvResponse.StatusCode);
        var fromCsv = Cid.Parse(JsonDocument.Parse(await csvResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("table").GetProperty("cid").GetString()!);
        Assert.Equal(TableData.RowTexts(batches), TableData.RowTexts([.. node.Content.ReadBatches(fromCsv)]));

        using var parquet = new MemoryStream();
        using (var writer = new ParquetWriter(parquet, batches[0].Schema, leaveOpen: true))
        {
            batches.ForEach(writer.Write);
        }

        using var parquetBody = new ByteArrayContent(parquet.ToArray());
        parquetBody.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.parquet");
        using var parquetResponse = await node.Http.PostAsync("/api/v1/tables", parquetBody);
        Assert.Equal(HttpStatusCode.Created, parquetResponse.StatusCode);
        var fromParquet = Cid.Parse(JsonDocument.Parse(await parquetResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("table").GetProperty("cid").GetString()!);
        Assert.Equal(ContentRepository.ComputeCids(batches[0].Schema, batches).Table.Cid, fromParquet);
    }

    [Fact]
    public async Task A_broken_body_is_400_and_leaves_nothing_pinned()
    {
        await using var node = await GatewayFixture.StartAsync();
        // Enough good batches that chunks are stored before the stream breaks.
        byte[] good = TableData.StreamBytes(TableData.Sensors(60_000, seed: 4));
        byte[] broken = [.. good.AsSpan(0, good.Length - 8 - 300), .. "garbage that is no IPC message"u8];
        using var content = new ByteArrayContent(broken);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
        using var response = await node.Http.PostAsync("/api/v1/tables?name=broken", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("refused", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(node.Content.Repository.Registry.List(new RegistryQuery { Pinned = true }));
        Assert.Null(node.Content.Repository.Registry.FindVersion("broken"));

        using var csv = new StringContent("a,b\n1,2,3\n", Encoding.UTF8, "text/csv");
        using var badCsv = await node.Http.PostAsync("/api/v1/tables", csv);
        Assert.Equal(HttpStatusCode.BadRequest, badCsv.StatusCode);

        using var json = new StringContent("{}", Encoding.UTF8, "application/json");
        using var unsupported = await node.Http.PostAsync("/api/v1/tables", json);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, unsupported.StatusCode);

        using var badName = new ByteArrayContent(good);
        badName.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
        using var badNameResponse = await node.Http.PostAsync("/api/v1/tables?name=a@b", badName);
        Assert.Equal(HttpStatusCode.BadRequest, badNameResponse.StatusCode);
    }

    [Fact]
    public async Task Posting_needs_the_write_role()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read).AddToken("writer", AccessRole.Write);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access });
        byte[] body = TableData.StreamBytes(TableData.Sensors(10, seed: 5));
        foreach (var (token, expected) in new[] { ("reader", HttpStatusCode.Forbidden), ("writer", HttpStatusCode.Created) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tables") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.apache.arrow.stream");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await node.Http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
        }
    }
}

/// <summary>Test tables and how their rows are compared.</summary>
internal static class TableData
{
    /// <summary>Rows of (id int64, value float64, sensor utf8, ok bool), some nulls, in batches of 10,000.</summary>
    public static List<RecordBatch> Sensors(int rows, int seed)
    {
        var schema = new Schema([
            new Field("id", ArrowType.Int64, nullable: false),
            new Field("value", ArrowType.Float64, nullable: true),
            new Field("sensor", ArrowType.Utf8, nullable: true),
            new Field("ok", ArrowType.Boolean, nullable: true),
        ]);
        var random = new Random(seed);
        var batches = new List<RecordBatch>();
        for (int start = 0; start < rows; start += 10_000)
        {
            var builder = new RecordBatchBuilder(schema);
            for (int i = start; i < Math.Min(rows, start + 10_000); i++)
            {
                builder.AppendRow(
                    (long)i,
                    i % 17 == 0 ? null : Math.Round(random.NextDouble() * 1000, 3),
                    i % 23 == 0 ? null : $"sensor-{random.Next(500)}, \"bay\" {i % 7}",
                    i % 29 == 0 ? null : i % 2 == 0);
            }

            batches.Add(builder.Build());
        }

        return batches;
    }

    /// <summary>Every row as text, columns joined by a tab, null as ∅.</summary>
    public static List<string> RowTexts(IEnumerable<RecordBatch> batches)
    {
        var rows = new List<string>();
        foreach (var batch in batches)
        {
            for (int row = 0; row < batch.Length; row++)
            {
                rows.Add(string.Join('\t', batch.Columns.Select(c => c.IsNull(row) ? "∅" : ArrayPrinter.FormatValue(c, row))));
            }
        }

        return rows;
    }

    public static byte[] StreamBytes(IReadOnlyList<RecordBatch> batches)
    {
        using var buffer = new MemoryStream();
        using (var writer = new ArrowStreamWriter(buffer, batches[0].Schema, leaveOpen: true))
        {
            foreach (var batch in batches)
            {
                writer.Write(batch);
            }
        }

        return buffer.ToArray();
    }
}
