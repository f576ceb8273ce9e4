using ArrowCid.Grpc;
using ArrowCid.Grpc.Tests.Support;

namespace ArrowCid.Flight.Tests.Support;

/// <summary>The gRPC tests' echo server with the Flight test service beside the echo service, shared by a test class.</summary>
public sealed class TestServer : EchoServer
{
    protected override void Register(GrpcServiceRegistry registry)
    {
        base.Register(registry);
        registry.AddFlightService(new TestFlightService());
    }
}
