using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Grpc;

/// <summary>
/// Routes gRPC requests by path (<c>/{service}/{method}</c>) to handlers. Its <see cref="HandleAsync"/>
/// is an ASP.NET Core request delegate, so it serves from <see cref="GrpcServer"/> or any Kestrel app.
/// </summary>
public sealed class GrpcServiceRegistry
{
    private readonly Dictionary<string, ServerCallHandler> _handlers = new(StringComparer.Ordinal);

    /// <summary>Creates an empty registry with default limits.</summary>
    public GrpcServiceRegistry()
        : this(new GrpcServerOptions())
    {
    }

    /// <summary>Creates an empty registry whose calls obey <paramref name="options"/>' limits.</summary>
    public GrpcServiceRegistry(GrpcServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    /// <summary>The limits calls obey.</summary>
    public GrpcServerOptions Options { get; }

    /// <summary>The paths served.</summary>
    public IReadOnlyCollection<string> Methods => _handlers.Keys;

    /// <summary>Serves a unary method.</summary>
    public GrpcServiceRegistry AddUnary<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Add(method, MethodType.Unary, handler);

    /// <summary>Serves a server-streaming method.</summary>
    public GrpcServiceRegistry AddServerStreaming<TRequest, TResponse>(
        GrpcMethod<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Add(method, MethodType.ServerStreaming, handler);

    /// <summary>Serves a client-streaming method.</summary>
    public GrpcServiceRegistry AddClientStreaming<TRequest, TResponse>(
        GrpcMethod<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Add(method, MethodType.ClientStreaming, handler);

    /// <summary>Serves a duplex-streaming method.</summary>
    public GrpcServiceRegistry AddDuplexStreaming<TRequest, TResponse>(
        GrpcMethod<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse> handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        Add(method, MethodType.DuplexStreaming, handler);

    /// <summary>Serves one HTTP request as a gRPC call (an ASP.NET Core request delegate).</summary>
    public Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        HttpRequest request = context.Request;
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return Task.CompletedTask;
        }

        // The spec asks for 415 so that non-gRPC clients get an HTTP-level answer.
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return Task.CompletedTask;
        }

        string path = request.Path.Value ?? string.Empty;
        if (!_handlers.TryGetValue(path, out ServerCallHandler? handler))
        {
            GrpcResponseStatus.WriteTrailersOnly(
                context.Response, new Status(StatusCode.Unimplemented, $"method '{path}' is not implemented by this server"));
            return Task.CompletedTask;
        }

        if (_draining && !path.StartsWith(HealthPathPrefix, StringComparison.Ordinal))
        {
            GrpcResponseStatus.WriteTrailersOnly(context.Response, new Status(StatusCode.Unavailable, "the server is shutting down: call another"));
            return Task.CompletedTask;
        }

        return handler.HandleAsync(context);
    }

    /// <summary>
    /// Refuses every call that starts from now on with UNAVAILABLE (a client retries it elsewhere),
    /// but the health service's, which reports the drain; calls already running go on. Used when the
    /// server begins a graceful shutdown, before it stops listening.
    /// </summary>
    public void Drain() => _draining = true;

    private const string HealthPathPrefix = "/grpc.health.v1.Health/";

    private volatile bool _draining;

    private GrpcServiceRegistry Add<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, MethodType kind, Delegate handler)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(handler);
        if (method.Type != kind)
        {
            throw new ArgumentException($"{method.FullName} is a {method.Type} method, not {kind}", nameof(method));
        }

        if (!_handlers.TryAdd(method.FullName, new ServerCallHandler<TRequest, TResponse>(method, handler, Options)))
        {
            throw new ArgumentException($"{method.FullName} already has a handler", nameof(method));
        }

        return this;
    }
}
