using ArrowCid.Grpc;

namespace ArrowCid.Grpc.Tests.Support;

/// <summary>One gRPC server on 127.0.0.1:0 with the echo service (and what a subclass adds), shared by a test class.</summary>
public class EchoServer : IAsyncLifetime
{
    public const int MaxReceive = 1024 * 1024;

    private GrpcServer? _server;

    public EchoService Echo { get; } = new();

    public GrpcServer Server => _server ?? throw new InvalidOperationException("not started");

    public Uri Address => Server.Address;

    public async Task InitializeAsync()
    {
        var registry = new GrpcServiceRegistry(new GrpcServerOptions { MaxReceiveMessageSize = MaxReceive, IncludeExceptionDetails = true });
        Register(registry);
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

    /// <summary>The services served: the echo service; a subclass adds its own.</summary>
    protected virtual void Register(GrpcServiceRegistry registry) => Echo.Register(registry);
}
