using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Client;
using ArrowCid.Flight.Protocol;
using ArrowCid.Flight.Tests.Service;
using Google.Protobuf;
using Xunit.Abstractions;

namespace ArrowCid.Flight.Tests.Reliability;

/// <summary>
/// Seeded fuzz of DoPut, DoGet, DoExchange and GetFlightInfo with hand-framed request bodies sent
/// over HTTP/2 (our client would refuse to send most of them): random bytes, truncated and mutated
/// encodings of valid Ticket, FlightDescriptor and FlightData messages, and valid FlightData
/// carrying mutated IPC headers and bodies. Every call must end with a proper gRPC status within
/// its deadline, and the node must keep serving (checked between rounds and at the end).
/// </summary>
public sealed class FlightFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20_250_905;

    private const int Rounds = 10;

    private const int InputsPerRound = 2_100;

    private static readonly string[] Methods = ["DoPut", "DoGet", "DoExchange", "GetFlightInfo"];

    [Fact]
    public async Task Malformed_requests_get_proper_statuses_and_the_node_keeps_serving()
    {
        await using FlightNodeFixture node = await FlightNodeFixture.StartAsync(memoryBacked: true);
        Material material = await Material.CreateAsync(node);
        using var http = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = Timeout.InfiniteTimeSpan };

        var statuses = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        int health = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; round < Rounds; round++)
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(round * InputsPerRound, InputsPerRound),
                new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (index, _) =>
                {
                    var random = new Random(HashCode.Combine(Seed, index));
                    string method = Methods[index % Methods.Length];
                    byte[] body = method switch
                    {
                        "DoPut" => material.DoPutBody(random),
                        "DoGet" => Frame(material.TicketInput(random)),
                        "DoExchange" => material.DoExchangeBody(random),
                        _ => Frame(material.DescriptorInput(random)),
                    };
                    string? problem = await CheckAsync(http, node.Node.Address, method, body, statuses);
                    if (problem is not null)
                    {
                        failures.Enqueue($"input {index} ({method}, {body.Length} bytes): {problem}");
                    }
                });
            await AssertServesAsync(node, material.Cid);
            health++;
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Rounds * InputsPerRound} inputs in {clock.Elapsed.TotalSeconds:F1} s, {health} health checks passed"));
        foreach (var (key, count) in statuses.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {key}: {count}"));
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(20))}");
    }

    /// <summary>Null when the call ended with a proper status in time; otherwise what went wrong.</summary>
    private static async Task<string?> CheckAsync(HttpClient http, Uri address, string method, byte[] body, ConcurrentDictionary<string, int> statuses)
    {
        // The server gets a deadline; the client gives up (a hung call) well after it.
        using var hung = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, $"/{FlightMethods.ServiceName}/{method}"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("grpc-timeout", method == "DoExchange" ? "200m" : "5S");
        try
        {
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, hung.Token);
            await response.Content.CopyToAsync(Stream.Null, hung.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return $"HTTP {(int)response.StatusCode}";
            }

            string? text = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
                : response.Headers.TryGetValues("grpc-status", out var h) ? h.First()
                : null;
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int code) || code > 16)
            {
                return $"no valid grpc-status ({text ?? "none"})";
            }

            var status = (Grpc.StatusCode)code;
            statuses.AddOrUpdate($"{method} {status}", 1, (_, n) => n + 1);
            return status switch
            {
                Grpc.StatusCode.Unknown => "UNKNOWN: an exception no handler mapped",
                Grpc.StatusCode.DeadlineExceeded when method != "DoExchange" => "DEADLINE_EXCEEDED: the call hung until its deadline",
                _ => null,
            };
        }
        catch (OperationCanceledException) when (hung.IsCancellationRequested)
        {
            return "hung: no answer within 30 s";
        }
        catch (HttpRequestException e)
        {
            return $"transport failure: {Describe(e)}";
        }
    }

    /// <summary>
    /// The whole exception chain of a transport failure: SocketsHttpHandler's own message says only
    /// "an error occurred while sending the request"; the HTTP/2 error code that the server sent (a
    /// stream reset or a GOAWAY) is on an inner HttpProtocolException, and a lost connection is an
    /// IOException or SocketException further in.
    /// </summary>
    private static string Describe(Exception e)
    {
        var text = new StringBuilder();
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (text.Length > 0)
            {
                text.Append(" <- ");
            }

            text.Append(current.GetType().Name);
            switch (current)
            {
                case HttpRequestException request:
                    text.Append(CultureInfo.InvariantCulture, $" [{request.HttpRequestError}]");
                    break;
                case HttpProtocolException protocol:
                    text.Append(CultureInfo.InvariantCulture, $" [HTTP/2 error code 0x{protocol.ErrorCode:X}]");
                    break;
                case System.Net.Sockets.SocketException socket:
                    text.Append(CultureInfo.InvariantCulture, $" [{socket.SocketErrorCode}]");
                    break;
            }

            text.Append(": ").Append(current.Message);
        }

        return text.ToString();
    }

    private static async Task AssertServesAsync(FlightNodeFixture node, Cid cid)
    {
        using var client = new FlightClient(node.Node.Location);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        FlightInfo info = await client.GetInfoAsync(cid, timeout.Token);
        Assert.Equal(cid.ToString(), info.Endpoint[0].Ticket.Ticket_.ToStringUtf8());
        FlightFetchResult fetched = await client.GetAsync(cid, timeout.Token);
        Assert.Single(fetched.Batches);
    }

    private static byte[] Frame(byte[] message) => Frame([message]);

    private static byte[] Frame(IEnumerable<byte[]> messages)
    {
        using var body = new MemoryStream();
        Span<byte> prefix = stackalloc byte[5];
        foreach (byte[] message in messages)
        {
            prefix[0] = 0;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)message.Length);
            body.Write(prefix);
            body.Write(message);
        }

        return body.ToArray();
    }

    /// <summary>Valid encodings to start from: a stored batch's CID, its IPC messages, descriptors.</summary>
    private sealed class Material
    {
        private Material(Cid cid, Cid dataset, (byte[] Header, byte[] Body)[] messages)
        {
            Cid = cid;
            Dataset = dataset;
            Messages = messages;
        }

        public Cid Cid { get; }

        public Cid Dataset { get; }

        public (byte[] Header, byte[] Body)[] Messages { get; }

        public static async Task<Material> CreateAsync(FlightNodeFixture node)
        {
            using RecordBatch batch = TestBatches.Small(42, rows: 12);
            using var client = new FlightClient(node.Node.Location);
            FlightPutSummary put = await client.PutAsync(batch.Schema, [batch]);
            Cid cid = put.Batches[0].Cid;
            ReadOnlyMemory<byte> canonical = node.Content.GetBytes(cid);
            var messages = IpcMessageDecoder.Split(canonical).Select(m => (m.Metadata.ToArray(), m.Body.ToArray())).ToArray();
            return new Material(cid, put.Table, messages);
        }

        public byte[] TicketInput(Random random)
        {
            string text = random.Next(3) switch
            {
                0 => Cid.ToString(),
                1 => Dataset.ToString(),
                _ => "bafkrei" + new string(Enumerable.Range(0, 52).Select(_ => (char)('a' + random.Next(26))).ToArray()),
            };
            byte[] valid = new Ticket { Ticket_ = ByteString.CopyFromUtf8(text) }.ToByteArray();
            if (random.Next(4) == 0)
            {
                // A well-formed Ticket whose CID text is damaged.
                byte[] raw = Encoding.UTF8.GetBytes(text);
                return new Ticket { Ticket_ = ByteString.CopyFrom(Mutate(random, raw)) }.ToByteArray();
            }

            return Mutate(random, valid);
        }

        public byte[] DescriptorInput(Random random) => Mutate(random, Descriptor(random).ToByteArray());

        public byte[] DoPutBody(Random random)
        {
            List<FlightData> data = Stream(random);
            data[0].FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("{\"tags\":{\"fuzz\":\"1\"},\"pin\":false}") };
            return MutatedStream(random, data);
        }

        public byte[] DoExchangeBody(Random random)
        {
            List<FlightData> data = Stream(random);
            // Few valid subscriptions: they run until their deadline (DEADLINE_EXCEEDED), by design.
            if (random.Next(10) == 0)
            {
                data.Insert(0, new FlightData { FlightDescriptor = new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("{\"subscribe\":{\"tags\":{\"k\":\"v\"}}}") } });
            }
            else
            {
                data[0].FlightDescriptor = Descriptor(random);
            }

            return MutatedStream(random, data);
        }

        private FlightDescriptor Descriptor(Random random) => random.Next(4) switch
        {
            0 => new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { Cid.ToString() } },
            1 => new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8($"{{\"cid\":\"{Dataset}\"}}") },
            2 => new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("{\"tags\":{\"fuzz\":\"1\"},\"kind\":\"batch\",\"limit\":3}") },
            _ => new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Path, Path = { "k=v", Cid.ToString() } },
        };

        /// <summary>The stored batch's messages as FlightData, with one header or body damaged half of the time.</summary>
        private List<FlightData> Stream(Random random)
        {
            var data = Messages.Select(m => new FlightData { DataHeader = ByteString.CopyFrom(m.Header), DataBody = ByteString.CopyFrom(m.Body) }).ToList();
            if (random.Next(2) == 0)
            {
                int which = random.Next(data.Count);
                if (random.Next(2) == 0 || data[which].DataBody.IsEmpty)
                {
                    data[which].DataHeader = ByteString.CopyFrom(Mutate(random, data[which].DataHeader.ToByteArray()));
                }
                else
                {
                    data[which].DataBody = ByteString.CopyFrom(Mutate(random, data[which].DataBody.ToByteArray()));
                }
            }

            return data;
        }

        /// <summary>Frames the stream; half of the time one message's protobuf encoding is damaged too.</summary>
        private static byte[] MutatedStream(Random random, List<FlightData> data)
        {
            var encoded = data.Select(d => d.ToByteArray()).ToList();
            if (random.Next(2) == 0)
            {
                int which = random.Next(encoded.Count);
                encoded[which] = Mutate(random, encoded[which]);
            }

            if (random.Next(8) == 0)
            {
                encoded.RemoveRange(random.Next(encoded.Count), 1);
            }

            return Frame(encoded);
        }
    }

    /// <summary>One of: random bytes, a truncation, overwritten bytes, inserted bytes, a maximal varint byte, a duplicated tail.</summary>
    private static byte[] Mutate(Random random, byte[] valid)
    {
        switch (random.Next(6))
        {
            case 0:
                byte[] noise = new byte[random.Next(96)];
                random.NextBytes(noise);
                return noise;
            case 1:
                return valid.AsSpan(0, valid.Length == 0 ? 0 : random.Next(valid.Length)).ToArray();
            case 2:
                byte[] flipped = (byte[])valid.Clone();
                for (int i = random.Next(1, 5); i > 0 && flipped.Length > 0; i--)
                {
                    flipped[random.Next(flipped.Length)] = (byte)random.Next(256);
                }

                return flipped;
            case 3:
                byte[] inserted = new byte[random.Next(1, 16)];
                random.NextBytes(inserted);
                int at = random.Next(valid.Length + 1);
                return [.. valid.AsSpan(0, at), .. inserted, .. valid.AsSpan(at)];
            case 4:
                byte[] widened = (byte[])valid.Clone();
                if (widened.Length > 0)
                {
                    widened[random.Next(widened.Length)] = 0xFF;
                }

                return widened;
            default:
                int from = random.Next(valid.Length + 1);
                return [.. valid, .. valid.AsSpan(from)];
        }
    }
}
