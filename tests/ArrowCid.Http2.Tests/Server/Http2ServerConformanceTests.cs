using System.Buffers.Binary;
using System.Text;
using ArrowCid.Grpc;
using ArrowCid.Http2;
using ArrowCid.Http2.Tests;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Http2.Tests.Server;

/// <summary>
/// A server (our HTTP/2 connection middleware under Kestrel) with the echo service and a stream
/// window of the smallest size Kestrel allows, so a test can overrun it with one frame.
/// </summary>
public sealed class Http2TestServer : IAsyncLifetime
{
    public const int StreamWindow = 65_535;

    private GrpcServer? _server;

    public Uri Address => (_server ?? throw new InvalidOperationException("not started")).Address;

    public async Task InitializeAsync()
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            MaxReceiveMessageSize = 1024 * 1024,
            IncludeExceptionDetails = true,
            InitialStreamWindowSize = StreamWindow,
        });
        new EchoService().Register(registry);
        _server = await GrpcServer.StartAsync(registry);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// RFC 9113 from the client's side of the wire: a hand-driven peer sends well-formed and broken
/// frames to our server and checks each answer, then that a fresh connection still gets a call through.
/// </summary>
public sealed class Http2ServerConformanceTests(Http2TestServer server) : IClassFixture<Http2TestServer>
{
    private Uri Address => server.Address;

