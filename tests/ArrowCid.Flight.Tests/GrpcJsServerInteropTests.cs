using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ArrowCid.Grpc;
using ArrowCid.Flight.Protocol;
using ArrowCid.TestSupport;
using Google.Protobuf;

namespace ArrowCid.Flight.Tests;

/// <summary>
/// Our HTTP/2 client against an independent server: interop/node/lib/flight-test-server.mjs, a
/// Flight service on @grpc/grpc-js (node's nghttp2: HPACK with Huffman and the dynamic table, its
/// own frame sizes and flow control). Skipped, with the reason printed, without node and the packages.
/// </summary>
[Trait("Category", "Peers")]
public sealed class GrpcJsServerInteropTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Our_client_gets_puts_acts_and_reads_errors_from_a_grpc_js_server()
    {
        if (NodeInteropRunner.Unavailable("@grpc/grpc-js", "@grpc/proto-loader") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var start = new ProcessStartInfo(NodeInteropRunner.FindOnPath("node")!, ["lib/flight-test-server.mjs"])
        {
            WorkingDirectory = NodeInteropRunner.InteropDirectory!,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        try
        {
            using var startup = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string line = await node.StandardOutput.ReadLineAsync(startup.Token) ?? throw new InvalidOperationException(await node.StandardError.ReadToEndAsync());
            Assert.StartsWith("listening ", line, StringComparison.Ordinal);
            using var channel = new GrpcChannel(new Uri($"http://127.0.0.1:{line["listening ".Length..]}"));
            var client = new FlightServiceClient(channel);

            // DoGet: small and multi-megabyte messages (larger than grpc-js's 16 KiB frames and our 64 KiB staging).
            const int size = 3 * 1024 * 1024 + 17;
            using (GrpcCall<Ticket, FlightData> get = client.DoGet(new Ticket { Ticket_ = ByteString.CopyFromUtf8($"3:{size}") }))
            {
                int k = 0;
                while (await get.ResponseStream.MoveNext(CancellationToken.None))
                {
                    FlightData data = get.ResponseStream.Current;
                    Assert.Equal($"msg-{k}", data.AppMetadata.ToStringUtf8());
                    Assert.Equal(size, data.DataBody.Length);
                    ReadOnlySpan<byte> bytes = data.DataBody.Span;
                    for (int i = 0; i < bytes.Length; i += 4093)
                    {
                        Assert.Equal((byte)((31 * i) + k), bytes[i]);
                    }

                    k++;
                }

                Assert.Equal(3, k);
                Assert.Equal(StatusCode.OK, get.GetStatus().StatusCode);
            }

            // DoPut: our request body (a large message sent from where it lies, and small ones) hashed by the server.
            byte[] large = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
            byte[] small = Encoding.UTF8.GetBytes("small body");
            using (GrpcCall<FlightData, PutResult> put = client.DoPut())
            {
                await put.RequestStream.WriteAsync(new FlightData { DataBody = ByteString.CopyFrom(small) });
                await put.RequestStream.WriteAsync(new FlightData { DataBody = UnsafeByteOperations.UnsafeWrap(large) });
                await put.RequestStream.CompleteAsync();
                Assert.True(await put.ResponseStream.MoveNext(CancellationToken.None));
                using JsonDocument summary = JsonDocument.Parse(put.ResponseStream.Current.AppMetadata.ToStringUtf8());
                Assert.Equal(2, summary.RootElement.GetProperty("messages").GetInt32());
                Assert.Equal(small.Length + large.Length, summary.RootElement.GetProperty("bytes").GetInt32());
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([.. small, .. large])), summary.RootElement.GetProperty("sha256").GetString());
                Assert.False(await put.ResponseStream.MoveNext(CancellationToken.None));
            }

            // DoAction: request metadata reaches the server, trailers come back.
            var headers = new Metadata { { "x-echo", "from-csharp" } };
            using (GrpcCall<Protocol.Action, Result> action = client.DoAction(new Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("héllo") }, new CallOptions(headers)))
            {
                Assert.True(await action.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal("héllo", action.ResponseStream.Current.Body.ToStringUtf8());
                Assert.False(await action.ResponseStream.MoveNext(CancellationToken.None));
                Assert.Equal("from-csharp", action.GetTrailers().GetValue("x-echo"));
            }

            // Unary: a value, and an error status with a percent-encoded non-ASCII message.
            FlightInfo info = await client.GetFlightInfoAsync(new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("ok") });
            Assert.Equal(42, info.TotalRecords);
            RpcException failed = await Assert.ThrowsAsync<RpcException>(() =>
                client.GetFlightInfoAsync(new FlightDescriptor { Type = FlightDescriptor.Types.DescriptorType.Cmd, Cmd = ByteString.CopyFromUtf8("fail") }));
            Assert.Equal(StatusCode.FailedPrecondition, failed.StatusCode);
            Assert.Equal("not today: ünïcødé ✓", failed.Status.Detail);
        }
        finally
        {
            node.StandardInput.Close();
            if (!node.WaitForExit(5000))
            {
                node.Kill(entireProcessTree: true);
            }

            output.WriteLine(await node.StandardError.ReadToEndAsync());
        }
    }
}
