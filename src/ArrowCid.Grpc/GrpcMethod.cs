using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>Describes one RPC: its path, its kind and how to parse its messages.</summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class GrpcMethod<TRequest, TResponse>
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    /// <summary>Describes the method <paramref name="name"/> of the fully-qualified <paramref name="serviceName"/>.</summary>
    /// <param name="serviceName">The fully-qualified service name.</param>
    /// <param name="name">The method name.</param>
    /// <param name="type">The kind of call.</param>
    /// <param name="requestCodec">How large request messages are parsed and written without copying their large field; null for protobuf alone.</param>
    /// <param name="responseCodec">The same for response messages.</param>
    public GrpcMethod(
        string serviceName,
        string name,
        MethodType type,
        IGrpcMessageCodec<TRequest>? requestCodec = null,
        IGrpcMessageCodec<TResponse>? responseCodec = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ServiceName = serviceName;
        Name = name;
        Type = type;
        FullName = $"/{serviceName}/{name}";
        RequestCodec = requestCodec;
        ResponseCodec = responseCodec;
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

    /// <summary>How large request messages are parsed and written without copying their large field, or null.</summary>
    public IGrpcMessageCodec<TRequest>? RequestCodec { get; }

    /// <summary>How large response messages are parsed and written without copying their large field, or null.</summary>
    public IGrpcMessageCodec<TResponse>? ResponseCodec { get; }
}