    private static uint Setting(RawFrame settings, Http2SettingId id)
    {
        for (int i = 0; i + 6 <= settings.Payload.Length; i += 6)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(settings.Payload.AsSpan(i)) == (ushort)id)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(settings.Payload.AsSpan(i + 2));
            }
        }

        throw new Xunit.Sdk.XunitException($"the server did not announce {id}");
    }

    /// <summary>Sends <paramref name="frames"/> after a handshake and returns the GOAWAY code the server ends with.</summary>
    private async Task<Http2ErrorCode?> GoAwayAfterAsync(Func<RawHttp2Peer, Task> frames)
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await frames(peer);
            Http2ErrorCode? code = await peer.ReadGoAwayAsync();

            // After GOAWAY the server closes the connection.
            Assert.Null(await peer.ReadFrameAsync());
            return code;
        }
    }

    [Fact]
    public async Task Unary_call_works_and_settings_are_exchanged_and_acknowledged()
    {
        (RawHttp2Peer peer, RawFrame settings) = await RawHttp2Peer.HandshakeAsync(Address, (Http2SettingId.InitialWindowSize, 1 << 20));
        await using (peer)
        {
            Assert.Equal(0, settings.StreamId);
            Assert.Equal(0, settings.Payload.Length % 6);
            Assert.Equal(0u, Setting(settings, Http2SettingId.EnablePush));
            Assert.Equal((uint)Http2TestServer.StreamWindow, Setting(settings, Http2SettingId.InitialWindowSize));

            // Our SETTINGS is acknowledged with an empty ACK on stream 0.
            RawFrame? ack = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Settings);
            Assert.NotNull(ack);
            Assert.True(ack.Has(Http2FrameFlags.Ack));
            Assert.Empty(ack.Payload);
            Assert.Equal(0, ack.StreamId);

            await RawRequests.EchoAsync(peer, 1, "hello");
            await RawRequests.EchoAsync(peer, 3, "again on the same connection");
        }
    }

    [Fact]
    public async Task Ping_is_answered_with_an_ack_carrying_the_same_payload()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            byte[] payload = [1, 2, 3, 4, 5, 6, 7, 8];
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, payload);
            RawFrame? pong = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping);
            Assert.NotNull(pong);
            Assert.True(pong.Has(Http2FrameFlags.Ack));
            Assert.Equal(payload, pong.Payload);

            // A PING ACK from us is not answered (no ping-pong loop); the next answer is to our next PING.
            await peer.WriteFrameAsync(Http2FrameType.Ping, Http2FrameFlags.Ack, 0, new byte[8]);
            byte[] second = [9, 9, 9, 9, 9, 9, 9, 9];
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, second);
            pong = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.Ping);
            Assert.Equal(second, pong!.Payload);
        }
    }

    [Fact]
    public async Task Bad_preface_ends_the_connection_with_protocol_error()
    {
        RawHttp2Peer peer = await RawHttp2Peer.ConnectAsync(Address);
        await using (peer)
        {
            await peer.WriteRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
            RawFrame? frame = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway);
            if (frame is not null)
            {
                Assert.Equal(Http2ErrorCode.ProtocolError, frame.ErrorCode);
                Assert.Null(await peer.ReadFrameAsync());
            }
        }

        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task First_frame_other_than_settings_is_a_protocol_error()
    {
        RawHttp2Peer peer = await RawHttp2Peer.ConnectAsync(Address);
        await using (peer)
        {
            await peer.WriteRawAsync(Http2Protocol.ClientPreface.ToArray());
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
            Assert.Equal(Http2ErrorCode.ProtocolError, await peer.ReadGoAwayAsync());
        }

        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Frame_larger_than_max_frame_size_is_a_frame_size_error()
    {
        (RawHttp2Peer peer, RawFrame settings) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            int max = (int)Setting(settings, Http2SettingId.MaxFrameSize);
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            await peer.WriteFrameAsync(Http2FrameType.Data, 0, 1, new byte[16], lengthOverride: max + 1);
            Assert.Equal(Http2ErrorCode.FrameSizeError, await peer.ReadGoAwayAsync());
        }

        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public async Task Data_on_stream_zero_or_an_idle_stream_is_a_protocol_error(int streamId)
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteDataAsync(streamId, new byte[10], endStream: true));
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Rst_stream_for_a_stream_the_client_never_opened_leaves_the_connection_and_its_calls_alone()
    {
        // What gRPC C-core sends for a call cancelled before its HEADERS went out (grpc/grpc#19655):
        // the other call on the connection goes on, and so does the connection.
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            await peer.WriteRstAsync(3, Http2ErrorCode.Cancel);
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("still here"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Null(result.GoAway);
            Assert.Equal("still here", RawRequests.ReadEcho(result.Body.ToArray()));
            await RawRequests.EchoAsync(peer, 5, "and the next stream");
        }
    }

    [Fact]
    public async Task Headers_on_an_even_stream_is_a_protocol_error()
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteHeadersAsync(2, RawRequests.Unary(), endStream: true));
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Stream_ids_must_increase()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        Http2ErrorCode? code;
        await using (peer)
        {
            await RawRequests.EchoAsync(peer, 5, "first");

            // Stream 3 is below the highest id already used: a connection error (RFC 9113 §5.1.1).
            // Nothing is sent after it: the server closes after its GOAWAY, and bytes it never read
            // would make its kernel reset the connection, losing that GOAWAY.
            await peer.WriteHeadersAsync(3, RawRequests.Unary(), endStream: true);
            RawFrame? next = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.GoAway || f.StreamId == 3);
            Assert.NotNull(next);
            Assert.True(next.Type == Http2FrameType.GoAway, $"the server answered a stream whose id was below one already used with {next.Type}");
            code = next.ErrorCode;
            Assert.Null(await peer.ReadFrameAsync());
        }

        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Frame_interleaved_in_a_header_block_is_a_protocol_error()
    {
        byte[] block = RawHttp2Peer.Encode(RawRequests.Unary());
        Http2ErrorCode? code = await GoAwayAfterAsync(async peer =>
        {
            await peer.WriteFrameAsync(Http2FrameType.Headers, 0, 1, block.AsMemory(0, 4));
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
            await peer.WriteFrameAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, block.AsMemory(4));
        });
        Assert.Equal(Http2ErrorCode.ProtocolError, code);

        // CONTINUATION of another stream interrupts the block too.
        code = await GoAwayAfterAsync(async peer =>
        {
            await peer.WriteFrameAsync(Http2FrameType.Headers, 0, 1, block.AsMemory(0, 4));
            await peer.WriteFrameAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 3, block.AsMemory(4));
        });
        Assert.Equal(Http2ErrorCode.ProtocolError, code);

        // And CONTINUATION with no HEADERS before it.
        code = await GoAwayAfterAsync(peer => peer.WriteFrameAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, block));
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Header_block_split_over_continuation_frames_is_accepted()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            byte[] block = RawHttp2Peer.Encode(RawRequests.Unary());
            await peer.WriteFrameAsync(Http2FrameType.Headers, 0, 1, block.AsMemory(0, 1));
            for (int i = 1; i < block.Length - 1; i++)
            {
                await peer.WriteFrameAsync(Http2FrameType.Continuation, 0, 1, block.AsMemory(i, 1));
            }

            await peer.WriteFrameAsync(Http2FrameType.Continuation, Http2FrameFlags.EndHeaders, 1, block.AsMemory(block.Length - 1));
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("split"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Equal("split", RawRequests.ReadEcho(result.Body.ToArray()));
        }
    }

    [Fact]
    public async Task Header_list_over_the_limit_resets_only_its_stream_and_the_hpack_context_stays_in_step()
    {
        (RawHttp2Peer peer, RawFrame settings) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            int limit = (int)Setting(settings, Http2SettingId.MaxHeaderListSize);
            var pseudo = RawRequests.Unary().Where(f => f.Key.StartsWith(':') && f.Key != ":path").ToList();
            var regular = RawRequests.Unary().Where(f => !f.Key.StartsWith(':')).ToList();

            // A 120-octet field into the dynamic table, one-octet references to it (157 octets each by
            // RFC 9113's counting) past the limit, and after them ":path" as a new dynamic entry
            // (literal with incremental indexing, static name index 4): a decoder that stopped at the
            // limit would be out of step with this peer from here on.
            byte[] pathEntry = [0x44, 16, .. "/test.Echo/Unary"u8];
            byte[] oversized =
            [
                .. RawHttp2Peer.Encode(pseudo), .. RawHttp2Peer.EncodeWithIndexing("x-big", new string('b', 120)),
                .. Enumerable.Repeat((byte)0xBE, (limit / 157) + 1), .. pathEntry,
            ];
            await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 1, oversized);
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("refused"), endStream: true);
            RawHttp2Peer.StreamResult refused = await peer.ReadStreamAsync(1);
            Assert.Null(refused.GoAway);
            Assert.Equal(Http2ErrorCode.EnhanceYourCalm, refused.Reset);

            // The same connection: a request whose :path is that newest dynamic entry (index 62).
            byte[] byReference = [.. RawHttp2Peer.Encode(pseudo), 0xBE, .. RawHttp2Peer.Encode(regular)];
            await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders, 3, byReference);
            await peer.WriteDataAsync(3, RawRequests.EchoMessage("in step"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(3);
            Assert.Null(result.Reset);
            Assert.Equal("in step", RawRequests.ReadEcho(result.Body.ToArray()));
        }
    }

    [Theory]
    [InlineData(new byte[] { 0x80 })] // indexed field 0
    [InlineData(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f })] // index far past the tables
    [InlineData(new byte[] { 0x40, 0x85, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 })] // Huffman name with EOS padding
    [InlineData(new byte[] { 0x3f, 0xe1, 0xff, 0x03 })] // table size update above SETTINGS_HEADER_TABLE_SIZE
    public async Task Garbage_hpack_is_a_compression_error(byte[] block)
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.EndStream, 1, block));
        Assert.Equal(Http2ErrorCode.CompressionError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Window_update_overflowing_the_connection_window_is_a_flow_control_error()
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteWindowUpdateAsync(0, 0x7FFF_FFFF));
        Assert.Equal(Http2ErrorCode.FlowControlError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Window_update_of_zero_on_the_connection_is_a_protocol_error()
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteWindowUpdateAsync(0, 0));
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
    }

    [Fact]
    public async Task Window_update_overflowing_a_stream_window_resets_that_stream()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            await peer.WriteWindowUpdateAsync(1, 0x7FFF_FFFF);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Equal(Http2ErrorCode.FlowControlError, result.Reset);
            await RawRequests.EchoAsync(peer, 3, "connection still fine");
        }
    }

    [Fact]
    public async Task Data_exceeding_the_stream_window_resets_the_stream_with_flow_control_error()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            byte[] message = RawGrpc.Frame(0, Http2TestServer.StreamWindow + 100, new byte[Http2TestServer.StreamWindow + 100]);
            await peer.WriteDataAsync(1, message.AsMemory(0, Http2TestServer.StreamWindow + 1), endStream: false);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Equal(Http2ErrorCode.FlowControlError, result.Reset);

            // The octets still count for the connection window; the connection goes on.
            await RawRequests.EchoAsync(peer, 3, "after the overrun");
        }

        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Theory]
    [InlineData("missing-path")]
    [InlineData("uppercase-name")]
    [InlineData("pseudo-after-regular")]
    [InlineData("connection-header")]
    [InlineData("duplicate-method")]
    [InlineData("unknown-pseudo")]
    public async Task Malformed_request_is_reset_with_protocol_error_and_the_connection_goes_on(string kind)
    {
        List<KeyValuePair<string, string>> fields = RawRequests.Unary();
        switch (kind)
        {
            case "missing-path":
                fields.RemoveAll(f => f.Key == ":path");
                break;
            case "uppercase-name":
                fields.Add(new("X-Upper", "1"));
                break;
            case "pseudo-after-regular":
                fields.Add(new(":authority", "again"));
                fields.RemoveAt(2);
                break;
            case "connection-header":
                fields.Add(new("connection", "keep-alive"));
                break;
            case "duplicate-method":
                fields.Insert(1, new(":method", "GET"));
                break;
            case "unknown-pseudo":
                fields.Insert(1, new(":protocol", "x"));
                break;
        }

        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteHeadersAsync(1, fields, endStream: false);
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("x"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Equal(Http2ErrorCode.ProtocolError, result.Reset);
            Assert.Empty(result.HeaderBlocks);

            await RawRequests.EchoAsync(peer, 3, "next stream works");
        }
    }

    [Fact]
    public async Task Streams_beyond_max_concurrent_streams_are_refused()
    {
        (RawHttp2Peer peer, RawFrame settings) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            int max = (int)Setting(settings, Http2SettingId.MaxConcurrentStreams);
            Assert.InRange(max, 1, 1000);

            // Open max streams whose requests never end: each handler waits for its body.
            for (int i = 0; i < max; i++)
            {
                await peer.WriteHeadersAsync((2 * i) + 1, RawRequests.Unary(), endStream: false);
            }

            int refusedId = (2 * max) + 1;
            await peer.WriteHeadersAsync(refusedId, RawRequests.Unary(), endStream: true);
            RawFrame? refused = await peer.ReadUntilAsync(f => f.Type == Http2FrameType.RstStream || f.Type == Http2FrameType.GoAway);
            Assert.NotNull(refused);
            Assert.Equal(Http2FrameType.RstStream, refused.Type);
            Assert.Equal(refusedId, refused.StreamId);
            Assert.Equal(Http2ErrorCode.RefusedStream, refused.ErrorCode);

            // Freeing one stream makes room for the next once its handler has ended (running
            // handlers count too, so resets cannot buy unbounded work); until then, refused again.
            await peer.WriteRstAsync(1, Http2ErrorCode.Cancel);
            for (int id = refusedId + 2; ; id += 2)
            {
                await peer.WriteHeadersAsync(id, RawRequests.Unary(), endStream: false);
                await peer.WriteDataAsync(id, RawRequests.EchoMessage("room again"), endStream: true);
                RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(id);
                if (result.Reset == Http2ErrorCode.RefusedStream && id < refusedId + 200)
                {
                    await Task.Delay(20);
                    continue;
                }

                Assert.Null(result.Reset);
                Assert.Equal("room again", RawRequests.ReadEcho(result.Body.ToArray()));
                break;
            }
        }

        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Client_reset_mid_response_stops_the_response_and_the_connection_stays_usable()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            byte[] ticket = new Ticket { Ticket_ = ByteString.CopyFromUtf8("64") }.ToByteArray();
            await peer.WriteHeadersAsync(1, RawRequests.Unary("/test.Echo/Bulk"), endStream: false);
            await peer.WriteDataAsync(1, RawGrpc.Frame(0, (uint)ticket.Length, ticket), endStream: true);

            // Our stream window is the default 65,535: the server sends that much, then waits.
            long received = 0;
            while (received < Http2Protocol.DefaultWindowSize)
            {
                RawFrame frame = await peer.ReadFrameAsync() ?? throw new IOException("closed");
                if (frame.Type == Http2FrameType.Data && frame.StreamId == 1)
                {
                    received += frame.Payload.Length;
                }

                Assert.NotEqual(Http2FrameType.RstStream, frame.Type);
                Assert.NotEqual(Http2FrameType.GoAway, frame.Type);
            }

            Assert.Equal(Http2Protocol.DefaultWindowSize, received);
            await peer.WriteRstAsync(1, Http2ErrorCode.Cancel);

            // Credit that would let the response go on if the server had not stopped it.
            await peer.WriteWindowUpdateAsync(0, 64 << 20);
            await peer.WriteWindowUpdateAsync(1, 64 << 20);

            await peer.WriteHeadersAsync(3, RawRequests.Unary(), endStream: false);
            await peer.WriteDataAsync(3, RawRequests.EchoMessage("after reset"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(3);
            Assert.Equal("after reset", RawRequests.ReadEcho(result.Body.ToArray()));

            // A PING round trip: anything the server still had for stream 1 would come before its answer.
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
            await Task.Delay(100);
            await peer.WriteFrameAsync(Http2FrameType.Ping, 0, 0, new byte[8]);
            int pongs = 0;
            while (pongs < 2)
            {
                RawFrame frame = await peer.ReadFrameAsync() ?? throw new IOException("closed");
                result.All.Add(frame);
                pongs += frame.Type == Http2FrameType.Ping ? 1 : 0;
            }

            long after = result.All.Where(f => f.StreamId == 1 && f.Type == Http2FrameType.Data).Sum(f => (long)f.Payload.Length);
            Assert.Equal(0, after);
            Assert.DoesNotContain(result.All, f => f.Type == Http2FrameType.GoAway);
        }
    }

    [Fact]
    public async Task Padded_data_and_headers_with_priority_and_padding_are_accepted()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            byte[] block = RawHttp2Peer.Encode(RawRequests.Unary());
            var headers = new List<byte> { 7 }; // pad length
            headers.AddRange(new byte[] { 0x80, 0, 0, 0, 16 }); // exclusive dependency on stream 0, weight 16
            headers.AddRange(block);
            headers.AddRange(new byte[7]);
            await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Padded | Http2FrameFlags.Priority, 1, headers.ToArray());

            // A PRIORITY frame on the open stream is accepted and ignored.
            await peer.WriteFrameAsync(Http2FrameType.Priority, 0, 1, new byte[] { 0, 0, 0, 0, 200 });

            byte[] message = RawRequests.EchoMessage("padded");
            var data = new List<byte> { 200 };
            data.AddRange(message.AsSpan(0, 3).ToArray());
            data.AddRange(new byte[200]);
            await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded, 1, data.ToArray());

            // Padding only (no data at all), then the rest with zero padding.
            await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded, 1, new byte[] { 4, 0, 0, 0, 0 });
            var rest = new List<byte> { 0 };
            rest.AddRange(message.AsSpan(3).ToArray());
            await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded | Http2FrameFlags.EndStream, 1, rest.ToArray());

            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Null(result.Reset);
            Assert.Equal("padded", RawRequests.ReadEcho(result.Body.ToArray()));
        }
    }

    [Fact]
    public async Task Padding_longer_than_the_frame_is_a_protocol_error()
    {
        Http2ErrorCode? code = await GoAwayAfterAsync(async peer =>
        {
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            await peer.WriteFrameAsync(Http2FrameType.Data, Http2FrameFlags.Padded, 1, new byte[] { 5, 1, 2 });
        });
        Assert.Equal(Http2ErrorCode.ProtocolError, code);

        code = await GoAwayAfterAsync(peer => peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.Padded | Http2FrameFlags.EndHeaders, 1, new byte[] { 9, 0x82 }));
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Theory]
    [InlineData((byte)Http2FrameType.Ping, 0, 7)]
    [InlineData((byte)Http2FrameType.Ping, 1, 8)]
    [InlineData((byte)Http2FrameType.Settings, 1, 6)]
    [InlineData((byte)Http2FrameType.Settings, 0, 5)]
    [InlineData((byte)Http2FrameType.WindowUpdate, 0, 3)]
    [InlineData((byte)Http2FrameType.RstStream, 0, 4)]
    [InlineData((byte)Http2FrameType.Priority, 1, 4)]
    [InlineData((byte)Http2FrameType.GoAway, 1, 8)]
    [InlineData((byte)Http2FrameType.PushPromise, 1, 8)]
    public async Task Control_frames_of_the_wrong_size_or_stream_end_the_connection(byte frameType, int streamId, int length)
    {
        var type = (Http2FrameType)frameType;
        Http2ErrorCode? code = await GoAwayAfterAsync(peer => peer.WriteFrameAsync(type, 0, streamId, new byte[length]));
        Assert.True(code is Http2ErrorCode.ProtocolError or Http2ErrorCode.FrameSizeError, $"{type} on {streamId} with {length} octets: GOAWAY {code}");
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Unknown_frame_types_and_settings_are_ignored()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteFrameAsync((Http2FrameType)0xEE, (Http2FrameFlags)0xFF, 0, new byte[100]);
            await peer.WriteFrameAsync((Http2FrameType)0x20, 0, 7, new byte[3]);
            await peer.WriteSettingsAsync(((Http2SettingId)0x99, 12345));
            await RawRequests.EchoAsync(peer, 1, "unknowns ignored");
        }
    }

    [Fact]
    public async Task Peer_goaway_lets_open_streams_finish()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
            await peer.WriteGoAwayAsync(0, Http2ErrorCode.NoError);
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("finishing"), endStream: true);
            RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(1);
            Assert.Equal("finishing", RawRequests.ReadEcho(result.Body.ToArray()));
        }
    }

    // RFC 9113 cases a penetration test found accepted (issue 65): each is a stream error
    // PROTOCOL_ERROR on that stream, and the connection goes on serving.
    public static TheoryData<string> MalformedStreams => [
        "value with a trailing space", "value with a leading tab", "value with a NUL", "pseudo-header in trailers", "trailer value with CR",
        "content-length above the body", "content-length below the body", "content-length not a number", "content-length ended by trailers"];

    [Theory]
    [MemberData(nameof(MalformedStreams))]
    public async Task A_malformed_request_is_a_stream_protocol_error_and_the_connection_serves_on(string malformation)
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            var fields = RawRequests.Unary();
            switch (malformation)
            {
                case "value with a trailing space":
                    fields.Add(new("x-note", "padded "));
                    break;
                case "value with a leading tab":
                    fields.Add(new("x-note", "\tpadded"));
                    break;
                case "value with a NUL":
                    fields.Add(new("x-note", "a\0b"));
                    break;
                case "content-length above the body" or "content-length ended by trailers":
                    fields.Add(new("content-length", "1000"));
                    break;
                case "content-length below the body":
                    fields.Add(new("content-length", "1"));
                    break;
                case "content-length not a number":
                    fields.Add(new("content-length", "12, 13"));
                    break;
            }

            bool inTrailers = malformation.Contains("trailer", StringComparison.Ordinal);
            await peer.WriteHeadersAsync(1, fields, endStream: false);
            if (inTrailers)
            {
                await peer.WriteDataAsync(1, RawRequests.EchoMessage("hello"), endStream: false);
                await peer.WriteHeadersAsync(1, malformation switch
                {
                    "pseudo-header in trailers" => [new(":path", "/other")],
                    "trailer value with CR" => [new("x-trailer", "a\rb")],
                    _ => [new("x-trailer", "well formed")],
                }, endStream: true);
            }
            else
            {
                await peer.WriteDataAsync(1, RawRequests.EchoMessage("hello"), endStream: true);
            }

            RawFrame? reset = await peer.ReadUntilAsync(f => (f.Type == Http2FrameType.RstStream && f.StreamId == 1) || f.Type == Http2FrameType.GoAway);
            Assert.NotNull(reset);
            Assert.Equal((Http2FrameType.RstStream, Http2ErrorCode.ProtocolError), (reset.Type, reset.ErrorCode));
            await RawRequests.EchoAsync(peer, 3, "the connection still serves");
        }
    }

    [Fact]
    public async Task A_request_declaring_a_body_it_does_not_send_is_a_stream_protocol_error()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            // END_STREAM on the HEADERS, and a content-length of 5 (RFC 9113 §8.1.1).
            var fields = RawRequests.Unary();
            fields.Add(new("content-length", "5"));
            await peer.WriteHeadersAsync(1, fields, endStream: true);
            RawFrame? reset = await peer.ReadUntilAsync(f => (f.Type == Http2FrameType.RstStream && f.StreamId == 1) || f.Type == Http2FrameType.GoAway);
            Assert.NotNull(reset);
            Assert.Equal((Http2FrameType.RstStream, Http2ErrorCode.ProtocolError), (reset.Type, reset.ErrorCode));
            await RawRequests.EchoAsync(peer, 3, "the connection still serves");
        }
    }

    [Fact]
    public async Task A_stream_id_below_the_last_one_opened_is_a_connection_protocol_error()
    {
        // RFC 9113 §5.1.1: stream 5 opened, then HEADERS on 3, which the client skipped (issue 65: ignored before).
        Http2ErrorCode? code = await GoAwayAfterAsync(async peer =>
        {
            await RawRequests.EchoAsync(peer, 5, "first");
            await peer.WriteHeadersAsync(3, RawRequests.Unary(), endStream: false);
        });
        Assert.Equal(Http2ErrorCode.ProtocolError, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Headers_on_a_stream_that_ended_both_ways_are_a_connection_stream_closed_error()
    {
        // RFC 9113 §5.1: a stream that closed with END_STREAM both ways takes no more frames; reusing its id was ignored before.
        Http2ErrorCode? code = await GoAwayAfterAsync(async peer =>
        {
            await RawRequests.EchoAsync(peer, 1, "first");
            await peer.WriteHeadersAsync(1, RawRequests.Unary(), endStream: false);
        });
        Assert.Equal(Http2ErrorCode.StreamClosed, code);
        await RawRequests.FreshCallWorksAsync(Address);
    }

    [Fact]
    public async Task Trailers_for_a_stream_the_server_refused_are_let_pass()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            // A malformed request is reset at its HEADERS; the trailers the client sent before it knew are ignored.
            var fields = RawRequests.Unary();
            fields.Add(new("x-note", "padded "));
            await peer.WriteHeadersAsync(1, fields, endStream: false);
            await peer.WriteDataAsync(1, RawRequests.EchoMessage("hello"), endStream: false);
            await peer.WriteHeadersAsync(1, [new("x-trailer", "late")], endStream: true);
            RawFrame? reset = await peer.ReadUntilAsync(f => (f.Type == Http2FrameType.RstStream && f.StreamId == 1) || f.Type == Http2FrameType.GoAway);
            Assert.Equal(Http2FrameType.RstStream, reset?.Type);
            await RawRequests.EchoAsync(peer, 3, "the connection still serves");
        }
    }

    [Fact]
    public async Task A_stream_that_depends_on_itself_is_a_stream_protocol_error()
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(Address);
        await using (peer)
        {
            // PRIORITY naming the stream itself as its dependency (exclusive bit clear, weight 16).
            byte[] selfDependent = [0, 0, 0, 5, 16];
            await peer.WriteFrameAsync(Http2FrameType.Priority, 0, 5, selfDependent);
            RawFrame? reset = await peer.ReadUntilAsync(f => f.Type is Http2FrameType.RstStream or Http2FrameType.GoAway);
            Assert.NotNull(reset);
            Assert.Equal((Http2FrameType.RstStream, 5, Http2ErrorCode.ProtocolError), (reset.Type, reset.StreamId, reset.ErrorCode));

            // HEADERS with the PRIORITY flag naming itself: its block is decoded (HPACK stays in step), the stream reset.
            byte[] block = RawHttp2Peer.Encode(RawRequests.Unary());
            byte[] payload = [0, 0, 0, 7, 16, .. block];
            await peer.WriteFrameAsync(Http2FrameType.Headers, Http2FrameFlags.EndHeaders | Http2FrameFlags.Priority, 7, payload);
            reset = await peer.ReadUntilAsync(f => f.Type is Http2FrameType.RstStream or Http2FrameType.GoAway);
            Assert.NotNull(reset);
            Assert.Equal((Http2FrameType.RstStream, 7, Http2ErrorCode.ProtocolError), (reset.Type, reset.StreamId, reset.ErrorCode));
            await RawRequests.EchoAsync(peer, 9, "the connection still serves");
        }
    }
}
