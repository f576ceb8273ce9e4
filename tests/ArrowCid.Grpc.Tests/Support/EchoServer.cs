using ArrowCid.Grpc;

namespace ArrowCid.Grpc.Tests.Support;

/// <summary>One gRPC server on 127.0.0.1:0 with the echo service, shared by a test class.</summary>
public sealed class EchoServer : IAsyncLifetime
{
    public const int MaxReceive = 1024 * 1024;

    private GrpcServer? _server;

    public EchoService Echo { get; } = new();

    public GrpcServer Server => _server ?? throw new InvalidOperationException("not started");

    public Uri Address => Server.Address;

    public async Task InitializeAsync()
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { MaxReceiveMessageSize = MaxReceive, IncludeExceptionDetails = true });
        Echo.Register(registry);
        _server = await GrpcServer.StartAsync(registry);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public GrpcChannel CreateChannel(GrpcChannelOptions? options = null) => new(Address, options);
}
