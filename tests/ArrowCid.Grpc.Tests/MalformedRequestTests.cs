using System.Net;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests;

/// <summary>Hostile or broken requests sent with a raw HttpClient get proper statuses, and the server keeps serving.</summary>
public sealed class MalformedRequestTests(EchoServer server) : IClassFixture<EchoServer>
{
    private static readonly string UnaryPath = EchoService.Unary.FullName;

    private static byte[] EchoMessage() => new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8("hi") }.ToByteArray();

    public static TheoryData<string, byte[], int, string> BrokenBodies()
    {
        byte[] message = EchoMessage();
        return new TheoryData<string, byte[], int, string>
        {
            { "truncated prefix", [0, 0, 0], 13, "ended inside a message" },
            { "length beyond the body", RawGrpc.Frame(0, 100, message), 13, "ended inside a message" },
            { "compressed flag without encoding", RawGrpc.Frame(1, (uint)message.Length, message), 13, "compressed flag" },
            { "invalid flag", RawGrpc.Frame(7, (uint)message.Length, message), 13, "invalid compressed flag 0x07" },
            { "declared length over the limit", RawGrpc.Frame(0, uint.MaxValue, []), 8, "larger than the limit" },
            { "not protobuf", RawGrpc.Frame(0, 3, [0xFF, 0xFF, 0xFF]), 13, "cannot parse" },
            { "no message", [], 13, "no request message" },
            { "two messages for unary", [.. RawGrpc.Frame(0, (uint)message.Length, message), .. RawGrpc.Frame(0, (uint)message.Length, message)], 13, "more than one" },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenBodies))]
    public async Task Broken_body_gets_a_status_and_the_server_survives(string what, byte[] body, int expectedStatus, string expectedMessage)
    {
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, body);
        Assert.True(reply.HttpStatus == HttpStatusCode.OK, what);
        Assert.Equal(expectedStatus.ToString(System.Globalization.CultureInfo.InvariantCulture), reply.Status);
        Assert.Contains(expectedMessage, Uri.UnescapeDataString(reply.Message ?? ""), StringComparison.Ordinal);

        await AssertServerStillServes();
    }

    [Fact]
    public async Task Unsupported_grpc_encoding_is_unimplemented()
    {
        byte[] message = EchoMessage();
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, RawGrpc.Frame(1, (uint)message.Length, message),
            r => r.Headers.TryAddWithoutValidation("grpc-encoding", "snappy-zebra"));
        Assert.Equal("12", reply.Status);
        Assert.Contains("snappy-zebra", reply.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1x")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    public async Task Malformed_grpc_timeout_is_internal(string timeout)
    {
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, RawGrpc.Frame(0, (uint)EchoMessage().Length, EchoMessage()),
            r => r.Headers.TryAddWithoutValidation("grpc-timeout", timeout));
        Assert.Equal("13", reply.Status);
        Assert.Contains("grpc-timeout", reply.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_binary_metadata_is_internal()
    {
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, RawGrpc.Frame(0, (uint)EchoMessage().Length, EchoMessage()),
            r => r.Headers.TryAddWithoutValidation("data-bin", "!!not base64!!"));
        Assert.Equal("13", reply.Status);
    }

    [Fact]
    public async Task Wrong_content_type_is_http_415()
    {
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, [],
            r => r.Content!.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, reply.HttpStatus);
    }

    [Fact]
    public async Task Well_formed_raw_request_gets_a_framed_answer_and_ok_trailers()
    {
        byte[] message = EchoMessage();
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, RawGrpc.Frame(0, (uint)message.Length, message));
        Assert.Equal("0", reply.Status);
        Assert.Equal(0, reply.Body[0]);
        Result result = Result.Parser.ParseFrom(reply.Body.AsSpan(5).ToArray());
        Assert.Equal("hi", result.Body.ToStringUtf8());
    }

    private async Task AssertServerStillServes()
    {
        byte[] message = EchoMessage();
        RawGrpc.Reply reply = await RawGrpc.PostAsync(server.Address, UnaryPath, RawGrpc.Frame(0, (uint)message.Length, message));
        Assert.Equal("0", reply.Status);
    }
}
