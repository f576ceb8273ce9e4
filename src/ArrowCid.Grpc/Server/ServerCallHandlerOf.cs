using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace ArrowCid.Grpc;

/// <summary>Serves calls of one typed method with its handler delegate.</summary>
internal sealed class ServerCallHandler<TRequest, TResponse> : ServerCallHandler
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    private readonly GrpcMethod<TRequest, TResponse> _method;
    private readonly Delegate _handler;

    public ServerCallHandler(GrpcMethod<TRequest, TResponse> method, Delegate handler, GrpcServerOptions options)
        : base(method.FullName, options)
    {
        _method = method;
        _handler = handler;
    }

    private protected override async Task InvokeAsync(HttpContext http, HttpServerCallContext context)
    {
        var requests = new GrpcMessageReader<TRequest>(
            http.Request.Body, _method.RequestParser, Options.MaxReceiveMessageSize, context.CancellationToken, _method.RequestCodec, Options.ReceiveBudget, http.Connection.Id);
        context.Requests = requests;
        var responses = new HttpResponseStreamWriter<TResponse>(http.Response, context, Options.MaxSendMessageSize, _method.ResponseCodec);
        switch (_handler)
        {
            case UnaryServerMethod<TRequest, TResponse> unary:
                TRequest unaryRequest = await ReadSingleRequestAsync(requests, context.CancellationToken).ConfigureAwait(false);
                TResponse unaryResponse = await unary(unaryRequest, context).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the handler of {MethodName} returned no response");
                await responses.WriteAsync(unaryResponse, context.CancellationToken).ConfigureAwait(false);
                break;
            case ServerStreamingServerMethod<TRequest, TResponse> serverStreaming:
                TRequest request = await ReadSingleRequestAsync(requests, context.CancellationToken).ConfigureAwait(false);
                await serverStreaming(request, responses, context).ConfigureAwait(false);
                break;
            case ClientStreamingServerMethod<TRequest, TResponse> clientStreaming:
                TResponse response = await clientStreaming(requests, context).ConfigureAwait(false)
                    ?? throw new InvalidOperationException($"the handler of {MethodName} returned no response");
                await responses.WriteAsync(response, context.CancellationToken).ConfigureAwait(false);
                break;
            case DuplexStreamingServerMethod<TRequest, TResponse> duplex:
                await duplex(requests, responses, context).ConfigureAwait(false);
                break;
            default:
                throw new InvalidOperationException($"no handler kind matches {_handler.GetType().Name}");
        }
    }

    /// <summary>A unary or server-streaming call carries exactly one request message, then half-closes.</summary>
    private static async Task<TRequest> ReadSingleRequestAsync(GrpcMessageReader<TRequest> requests, CancellationToken cancellationToken)
    {
        if (!await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(StatusCode.Internal, "the client sent no request message; this method takes exactly one");
        }

        TRequest request = requests.Current;
        if (await requests.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(StatusCode.Internal, "the client sent more than one request message; this method takes exactly one");
        }

        return request;
    }
}
