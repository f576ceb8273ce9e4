using System.Collections.Concurrent;
using ArrowCid.Grpc.Tests.Support;
using Google.Protobuf;

namespace ArrowCid.Grpc.Tests;

/// <summary>
/// A call is admitted or refused from its method and headers before its request is read (issue 65):
/// a client without credentials cannot make the server receive, let alone hold, a large request.
/// </summary>
public sealed class AdmissionTests
{
    private const string AdmitHeader = "x-admit";

    [Fact]
    public async Task A_refused_call_is_answered_with_its_status_before_a_byte_of_its_request_is_read()
    {
        var ended = new ConcurrentQueue<GrpcCallEnded>();
        using var endedOne = new SemaphoreSlim(0);
        var registry = new GrpcServiceRegistry(new GrpcServerOptions
        {
            CallObserver = new Recorder(ended, endedOne),
            AdmitCall = context => _ = context.RequestHeaders.GetValue(AdmitHeader) ?? throw new RpcException(StatusCode.Unauthenticated, "no admission"),
        });
        new EchoService().Register(registry);
        await using var server = await GrpcServer.StartAsync(registry);
        using var channel = new GrpcChannel(server.Address);
        var large = new Flight.Protocol.Action { Type = "echo", Body = ByteString.CopyFrom(new byte[8 << 20]) };

        var refused = await Assert.ThrowsAsync<RpcException>(() => channel.UnaryAsync(EchoService.Unary, large, new CallOptions()));
        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("no admission", refused.Status.Detail);

        var admitted = await channel.UnaryAsync(EchoService.Unary, large, new CallOptions(Headers: new Metadata { { AdmitHeader, "yes" } }));
        Assert.Equal(large.Body.Length, admitted.Body.Length);

        // The observer hears of a call once its status is sent: wait for both.
        await endedOne.WaitAsync(TimeSpan.FromMinutes(1));
        await endedOne.WaitAsync(TimeSpan.FromMinutes(1));
        var calls = ended.ToArray();
        Assert.Equal(2, calls.Length);
        Assert.Equal(0L, Assert.Single(calls, c => c.Status == StatusCode.Unauthenticated).BytesReceived);
        Assert.True(Assert.Single(calls, c => c.Status == StatusCode.OK).BytesReceived > large.Body.Length);
    }

    private sealed class Recorder(ConcurrentQueue<GrpcCallEnded> ended, SemaphoreSlim endedOne) : IGrpcCallObserver
    {
        public void CallEnded(in GrpcCallEnded call)
        {
            ended.Enqueue(call);
            endedOne.Release();
        }
    }
}
