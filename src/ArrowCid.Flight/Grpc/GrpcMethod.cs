using Google.Protobuf;

namespace ArrowCid.Flight.Grpc;

/// <summary>Describes one RPC: its path, its kind and how to parse its messages.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class GrpcMethod<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    /// <summary>Describes the method <paramref name="name"/> of the fully-qualified <paramref name="serviceName"/>.</summary>
    public GrpcMethod(string serviceName, string name, MethodType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ServiceName = serviceName;
        Name = name;
        Type = type;
        FullName = $"/{serviceName}/{name}";
    }

    /// <summary>The fully-qualified service name, e.g. <c>arrow.flight.protocol.FlightService</c>.</summary>
    public string ServiceName { get; }

    /// <summary>The method name, e.g. <c>DoGet</c>.</summary>
    public string Name { get; }

    /// <summary>The HTTP/2 path: <c>/{service}/{method}</c>.</summary>
    public string FullName { get; }

    /// <summary>The kind of call.</summary>
    public MethodType Type { get; }

    /// <summary>Parses request messages.</summary>
    public MessageParser<TRequest> RequestParser { get; } = new(() => new TRequest());

    /// <summary>Parses response messages.</summary>
    public MessageParser<TResponse> ResponseParser { get; } = new(() => new TResponse());
}
