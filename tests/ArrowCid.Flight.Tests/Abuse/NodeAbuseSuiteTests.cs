using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ArrowCid.Arrow.Compression;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Tests.Support;
using ArrowCid.Grpc;
using ArrowCid.TestSupport;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Abuse;

/// <summary>
/// The abuse suite (issue 35): every attack class a penetration test found, sent to one
/// `arrowcid serve` as users run it (tokens R:read and W:write, a Basic-auth user), which must
/// refuse each as it should, stay alive, lose no block of a named table, and keep its peak RSS
/// under 512 MiB. It prints what it tried and the node's peak, also appended to
/// artifacts/stress/abuse.txt, which test.sh prints at its end.
/// </summary>
[Trait("Category", "Peers")]
public sealed class NodeAbuseSuiteTests(ITestOutputHelper output)
{
    private const long PeakGoal = 512L << 20;
    private const int PoolThreads = 16;

    [Fact]
    public async Task Every_attack_class_is_refused_and_the_node_stays_small_and_whole()
    {
        // The node's pool has 16 threads (a 2-core machine starts with 2 and adds them slowly), so
        // an attack that holds pool threads shows as a node that stops answering.
        // Uploads may decode to 256 MiB (16 GiB by default): room for every attack below that is
        // refused by another limit, and a small enough bound for the one refused by this.
        await using var node = await ServeProcess.StartWithThreadPoolLimitAsync(PoolThreads, "--token", "R:read", "--token", "W:write", "--user", "reader:r:read",
            "--max-decompressed-bytes-per-request", (256L << 20).ToString(CultureInfo.InvariantCulture));
        using var http = new HttpClient { BaseAddress = node.Gateway, Timeout = TimeSpan.FromMinutes(5) };
        var tried = new List<string>();
        // After each attack a normal read is made and timed: printed, not asserted (a loaded
        // machine makes any wall-clock bound a coin toss); it must succeed.
        async Task<double> NormalReadMillisecondsAsync()
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            using var normal = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables?limit=1");
            normal.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "R");
            using var answer = await http.SendAsync(normal);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return watch.Elapsed.TotalMilliseconds;
        }

        async Task RecordAsync(string attack, string answer)
        {
            double normal = await NormalReadMillisecondsAsync();
            tried.Add(string.Create(CultureInfo.InvariantCulture, $"{attack}: {answer}; a normal read after it took {normal:0} ms; node peak RSS so far {node.Memory().Peak >> 20} MiB"));
        }

        // An upload with the write token: its status and the text of the answer.
        async Task<(HttpStatusCode Status, string Text)> UploadAsync(HttpContent content, string type)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(type);
            using var post = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tables") { Content = content };
            post.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "W");
            using var answer = await http.SendAsync(post);
            return (answer.StatusCode, await answer.Content.ReadAsStringAsync());
        }

        // A named table of several chunks and tree levels, which nothing below may damage.
        using var writer = new FlightClient(node.Location, new FlightClientOptions { Token = "W" });
        using var table = Service.TestBatches.Large(24L << 20, seed: 36);
        var named = await writer.PutAsync(FlightClient.PutDescriptor(name: "sensors"), table.Schema, [table]);
        await RecordAsync("a named table of 24 MiB put first (not an attack)", $"{named.Batches.Count} chunks");

        // Slow clients (issue 65): CSV downloads of the named table that read nothing past their
        // headers (60 MB of text, far more than the sockets buffer), and CSV uploads that stop after
        // their first bytes, more of them together than the node has pool threads. A download's
        // headers arriving show its writer has started; each must arrive, and then a normal read
        // and the uploads, once let go, must be answered.
        var slowReaders = new List<HttpResponseMessage>();
        var letGo = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slowUploads = new List<Task<(HttpStatusCode Status, string Text)>>();
        for (int i = 0; i < PoolThreads + 4; i++)
        {
            using var slow = new HttpRequestMessage(HttpMethod.Get, "/names/sensors?format=csv");
            slow.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "R");
            var headers = await http.SendAsync(slow, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(HttpStatusCode.OK, headers.StatusCode);
            slowReaders.Add(headers);
            slowUploads.Add(UploadAsync(new GatedContent("h\n1\n"u8.ToArray(), "2\n"u8.ToArray(), letGo.Task), "text/csv"));
        }

        await RecordAsync($"{slowReaders.Count} CSV downloads reading nothing and {slowUploads.Count} CSV uploads stalled, on a pool of {PoolThreads} threads", "each download answered its headers");
        letGo.SetResult();
        int stored = 0, dropped = 0;
        foreach (var upload in slowUploads)
        {
            // Stored once let go, or dropped by then for sending under the minimum body rate
            // (Kestrel's 240 B/s after 5 s: 408), which a loaded machine can reach while it waits.
            (HttpStatusCode status, string text) = await upload.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(status is HttpStatusCode.Created or HttpStatusCode.RequestTimeout, $"{(int)status} {text}");
            (status == HttpStatusCode.Created ? ref stored : ref dropped)++;
        }

        slowReaders.ForEach(r => r.Dispose());
        await RecordAsync($"the {slowUploads.Count} stalled uploads let go, the downloads dropped", $"{stored} stored (201), {dropped} dropped for their rate (408)");

        // Decompression bombs in IPC, ZSTD and LZ4, over HTTP and DoPut: 80 MB of zeros in a few KiB.
        foreach (CompressionCodec codec in new[] { CompressionCodec.Zstd, CompressionCodec.Lz4Frame })
        {
            byte[] bomb = Arrow.Tests.IpcFuzz.CompressedZeros.Stream(10_000_000, batches: 1, codec);
            (HttpStatusCode status, _) = await UploadAsync(new ByteArrayContent(bomb), "application/vnd.apache.arrow.stream");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            await RecordAsync($"IPC {codec} bomb ({bomb.Length} B claiming 80 MB) over HTTP", ((int)status).ToString(CultureInfo.InvariantCulture));

            var refused = await Assert.ThrowsAsync<RpcException>(() => writer.PutStreamAsync(bomb));
            Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
            await RecordAsync($"IPC {codec} bomb over DoPut", refused.StatusCode.ToString());
        }

        // Parquet bombs over HTTP: a 64 KiB ZSTD page of 2 GiB of zeros; a 1 MiB dictionary entry
        // named a million times; a 1 MiB value repeated a million times by front coding; eight
        // columns of 48 MiB pages, each within what may be held and together past it.
        var parquetBombs = new (string What, byte[] File)[]
        {
            ("Parquet ZSTD page claiming 2 GiB", Parquet.Tests.Bounded.HandMadeParquet.Int64ZerosInZstd(268_434_944)),
            ("Parquet dictionary entry of 1 MiB named 1,000,000 times", Parquet.Tests.Bounded.HandMadeParquet.OneDictionaryEntryRepeated(1 << 20, 1_000_000)),
            ("Parquet DELTA_BYTE_ARRAY prefix of 1 MiB shared 1,000,000 times", Parquet.Tests.Bounded.HandMadeParquet.FrontCodedPrefixRepeated(1 << 20, 1_000_000)),
            ("Parquet 8 columns of 48 MiB ZSTD pages", Parquet.Tests.Bounded.HandMadeParquet.Int64ZerosInZstd(6 << 20, columns: 8)),
        };
        foreach ((string what, byte[] file) in parquetBombs)
        {
            (HttpStatusCode status, string text) = await UploadAsync(new ByteArrayContent(file), "application/vnd.apache.parquet");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Contains("max_parquet_bytes_held", text, StringComparison.Ordinal);
            await RecordAsync($"{what} ({file.Length} B) over HTTP", ((int)status).ToString(CultureInfo.InvariantCulture));
        }

        // Unauthenticated declarations (issue 65): 24 unary calls without a token, each declaring a
        // request of 64 MiB - 1 and sending 8 MiB of it. Refused from their headers: nothing is read.
        int unauthenticated = 0;
        using (var raw = new HttpClient(new SocketsHttpHandler()) { Timeout = TimeSpan.FromMinutes(2) })
        {
            byte[] declared = new byte[5 + (8 << 20)];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(declared.AsSpan(1), (64u << 20) - 1);
            await Task.WhenAll(Enumerable.Range(0, 24).Select(async _ =>
            {
                if (await RawGrpcStatusAsync(raw, new Uri(new Uri(node.Location.Replace("grpc+tcp://", "http://", StringComparison.Ordinal)), "/arrow.flight.protocol.FlightService/GetFlightInfo"), declared) == StatusCode.Unauthenticated)
                {
                    Interlocked.Increment(ref unauthenticated);
                }
            }));
        }

        Assert.Equal(24, unauthenticated);
        await RecordAsync("24 unauthenticated calls declaring 64 MiB and sending 8 MiB each", $"{unauthenticated} UNAUTHENTICATED before their requests were read");

        // A few hundred bytes of Arrow stream saying 2 x 2^27 Null rows (issue 65): stored, as rows
        // of no size are cut by the row limit, in memory bounded by a chunk.
        var nulls = new Arrow.Types.Schema([new Arrow.Types.Field("n", Arrow.Types.ArrowType.Null)]);
        using (var stream = new MemoryStream())
        {
            using (var ipc = new Arrow.Ipc.ArrowStreamWriter(stream, nulls, leaveOpen: true))
            {
                for (int i = 0; i < 2; i++)
                {
                    ipc.Write(new Arrow.Arrays.RecordBatch(nulls, 1 << 27, [new Arrow.Arrays.ArrayData(Arrow.Types.ArrowType.Null, 1 << 27, 1 << 27, 0, [])]));
                }

                ipc.Finish();
            }

            (HttpStatusCode status, string text) = await UploadAsync(new ByteArrayContent(stream.ToArray()), "application/vnd.apache.arrow.stream");
            Assert.True(status == HttpStatusCode.Created, text);
            Assert.Contains("\"rows\":268435456", text, StringComparison.Ordinal);
            await RecordAsync($"Arrow stream of {stream.Length} B saying 2 x 2^27 Null rows", $"{(int)status}, 268,435,456 rows in chunks of at most 2^23");
        }

        // One 1 MiB dictionary value named by 300 rows (issue 65): 1 MiB on the wire, and every
        // chunk stores the value again, 300 MiB in all: refused once the chunks pass the per-request limit.
        (HttpStatusCode dictionaryStatus, string dictionaryText) = await UploadAsync(new ByteArrayContent(Gateway.Tests.HostileUploads.OneLargeDictionaryValue(rows: 300)), "application/vnd.apache.arrow.stream");
        Assert.True(dictionaryStatus == HttpStatusCode.BadRequest, dictionaryText);
        Assert.Contains("max_decompressed_bytes_per_request", dictionaryText, StringComparison.Ordinal);
        await RecordAsync("Arrow stream of 1 MiB naming one 1 MiB dictionary value in 300 rows (300 MiB of chunks)", $"{(int)dictionaryStatus}, past max_decompressed_bytes_per_request");

        // A CAR of four blocks whose tree links one chunk 4,096 times at each of three levels
        // (issue 65): a table of 68 billion chunks, imported beside the node. Describing, reading
        // or listing it walks at most max_table_chunks of them.
        string car = Path.Combine(node.Folder, "fan-out.car");
        Arrow.Arrays.RecordBatch one = Service.TestBatches.Large(8, seed: 65);
        var hostile = FanOutCar(car, one);
        (int imported, string importOutput) = await ServeProcess.RunCliAsync("import", "car", car, "--repo", node.Repository);
        Assert.True(imported == 0, importOutput);
        foreach (string path in new[] { $"/api/v1/tables/{hostile}", $"/ipfs/{hostile}?format=arrow" })
        {
            using var look = new HttpRequestMessage(HttpMethod.Get, path);
            look.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "R");
            using var answer = await http.SendAsync(look);
            string text = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)answer.StatusCode} {text}");
            Assert.Contains("max_table_chunks", text, StringComparison.Ordinal);
        }

        using (var looker = new FlightClient(node.Location, new FlightClientOptions { Token = "R" }))
        {
            var info = await Assert.ThrowsAsync<RpcException>(() => looker.GetInfoAsync(hostile));
            Assert.Equal(StatusCode.InvalidArgument, info.StatusCode);

            // A client fetching it is bounded too: it walks the tree the node sends only up to its own limit.
            await Assert.ThrowsAsync<Content.Chunking.TableWalkLimitException>(() => looker.GetAsync(hostile));
            int listed = 0;
            await foreach (var flight in looker.ListAsync())
            {
                Assert.DoesNotContain(hostile.ToString(), string.Join('/', flight.FlightDescriptor.Path), StringComparison.Ordinal);
                listed++;
            }

            await RecordAsync("a CAR of 4 blocks linking 68,719,476,736 chunks: described, read, FlightInfo, fetched by a client, listed", $"400, 400, INVALID_ARGUMENT, refused by the client's own limit, left out of a listing of {listed}");
        }

        // An endless CSV record (64 MiB of "1," after a header), streamed.
        (HttpStatusCode csvStatus, _) = await UploadAsync(new EndlessCsvContent(64L << 20), "text/csv");
        Assert.Equal(HttpStatusCode.BadRequest, csvStatus);
        await RecordAsync("endless CSV record (64 MiB)", ((int)csvStatus).ToString(CultureInfo.InvariantCulture));

        // A replay storm: 150 subscribers from sequence 0 with the read token.
        var storm = new List<HttpResponseMessage>();
        int admitted = 0, refusedSubscribers = 0;
        for (int i = 0; i < 150; i++)
        {
            var response = await http.GetAsync("/api/v1/events?after=0&access_token=R", HttpCompletionOption.ResponseHeadersRead);
            storm.Add(response);
            (response.StatusCode == HttpStatusCode.OK ? ref admitted : ref refusedSubscribers)++;
        }

        Assert.Equal(100, admitted);
        await RecordAsync("150 replaying subscribers on one token", $"{admitted} admitted, {refusedSubscribers} refused 429");
        storm.ForEach(r => r.Dispose());

        // Deletes deep in the named tree.
        var deep = named.Batches[named.Batches.Count / 2].Cid;
        var delete = await Assert.ThrowsAsync<RpcException>(() => writer.ActionAsync("delete", deep.ToString()));
        Assert.Equal(StatusCode.FailedPrecondition, delete.StatusCode);
        await RecordAsync("delete of a chunk of a named table", delete.StatusCode.ToString());

        // A session flood by the read user, and password guessing.
        using (var reader = new FlightClient(node.Location))
        {
            for (int i = 0; i < 2_000; i++)
            {
                await reader.AuthenticateBasicAsync("reader", "r");
            }

            // The flood evicted none of another user's sessions: a session issued before it still works.
            await RecordAsync("2,000 handshakes by one user", "each answered");
            int throttled = 0;
            for (int i = 0; i < 20; i++)
            {
                var guess = await Assert.ThrowsAsync<RpcException>(() => reader.AuthenticateBasicAsync("reader", $"guess{i}"));
                throttled += guess.StatusCode == StatusCode.ResourceExhausted ? 1 : 0;
            }

            Assert.True(throttled >= 15, $"{throttled} of 20 guesses throttled");
            await RecordAsync("20 wrong passwords", $"{throttled} refused unchecked (RESOURCE_EXHAUSTED)");
        }

        // DNS rebinding and a cross-origin write.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tables"))
        {
            rebound.Headers.Host = "rebind.attacker.example";
            using var answer = await http.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, answer.StatusCode);
            await RecordAsync("foreign Host name", ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture));
        }

        using (var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tables") { Content = new StringContent("a\n1\n", Encoding.UTF8, "text/csv") })
        {
            crossSite.Headers.Add("Origin", "https://evil.example");
            crossSite.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "W");
            using var answer = await http.SendAsync(crossSite);
            Assert.Equal(HttpStatusCode.Forbidden, answer.StatusCode);
            await RecordAsync("cross-origin write", ((int)answer.StatusCode).ToString(CultureInfo.InvariantCulture));
        }

        // Nothing of the named table was lost: fetched whole, every chunk re-hashed; the node lives.
        var fetched = await writer.GetByNameAsync("sensors");
        Assert.Equal(named.Table, fetched.Cid);
        Assert.Equal(named.Batches.Count, fetched.Batches.Count);
        Assert.False(node.HasExited, node.Output);
        (long rss, long peak) = node.Memory();
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"abuse suite: {tried.Count} attacks, 0 crashes, 0 blocks of named tables lost, node peak RSS {peak >> 20} MiB (goal < {PeakGoal >> 20} MiB), now {rss >> 20} MiB");
        Report(summary, tried);
        Assert.True(peak < PeakGoal, summary);
    }

    /// <summary>
    /// Writes to <paramref name="path"/> a CAR whose table links the chunk of <paramref name="row"/>
    /// 4,096 times from a level-0 node, that node 4,096 times from a level-1 node, and that 4,096
    /// times from the root: four blocks, 68,719,476,736 chunks. Every node is well formed and its
    /// totals add up. Returns the table's CID.
    /// </summary>
    private static Content.Multiformats.Cid FanOutCar(string path, Arrow.Arrays.RecordBatch row)
    {
        const int FanOut = Content.Chunking.TableTreeNode.MaxEntries;
        byte[] chunk = Content.Canonical.CanonicalEncoder.Encode(row);
        var chunkCid = Content.Multiformats.Cid.ForRaw(chunk);
        var entry = new Content.Chunking.TableTreeEntry(chunkCid, row.Length, chunk.Length);
        var blocks = new List<(Content.Multiformats.Cid Cid, byte[] Bytes)> { (chunkCid, chunk) };
        for (int level = 0; level < 2; level++)
        {
            var node = Content.Chunking.TableTreeNode.Inner(level, Enumerable.Repeat(entry, FanOut).ToList()).Encode();
            blocks.Add((node.Cid, node.Bytes));
            entry = new Content.Chunking.TableTreeEntry(node.Cid, entry.Rows * FanOut, entry.Bytes * FanOut);
        }

        var root = Content.Chunking.TableTreeNode.Root(2, Enumerable.Repeat(entry, FanOut).ToList(), Content.Datasets.DatasetSchemaMessage.Encode(row.Schema)).Encode();
        blocks.Add((root.Cid, root.Bytes));
        using var file = File.Create(path);
        var writer = new Content.Car.CarV1Writer(file, [root.Cid]);
        foreach (var (cid, bytes) in Enumerable.Reverse(blocks))
        {
            writer.WriteBlock(cid, bytes);
        }

        return root.Cid;
    }

    // A gRPC call with a hand-made body, bypassing our client: the status the server answered.
    private static async Task<StatusCode?> RawGrpcStatusAsync(HttpClient client, Uri method, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request);
        _ = await response.Content.ReadAsByteArrayAsync();
        string? status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : null;
        return status is null ? null : (StatusCode)int.Parse(status, CultureInfo.InvariantCulture);
    }

    private void Report(string summary, List<string> tried)
    {
        output.WriteLine(summary);
        tried.ForEach(output.WriteLine);
        if (RepositoryPaths.Root is { } root)
        {
            string folder = Path.Combine(root, "artifacts", "stress");
            Directory.CreateDirectory(folder);
            File.WriteAllLines(Path.Combine(folder, "abuse.txt"), [summary, .. tried.Select(t => "  " + t)]);
        }
    }

    /// <summary>A body sent in two parts: <paramref name="head"/>, then <paramref name="tail"/> once <paramref name="gate"/> opens.</summary>
    private sealed class GatedContent(byte[] head, byte[] tail, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(head);
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(tail);
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = 0;
            return false;
        }
    }

    /// <summary>A CSV body of a header and then one record of "1," that goes on for <paramref name="length"/> bytes, made as it is sent.</summary>
    private sealed class EndlessCsvContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync("h\n"u8.ToArray());
            byte[] piece = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("1,", 32 * 1024)));
            try
            {
                for (long sent = 0; sent < length; sent += piece.Length)
                {
                    await stream.WriteAsync(piece);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
            {
                // The node answered and stopped reading: what matters is its answer.
            }
        }

        protected override bool TryComputeLength(out long computed)
        {
            computed = 0;
            return false;
        }
    }
}
