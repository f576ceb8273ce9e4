using System.Net.Security;
using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>
/// A client connection pool to one gRPC server over HTTP/2: http:// uses cleartext HTTP/2 with prior
/// knowledge, https:// uses TLS with ALPN h2. Thread-safe; share one per server.
/// </summary>
public sealed class GrpcChannel : IDisposable
{
    private readonly HttpMessageInvoker _invoker;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _methodUris = new(StringComparer.Ordinal);

    /// <summary>Creates a channel to <paramref name="address"/> (e.g. <c>http://127.0.0.1:50051</c>).</summary>
    public GrpcChannel(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"a gRPC address must be http:// or https://, not {address.Scheme}://", nameof(address));
        }

        Address = address;
        Options = options ?? new GrpcChannelOptions();
        _invoker = Options.HttpHandler is { } handler
            ? new HttpMessageInvoker(handler, disposeHandler: false)
            : new HttpMessageInvoker(CreateHandler(Options), disposeHandler: true);
    }

    /// <summary>The most bytes of messages a call's request stream may be given whole (<see cref="StartCall{TRequest, TResponse}(GrpcMethod{TRequest, TResponse}, IReadOnlyList{TRequest}, CallOptions)"/>).</summary>
    public const int WholeRequestLimit = 64 * 1024;

    /// <summary>The server address.</summary>
    public Uri Address { get; }

    /// <summary>The channel's settings.</summary>
    public GrpcChannelOptions Options { get; }

    /// <summary>Starts a call of any kind; the caller writes the request stream and reads the response stream.</summary>
    public GrpcCall<TRequest, TResponse> StartCall<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(method);
        var call = new GrpcCall<TRequest, TResponse>(_invoker, UriOf(method.FullName), method, Options, options);
        call.Start();
        return call;
    }

    /// <summary>
    /// Starts a call whose whole request stream is <paramref name="requests"/> (complete: write no
    /// more). When they are small the request headers, the messages and END_STREAM go in one socket
    /// write instead of the headers in one of their own.
    /// </summary>
    /// <exception cref="RpcException">A message is larger than <see cref="GrpcChannelOptions.MaxSendMessageSize"/>; nothing was sent.</exception>
    /// <exception cref="ArgumentException">The messages total more than <see cref="WholeRequestLimit"/> bytes; nothing was sent.</exception>
    public GrpcCall<TRequest, TResponse> StartCall<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, IReadOnlyList<TRequest> requests, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(requests);
        var call = new GrpcCall<TRequest, TResponse>(_invoker, UriOf(method.FullName), method, Options, options);
        try
        {
            if (!call.TrySetWholeRequest(requests))
            {
                throw new ArgumentException($"a request stream given whole is at most {WholeRequestLimit} bytes; write a larger one to the call's request stream", nameof(requests));
            }

            call.Start();
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>Makes a unary call.</summary>
    /// <exception cref="RpcException">The call ended with a non-OK status.</exception>
    public async Task<TResponse> UnaryAsync<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        using GrpcCall<TRequest, TResponse> call = StartWithRequest(method, request, options);
        return await call.GetResponseAsync().ConfigureAwait(false);
    }

    /// <summary>Starts a server-streaming call with its one request already sent; read <see cref="GrpcCall{TRequest, TResponse}.ResponseStream"/>.</summary>
    public GrpcCall<TRequest, TResponse> ServerStreaming<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new() =>
        StartWithRequest(method, request, options);

    /// <inheritdoc />
    public void Dispose() => _invoker.Dispose();

    private GrpcCall<TRequest, TResponse> StartWithRequest<TRequest, TResponse>(GrpcMethod<TRequest, TResponse> method, TRequest request, CallOptions options)
        where TRequest : class, IMessage<TRequest>, new()
        where TResponse : class, IMessage<TResponse>, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        var call = new GrpcCall<TRequest, TResponse>(_invoker, UriOf(method.FullName), method, Options, options);
        try
        {
            // Known whole before the request is sent: headers, message and END_STREAM share one write.
            if (call.TrySetWholeRequest([request]))
            {
                call.Start();
                return call;
            }

            call.Start();

            // The request channel holds one message, so this write completes at once.
            Task write = call.RequestStream.WriteAsync(request, options.CancellationToken);
            if (!write.IsCompleted)
            {
                throw new InvalidOperationException("the request stream did not take the single request at once");
            }

            write.GetAwaiter().GetResult();
            call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
            return call;
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    /// <summary>The request URI of a method (its path under <see cref="Address"/>), built once per method: parsing a URI per call was a cost of every call.</summary>
    private Uri UriOf(string methodPath) => _methodUris.GetOrAdd(methodPath, static (path, address) => new Uri(address, path), Address);

    private static HttpMessageHandler CreateHandler(GrpcChannelOptions options)
    {
        if (!options.UseSocketsHttpHandler)
        {
            return new Http2.Client.Http2ClientHandler(new Http2.Client.Http2ClientOptions
            {
                InitialStreamWindowSize = options.InitialHttp2StreamWindowSize,
                ServerCertificateValidation = options.ServerCertificateValidation,
                KeepAlive = options.KeepAlive,
                ConnectTimeout = options.ConnectTimeout,
            });
        }

        var handler = new SocketsHttpHandler
        {
            // One HTTP/2 connection allows ~100 concurrent streams; more calls open more connections.
            EnableMultipleHttp2Connections = true,
            InitialHttp2StreamWindowSize = options.InitialHttp2StreamWindowSize,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.ConnectTimeout,
            KeepAlivePingDelay = options.KeepAlive.Enabled ? options.KeepAlive.PingDelay : Timeout.InfiniteTimeSpan,
            KeepAlivePingTimeout = options.KeepAlive.Enabled ? options.KeepAlive.PingTimeout : TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
        };
        if (options.ServerCertificateValidation is { } validate)
        {
            handler.SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = validate };
        }

        return handler;
    }
}
