using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;
using Xunit.Abstractions;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// Bad input never breaks the gateway: 20,000 seeded-random requests (paths, methods, headers,
/// query strings and bodies, mutated from what the endpoints expect), over HTTP/1.1 and HTTP/2
/// connections in parallel and, for what no HTTP client would send, a raw socket. Every answer
/// must be below 500, arrive in time, and a body that starts must come whole (or reach a byte cap);
/// afterwards the node still answers a known-good request. The generator knows the URL space of the
/// whole gateway (docs/http.md), so endpoints are fuzzed as they are added.
/// </summary>
public sealed class GatewayFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 14_006;
    private const int Requests = 20_000;
    private const int Workers = 8;

    /// <summary>Share of the requests sent over a raw socket rather than HttpClient.</summary>
    private const double RawShare = 0.1;

    /// <summary>A body is read this far and then dropped: enough to see a stream is being sent.</summary>
    private const int BodyCap = 1 << 20;

    /// <summary>No answer (headers, or the next bytes of a body) may take longer: a hang.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Twenty_thousand_fuzzed_requests_get_answers_below_500_and_the_node_lives_on()
    {
        await using var node = await GatewayFixture.StartAsync();
        var corpus = Corpus.Fill(node.Content);
        var plans = new RequestGenerator(new Random(Seed), corpus).Generate(Requests);

        using var http1 = Client(node.Gateway.Address, HttpVersion.Version11);
        using var http2 = Client(node.Gateway.Address, HttpVersion.Version20);
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        int next = -1;
        int unsendable = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < plans.Count && failures.Count < 20)
            {
                var plan = plans[index];
                try
                {
                    int status = plan.Raw is not null
                        ? await SendRawAsync(node.Gateway.Address, plan.Raw)
                        : await SendAsync(plan.Http2 ? http2 : http1, plan);
                    statuses.AddOrUpdate(status, 1, (_, count) => count + 1);

                    // Kestrel itself answers a request line naming another HTTP version with 505 (RFC 9110
                    // §15.6.6: the version is what it refuses), before any gateway code runs.
                    bool refusedVersion = status == 505 && plan.OtherVersion;
                    if (status >= 500 && !refusedVersion)
                    {
                        failures.Enqueue($"#{index} {status}: {plan}");
                    }
                }
                catch (UriFormatException)
                {
                    // A target HttpClient will not send: nothing reached the node.
                    Interlocked.Increment(ref unsendable);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && plan.BrokenFraming)
                {
                    // A body that breaks its own framing (a chunk that never ends, a length never met) makes
                    // Kestrel drop the connection once it has answered; unread bytes then turn the close into a reset.
                    statuses.AddOrUpdate(0, 1, (_, count) => count + 1);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or SocketException or FuzzFailure)
                {
                    failures.Enqueue($"#{index} {e.GetType().Name}: {e.Message} ({e.InnerException?.Message}): {plan}");
                }
            }
        })));

        output.WriteLine($"{plans.Count} requests ({unsendable} refused by HttpClient) in {clock.Elapsed.TotalSeconds:0.0} s; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} x{s.Value}"))}");
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(20)));
        Assert.True(statuses.Keys.Any(s => s is >= 200 and < 300), "no request succeeded: the generator no longer reaches held content");

        // Still alive and still right.
        using var alive = await http1.GetAsync($"/ipfs/{corpus.RawBlock}?format=raw");
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.True(corpus.RawBlock.Verify(await alive.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public void The_generator_is_deterministic()
    {
        var corpus = new Corpus([Cid.ForRaw([1])], Cid.ForRaw([2]), [Cid.ForRaw([3])], ["sensors"], [[0xFF, 0xFF, 0xFF, 0xFF]]);
        var first = new RequestGenerator(new Random(Seed), corpus).Generate(500).Select(p => p.ToString());
        var second = new RequestGenerator(new Random(Seed), corpus).Generate(500).Select(p => p.ToString());
        Assert.Equal(first, second);
    }

    private static HttpClient Client(Uri address, Version version) => new(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = Workers,
        EnableMultipleHttp2Connections = true,
        ConnectTimeout = Stall,

        // Header values go out as UTF-8 bytes rather than being refused on the client.
        RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
    })
    {
        BaseAddress = address,
        DefaultRequestVersion = version,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private static async Task<int> SendAsync(HttpClient client, RequestPlan plan)
    {
        // Absolute, so a target such as //ipfs//x stays a path rather than naming a host.
        using var request = new HttpRequestMessage(new HttpMethod(plan.Method), new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + plan.Target));
        if (plan.Body is not null)
        {
            request.Content = new ByteArrayContent(plan.Body);
            if (plan.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", plan.ContentType);
            }
        }

        foreach (var (name, value) in plan.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeout = new CancellationTokenSource(Stall);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        bool bodyless = plan.Method == "HEAD" || response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.NotModified;
        await DrainAsync(await response.Content.ReadAsStreamAsync(timeout.Token), response.Content.Headers.ContentType?.MediaType, bodyless ? null : response.Content.Headers.ContentLength);
        return (int)response.StatusCode;
    }

    /// <summary>
    /// Reads a body to its end or <see cref="BodyCap"/>; a live feed (Server-Sent Events) never ends,
    /// so it is read briefly. Each read must come within <see cref="Stall"/>; a declared length must be met.
    /// </summary>
    private static async Task DrainAsync(Stream body, string? mediaType, long? declared)
    {
        await using (body)
        {
            var buffer = new byte[64 << 10];
            long total = 0;
            var feedDeadline = mediaType == "text/event-stream" ? Stopwatch.StartNew() : null;
            while (total < BodyCap)
            {
                using var timeout = new CancellationTokenSource(feedDeadline is null ? Stall : TimeSpan.FromMilliseconds(300));
                int read;
                try
                {
                    read = await body.ReadAsync(buffer, timeout.Token);
                }
                catch (OperationCanceledException) when (feedDeadline is not null)
                {
                    return;
                }

                if (read == 0)
                {
                    if (declared is { } length && total != length)
                    {
                        throw new FuzzFailure($"the body ended after {total} of its {length} bytes");
                    }

                    return;
                }

                total += read;
                if (feedDeadline?.Elapsed > TimeSpan.FromMilliseconds(300))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends bytes as they are and reads the status line; the rest is read to its length, the close, or the cap.</summary>
    private static async Task<int> SendRawAsync(Uri address, byte[] request)
    {
        using var timeout = new CancellationTokenSource(Stall);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(address.Host, address.Port, timeout.Token);
        await socket.SendAsync(request, SocketFlags.None, timeout.Token);
        socket.Shutdown(SocketShutdown.Send);
        var received = new MemoryStream();
        var buffer = new byte[16 << 10];
        int read;
        while (received.Length < BodyCap && (read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        string head = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)Math.Min(received.Length, 64));
        // "HTTP/1.1 400 Bad Request": Kestrel may also close without a word for a request it cannot parse at all.
        return received.Length == 0
            ? 400
            : head.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(head.AsSpan(9, 3), CultureInfo.InvariantCulture, out int status)
                ? status
                : throw new FuzzFailure($"not an HTTP answer: {head}");
    }

    private sealed class FuzzFailure(string message) : Exception(message);

    /// <summary>What the node holds for the fuzzer to aim at (and mutate).</summary>
    private sealed record Corpus(IReadOnlyList<Cid> Tables, Cid RawBlock, IReadOnlyList<Cid> Blocks, IReadOnlyList<string> Names, IReadOnlyList<byte[]> Bodies)
    {
        /// <summary>Puts two tables (one named, in two versions; one chunked), a single batch and raw blocks; keeps valid upload bodies to mutate.</summary>
        public static Corpus Fill(ContentRepository content)
        {
            var chunked = content.PutStream(MixedTable.Schema, MixedTable.Batches(3, 0, 40_000, 8_192), new PutOptions { Name = "sensors", Tags = new Dictionary<string, string> { ["site"] = "north" } });
            var second = content.PutStream(MixedTable.Schema, MixedTable.Batches(3, 0, 41_000, 8_192), new PutOptions { Name = "sensors" });
            var single = content.PutBatch(MixedTable.Build(5, 0, 100));
            var random = new Random(Seed);
            var blocks = new List<Cid>();
            for (int i = 0; i < 3; i++)
            {
                var bytes = new byte[1000 << i];
                random.NextBytes(bytes);
                var cid = Cid.ForRaw(bytes);
                content.Repository.PutBlock(cid, bytes, new BlockRecord { Cid = cid, Kind = BlockKind.Foreign });
                blocks.Add(cid);
            }

            var stream = new MemoryStream();
            using (var writer = new ArrowStreamWriter(stream, MixedTable.Schema, leaveOpen: true))
            {
                writer.Write(MixedTable.Build(7, 0, 50));
                writer.Finish();
            }

            byte[] csv = Encoding.UTF8.GetBytes("a,b,c\n1,2.5,x\n2,,\"y,z\"\n");
            byte[] parquet = [.. "PAR1"u8, .. new byte[64], .. "PAR1"u8];
            return new Corpus([chunked.Table.Cid, second.Table.Cid, single.Cid, .. chunked.Batches.Take(2).Select(b => b.Cid)], blocks[0], blocks, ["sensors"], [stream.ToArray(), csv, parquet]);
        }
    }

    /// <summary>One request: sent through HttpClient (version, method, target, headers, body) or, when <see cref="Raw"/> is set, as those bytes on a socket.</summary>
    private sealed record RequestPlan(bool Http2, string Method, string Target, IReadOnlyList<(string Name, string Value)> Headers, byte[]? Body, string? ContentType, byte[]? Raw)
    {
        /// <summary>A raw request whose request line names an HTTP version other than 1.0 or 1.1.</summary>
        public bool OtherVersion { get; init; }

        /// <summary>A raw request whose body framing (Content-Length, Transfer-Encoding) is broken or not met.</summary>
        public bool BrokenFraming { get; init; }

        public override string ToString() => Raw is not null
            ? $"raw {Encoding.Latin1.GetString(Raw, 0, Math.Min(Raw.Length, 300)).ReplaceLineEndings("\\n")}"
            : $"{(Http2 ? "h2" : "h1")} {Method} {Truncate(Target)} [{string.Join("; ", Headers.Select(h => $"{h.Name}: {Truncate(h.Value)}"))}] body {Body?.Length.ToString(CultureInfo.InvariantCulture) ?? "-"} {ContentType}";

        private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
    }

    /// <summary>Requests drawn from one seeded <see cref="Random"/>: the same seed gives the same list.</summary>
    private sealed class RequestGenerator(Random random, Corpus corpus)
    {
        private static readonly string[] Methods = ["GET", "GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "FOO"];

        private static readonly string[] MediaTypes =
        [
            "application/vnd.ipld.raw", "application/vnd.ipld.car", "application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file",
            "application/vnd.apache.parquet", "text/csv", "application/json", "text/event-stream", "*/*", "application/*", "text/*", "image/png",
            "application/x-www-form-urlencoded", "multipart/form-data", "application/vnd.ipld.dag-json", "application/vnd.ipfs.ipns-record",
        ];

        private static readonly string[] Parameters =
        [
            "q=0", "q=1", "q=0.5", "q=abc", "q=-1", "q=1.0001", "q=", "version=1", "version=2", "version=x", "order=dfs", "order=unk", "order=",
            "dups=y", "dups=n", "dups=maybe", "codecs=\"zstd\"", "codecs=\"lz4\"", "codecs=\"snappy\"", "codecs=zstd", "codecs=\"\"", "charset=utf-8",
            "header=present", "=", ";", "a=\"unterminated", "q=0.000001", "q=1e3",
        ];

        private static readonly string[] QueryNames =
        [
            "format", "dag-scope", "entity-bytes", "car-version", "car-order", "car-dups", "limit", "after", "tag", "name", "kind", "q",
            "chunks", "filename", "download", "access_token", "version", "codecs", "x",
        ];

        private static readonly string[] QueryValues =
        [
            "raw", "car", "arrow", "arrow-stream", "arrow-file", "parquet", "csv", "json", "tar", "dag-json", "", "block", "entity", "all", "none",
            "0:*", "-5:10", "10:5", "0:-1", "abc", "1", "2", "dfs", "unk", "y", "n", "-1", "0", "99999999999999999999", "1e9", "NaN", "site=north",
            "=", "k=v=w", "%00", "%ff", "%", "%zz", "0-1", "5-2", "0-99999", "a-b", "..", "sensors", "Bearer x", "\u00e9\u6f22", "' OR 1=1 --",
        ];

        private static readonly string[] NameVariants = ["sensors", "nope", "", "a/b", "..", "%2e%2e", "SENSORS", "sensors@1", "x".PadRight(300, 'x'), "\u00fcber", "%00", "a b"];

        private readonly List<string> _cids = [.. corpus.Tables.Concat(corpus.Blocks).Select(c => c.ToString())];

        public List<RequestPlan> Generate(int count)
        {
            var plans = new List<RequestPlan>(count);
            for (int i = 0; i < count; i++)
            {
                plans.Add(random.NextDouble() < RawShare ? RawPlan() : HttpPlan());
            }

            return plans;
        }

        private RequestPlan HttpPlan()
        {
            string method = Pick(Methods);
            bool upload = random.NextDouble() < 0.12;
            string target = upload ? "/api/v1/tables" + Query() : Path() + Query();
            if (upload)
            {
                method = "POST";
            }

            var headers = new List<(string, string)>();
            int count = random.Next(0, 5);
            for (int i = 0; i < count; i++)
            {
                headers.Add(Header());
            }

            byte[]? body = null;
            string? contentType = null;
            if (upload || (method is "POST" or "PUT" or "PATCH" && random.NextDouble() < 0.5))
            {
                body = Body();
                contentType = random.NextDouble() < 0.9 ? Pick(MediaTypes) + (random.NextDouble() < 0.3 ? ";" + Pick(Parameters) : string.Empty) : null;
            }

            return new RequestPlan(random.NextDouble() < 0.5, method, target, headers, body, contentType, null);
        }

        private RequestPlan RawPlan()
        {
            // What HttpClient would normalise or refuse: raw bytes in the target, `..`, bad versions, broken framing.
            string target = random.Next(6) switch
            {
                0 => "/ipfs/" + Pick(_cids) + "/../../etc/passwd",
                1 => "/ipfs/\u00e9\u6f22\u0001" + Pick(_cids),
                2 => "/" + new string('a', random.Next(1, 20_000)),
                3 => "/ipfs/%" + random.Next(256).ToString("x", CultureInfo.InvariantCulture) + "%zz%",
                4 => "*",
                _ => Path() + Query(),
            };
            string version = random.Next(8) == 0 ? Pick(["HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 x", ""]) : "HTTP/1.1";
            var text = new StringBuilder().Append(Pick(Methods)).Append(' ').Append(target).Append(' ').Append(version).Append("\r\nHost: 127.0.0.1\r\n");
            string framing = random.Next(4) == 0
                ? Pick(["Content-Length: 10\r\n", "Content-Length: -1\r\n", "Transfer-Encoding: chunked\r\n", "Content-Length: 1\r\nContent-Length: 2\r\n", "X: \u0001\u00ff\r\n", "NoColon\r\n"])
                : string.Empty;
            text.Append(framing);
            var (name, value) = Header();
            text.Append(name).Append(": ").Append(value).Append("\r\nConnection: close\r\n\r\n");
            bool trailing = random.Next(3) == 0;
            if (trailing)
            {
                text.Append("5\r\nhello\r\nzz\r\n");
            }

            return new RequestPlan(false, string.Empty, string.Empty, [], null, null, Encoding.UTF8.GetBytes(text.ToString()))
            {
                OtherVersion = version is not ("HTTP/1.1" or "HTTP/1.0"),
                BrokenFraming = framing.StartsWith("Content-Length", StringComparison.Ordinal) || framing.StartsWith("Transfer-Encoding", StringComparison.Ordinal) || trailing,
            };
        }

        private string Path() => random.Next(16) switch
        {
            0 or 1 or 2 or 3 => "/ipfs/" + CidText(),
            4 => "/ipfs/" + CidText() + "/" + Pick(["", "a", "a/b", "..", "%2F", "0"]),
            5 => "/names/" + Pick(NameVariants) + Pick(["", "/versions", "/versions/1", "/x", "/"]),
            6 => "/api/v1/tables" + Pick(["", "/", "/" + CidText(), "/" + CidText() + "/x"]),
            7 => "/api/v1/" + Pick(["events", "names", "tables", "nothing", "tables/%00", ""]),
            8 => "/routing/v1/" + Pick(["providers/", "peers/", "ipns/", "", "x/"]) + CidText(),
            9 => "/ipns/" + CidText(),
            10 => "/" + Garbage(random.Next(0, 40)),
            11 => "/ipfs/" + new string('b', random.Next(100, 9_000)),
            12 => Pick(["/", "/ipfs", "/ipfs/", "/names", "/api", "/routing/v1", "//ipfs//x", "/ipfs/%2e%2e/x", "/IPFS/" + Pick(_cids)]),
            _ => "/ipfs/" + Pick(_cids),
        };

        /// <summary>A CID: held, unknown, or broken in one of the ways CIDs break.</summary>
        private string CidText()
        {
            string cid = Pick(_cids);
            return random.Next(14) switch
            {
                0 => cid[..random.Next(1, cid.Length)],
                1 => cid.Remove(random.Next(1, cid.Length), 1).Insert(random.Next(1, cid.Length - 1), Pick(["a", "z", "0", "1", "I", "O", "é"])),
                2 => cid.ToUpperInvariant(),
                3 => Pick(["bafkqaaa", "bafkqaaa2", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "Qm", "z", "f01551220", "m", "u", "b", "bafy", "bagaaierasords4njcts6vs7qvdjfcvgnume4hqohf65zsfguprqphs3icwea"]),
                4 => "f" + Convert.ToHexStringLower(Cid.Parse(cid).ToBytes()),
                5 => Uri.EscapeDataString(cid),
                6 => cid + Garbage(random.Next(1, 10)),
                7 => Cid.ForRaw(BitConverter.GetBytes(random.Next())).ToString(),
                8 => "%" + Convert.ToHexString([(byte)random.Next(256)]),
                _ => cid,
            };
        }

        private string Query()
        {
            if (random.Next(3) == 0)
            {
                return string.Empty;
            }

            var query = new StringBuilder("?");
            int count = random.Next(1, 5);
            for (int i = 0; i < count; i++)
            {
                query.Append(i > 0 ? "&" : string.Empty).Append(Pick(QueryNames));
                if (random.Next(10) != 0)
                {
                    query.Append('=').Append(Uri.EscapeDataString(random.Next(8) == 0 ? Garbage(random.Next(0, 30)) : Pick(QueryValues)));
                }
            }

            return query.ToString();
        }

        private (string Name, string Value) Header() => random.Next(13) switch
        {
            0 or 1 or 2 => ("Accept", string.Join(", ", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(MediaTypes) + string.Concat(Enumerable.Range(0, random.Next(0, 3)).Select(_ => ";" + Pick(Parameters)))))),
            3 => ("Range", Pick(["bytes=0-0", "bytes=0-", "bytes=-1", "bytes=5-1", "bytes=abc", "bytes=0-1,3-4", "items=1-2", "bytes=99999999999999999999-", "bytes=-0", "bytes=", "bytes=1-2-3", "bytes=100000-200000"])),
            4 => ("If-None-Match", Pick(["*", "\"x\"", "W/\"x\"", "\"" + Pick(_cids) + ".raw\"", "garbage", "\"", ""])),
            5 => ("Accept-Encoding", Pick(["zstd", "gzip", "br", "deflate", "identity;q=0", "*;q=0", "gzip;q=abc, zstd;q=2", "x-unknown", "zstd, gzip, br", ""])),
            6 => ("Authorization", Pick(["Bearer", "Bearer ", "Bearer x", "Basic Zm9vOmJhcg==", "Basic !!!", "Digest a", new string('B', 5000), "Bearer \u00e9"])),
            7 => ("Last-Event-ID", Pick(["abc", "-1", "0", "1", "99999999999999999999", "1e9", "", " 5 "])),
            8 => ("Cache-Control", Pick(["only-if-cached", "no-cache", "max-age=abc", "only-if-cached, no-store"])),
            9 => ("Origin", Pick(["https://example.org", "null", "*", "http://evil"])),
            10 => ("Access-Control-Request-Method", Pick(["GET", "POST", "X"])),
            11 => ("If-Match", Pick(["*", "\"x\""])),
            _ => (Garbage(random.Next(1, 12)).Replace(':', 'x').Replace(' ', 'x'), Garbage(random.Next(0, 40))),
        };

        /// <summary>A body for an upload: a valid one, truncated, with bytes flipped, or noise.</summary>
        private byte[] Body()
        {
            byte[] valid = Pick(corpus.Bodies);
            switch (random.Next(5))
            {
                case 0:
                    return valid[..random.Next(0, valid.Length)];
                case 1:
                {
                    var mutated = (byte[])valid.Clone();
                    for (int i = random.Next(1, 8); i > 0; i--)
                    {
                        mutated[random.Next(mutated.Length)] ^= (byte)random.Next(1, 256);
                    }

                    return mutated;
                }

                case 2:
                {
                    var noise = new byte[random.Next(0, 4096)];
                    random.NextBytes(noise);
                    return noise;
                }

                case 3:
                    return valid;
                default:
                    return [.. valid, .. valid[..random.Next(0, valid.Length)]];
            }
        }

        private string Garbage(int length)
        {
            const string Alphabet = "abcXYZ019-_.~%/?#[]@!$&'()*+,;= \u00e9\u6f22\U0001F600\t";
            var text = new StringBuilder(length);
            for (int i = 0; i < length; i++)
            {
                text.Append(Alphabet[random.Next(Alphabet.Length)]);
            }

            return text.ToString();
        }

        private T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
    }
}
