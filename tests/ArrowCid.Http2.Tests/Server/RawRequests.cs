using System.Buffers.Binary;
using System.Net;
using ArrowCid.Flight.Protocol;
using ArrowCid.Grpc.Tests.Support;
using ArrowCid.Http2.Tests;
using Google.Protobuf;

namespace ArrowCid.Http2.Tests.Server;

/// <summary>Hand-made gRPC requests for the echo service.</summary>
internal static class RawRequests
{
    public static List<KeyValuePair<string, string>> Unary(string path = "/test.Echo/Unary") =>
    [
        new(":method", "POST"),
        new(":scheme", "http"),
        new(":authority", "localhost"),
        new(":path", path),
        new("content-type", "application/grpc"),
        new("te", "trailers"),
    ];

    public static byte[] EchoMessage(string text)
    {
        byte[] message = new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFromUtf8(text) }.ToByteArray();
        return RawGrpc.Frame(0, (uint)message.Length, message);
    }

    /// <summary>The text of the echoed Result in a response body (one gRPC message).</summary>
    public static string ReadEcho(byte[] body)
    {
        Assert.True(body.Length >= 5, $"response body of {body.Length} octets");
        int length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
        return Result.Parser.ParseFrom(body.AsSpan(5, length)).Body.ToStringUtf8();
    }

    /// <summary>Sends a unary echo on <paramref name="streamId"/> and asserts the reply.</summary>
    public static async Task EchoAsync(RawHttp2Peer peer, int streamId, string text)
    {
        await peer.WriteHeadersAsync(streamId, Unary(), endStream: false);
        await peer.WriteDataAsync(streamId, EchoMessage(text), endStream: true);
        RawHttp2Peer.StreamResult result = await peer.ReadStreamAsync(streamId);
        Assert.Null(result.Reset);
        Assert.Null(result.GoAway);
        Assert.Equal("200", result.Field(":status"));
        Assert.Equal("0", result.Field("grpc-status"));
        Assert.Equal(text, ReadEcho(result.Body.ToArray()));
    }

    /// <summary>A fresh connection to <paramref name="address"/> still completes a call.</summary>
    public static async Task FreshCallWorksAsync(Uri address)
    {
        (RawHttp2Peer peer, _) = await RawHttp2Peer.HandshakeAsync(address);
        await using (peer)
        {
            await EchoAsync(peer, 1, "still alive");
        }
    }

    public static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);
}
