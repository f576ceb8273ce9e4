using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace ArrowCid.Grpc;

/// <summary>
/// One client call of any kind: a request stream to write and complete, a response stream to read,
/// then a status. A non-OK status surfaces as an <see cref="RpcException"/> from the read that meets
/// it. Disposing an unfinished call cancels it (the server sees the stream reset).
/// </summary>
/// <typeparam name="TRequest">The request message type.</typeparam>
/// <typeparam name="TResponse">The response message type.</typeparam>
public sealed class GrpcCall<TRequest, TResponse> : IDisposable
    where TRequest : class, IMessage<TRequest>, new()
    where TResponse : class, IMessage<TResponse>, new()
{
    private readonly GrpcMethod<TRequest, TResponse> _method;
    private readonly GrpcChannelOptions _options;
    private readonly CancellationToken _userToken;
    // Only a call with a deadline has a timer (a source of its own, so an expiry is told from a cancel).
    private readonly CancellationTokenSource? _deadlineTimer;
    private readonly CancellationTokenSource _callCancellation;
    private readonly GrpcRequestContent<TRequest> _requestContent;
    private readonly HttpMessageInvoker _invoker;
    private readonly HttpRequestMessage _request;
    private Task<HttpResponseMessage>? _send;
    private readonly Lazy<Task<Metadata>> _responseHeaders;
    private readonly ResponseReader _responseStream;
    private HttpResponseMessage? _response;
    private GrpcMessageReader<TResponse>? _messages;
    private readonly TimeSpan? _deadlineSpan;
    private long _messagesRead;
    private Status? _status;
    private Metadata? _trailers;
    private bool _disposed;

    internal GrpcCall(HttpMessageInvoker invoker, Uri requestUri, GrpcMethod<TRequest, TResponse> method, GrpcChannelOptions options, CallOptions callOptions)
    {
        _invoker = invoker;
        _method = method;
        _options = options;
        _userToken = callOptions.CancellationToken;
        _deadlineTimer = callOptions.Deadline is null ? null : new CancellationTokenSource();
        _callCancellation = _deadlineTimer is not null ? CancellationTokenSource.CreateLinkedTokenSource(_userToken, _deadlineTimer.Token)
            : _userToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(_userToken)
            : new CancellationTokenSource();
        _requestContent = new GrpcRequestContent<TRequest>(options.MaxSendMessageSize, method.RequestCodec, RequestStreamClosedError);
        _responseStream = new ResponseReader(this);
        _responseHeaders = new Lazy<Task<Metadata>>(ReadResponseHeadersAsync);

        var request = _request = new HttpRequestMessage(HttpMethod.Post, requestUri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = _requestContent,
        };
        // Raw, as it is sent: a parsed TE value would be built and formatted again for every call.
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("user-agent", GrpcProtocol.UserAgent);
        if (callOptions.Deadline is { } deadline)
        {
            TimeSpan remaining = deadline.ToUniversalTime() - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                // Already too late: fail without sending anything.
                _deadlineTimer!.Cancel();
            }
            else
            {
                request.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(remaining));
                _deadlineTimer!.CancelAfter(remaining);
            }

            _deadlineSpan = remaining;
        }

        if (callOptions.IdleTimeout is { } idle)
        {
            request.Options.Set(Http2.Client.Http2ClientHandler.IdleTimeout, idle);
        }

        foreach (MetadataEntry entry in callOptions.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(entry.Key, MetadataHeaders.ToHeaderValue(entry));
        }
    }

    /// <summary>
    /// Sends the request (its headers, then what the request stream holds and is given). Separate
    /// from construction so a request stream known whole can be set first: it then goes with the headers.
    /// </summary>
    internal void Start() =>
        _send = _callCancellation.IsCancellationRequested
            ? Task.FromCanceled<HttpResponseMessage>(_callCancellation.Token)
            : _invoker.SendAsync(_request, _callCancellation.Token);

    /// <summary>Makes <paramref name="requests"/> the whole request stream before <see cref="Start"/>; false, changing nothing, when too large to keep.</summary>
    internal bool TrySetWholeRequest(IReadOnlyList<TRequest> requests) => _requestContent.TrySetWhole(requests);

    /// <summary>The request stream: write messages, then complete it.</summary>
    public IClientStreamWriter<TRequest> RequestStream => _requestContent;

    /// <summary>The response stream; ends (false) on OK, throws <see cref="RpcException"/> otherwise.</summary>
    public IAsyncStreamReader<TResponse> ResponseStream => _responseStream;

    /// <summary>The custom metadata of the response headers.</summary>
    public Task<Metadata> ResponseHeadersAsync => _responseHeaders.Value;

    /// <summary>Reads the single response of a unary or client-streaming call and waits for an OK status.</summary>
    /// <exception cref="RpcException">A non-OK status, or not exactly one response message.</exception>
    public async Task<TResponse> GetResponseAsync()
    {
        if (!await _responseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, $"the server sent no response message for {_method.FullName}"));
        }

        TResponse response = _responseStream.Current;
        if (await _responseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            throw Fail(new Status(StatusCode.Internal, $"the server sent more than one response message for {_method.FullName}"));
        }

        return response;
    }

    /// <summary>The final status, once the response stream has ended or failed.</summary>
    public Status GetStatus() => _status ?? throw new InvalidOperationException("the call has not finished yet");

    /// <summary>The custom trailers, once the response stream has ended or failed.</summary>
    public Metadata GetTrailers() => _trailers ?? throw new InvalidOperationException("the call has not finished yet");

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_status is null)
        {
            // Not finished: resetting the HTTP/2 stream tells the server to stop.
            _callCancellation.Cancel();
            _status = new Status(StatusCode.Cancelled, "the call was disposed before it finished");
            _trailers = new Metadata();
        }

        _requestContent.Abort();
        _messages = null;
        _response?.Dispose();
        _callCancellation.Dispose();
        _deadlineTimer?.Dispose();
    }

    private async Task<Metadata> ReadResponseHeadersAsync()
    {
        HttpResponseMessage response;
        try
        {
            response = await (_send ?? throw new InvalidOperationException("the call was never started")).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Fail(StatusOf(e));
        }

        _response = response;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw Fail(ClientStatusMapping.FromHttpStatus(response.StatusCode));
        }

        string? contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcProtocol.IsGrpcContentType(contentType))
        {
            throw Fail(new Status(StatusCode.Internal, $"the response content-type '{contentType}' is not application/grpc"));
        }

        Metadata headers;
        try
        {
            headers = ClientStatusMapping.MetadataOf(response.Headers);
        }
        catch (RpcException e)
        {
            throw Fail(e.Status);
        }

        if (ClientStatusMapping.FromHeaders(response.Headers) is { } trailersOnlyStatus)
        {
            // Trailers-only: the headers carry the status and there is no body.
            Finish(trailersOnlyStatus, headers);
            return headers;
        }

        Stream body = await response.Content.ReadAsStreamAsync(_callCancellation.Token).ConfigureAwait(false);
        // Read from the body stream itself: a large message goes from HttpClient's buffers straight into its own array.
        _messages = new GrpcMessageReader<TResponse>(body, _method.ResponseParser, _options.MaxReceiveMessageSize, _callCancellation.Token, _method.ResponseCodec);
        return headers;
    }

    private async Task<bool> MoveNextAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _responseHeaders.Value.ConfigureAwait(false);
        }
        catch (RpcException) when (_status is { } failed)
        {
            throw new RpcException(failed, _trailers ?? new Metadata());
        }

        if (_status is { } status)
        {
            return status.StatusCode == StatusCode.OK ? false : throw new RpcException(status, _trailers ?? new Metadata());
        }

        GrpcMessageReader<TResponse> messages = _messages ?? throw new InvalidOperationException("the call has no response stream");
        try
        {
            if (await messages.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                _messagesRead++;
                return true;
            }
        }
        catch (RpcException e)
        {
            // A malformed or oversize response: give up on the stream (resetting it) and report why.
            _callCancellation.Cancel();
            throw Fail(e.Status);
        }
        catch (Exception e)
        {
            throw Fail(StatusOf(e));
        }

        // End of body: the status is in the trailers, which HttpClient exposes once the body is read.
        HttpResponseMessage response = _response!;
        Metadata trailers;
        try
        {
            trailers = ClientStatusMapping.MetadataOf(response.TrailingHeaders);
        }
        catch (RpcException e)
        {
            throw Fail(e.Status);
        }

        Status final = ClientStatusMapping.FromHeaders(response.TrailingHeaders)
            ?? new Status(StatusCode.Internal, "the response ended without a grpc-status trailer");
        Finish(final, trailers);
        return final.StatusCode == StatusCode.OK ? false : throw new RpcException(final, trailers);
    }

    private Status StatusOf(Exception e)
    {
        if (_deadlineTimer is { IsCancellationRequested: true })
        {
            string waitingFor = _response is null ? "the server's response headers" : $"response message {_messagesRead + 1} of {_method.FullName}";
            return new Status(
                StatusCode.DeadlineExceeded,
                $"Deadline Exceeded: the call's deadline{(_deadlineSpan is { } span ? $" of {span.TotalSeconds:0.#} s" : string.Empty)} passed while waiting for {waitingFor}");
        }

        if (_userToken.IsCancellationRequested || _disposed || e is OperationCanceledException)
        {
            return new Status(StatusCode.Cancelled, "the call was cancelled");
        }

        return ClientStatusMapping.FromTransportError(e);
    }

    private void Finish(Status status, Metadata trailers)
    {
        _status ??= status;
        _trailers ??= trailers;
        _requestContent.Abort();
        if (status.StatusCode != StatusCode.OK)
        {
            _callCancellation.Cancel();
        }
    }

    private RpcException Fail(Status status)
    {
        Finish(status, new Metadata());
        return new RpcException(_status!.Value, _trailers!);
    }

    private Exception RequestStreamClosedError() =>
        _status is { } status && status.StatusCode != StatusCode.OK
            ? new RpcException(status, _trailers ?? new Metadata())
            : new InvalidOperationException("the request stream is closed: it was completed or the call has ended");

    /// <summary>The response stream view of the call.</summary>
    private sealed class ResponseReader(GrpcCall<TRequest, TResponse> call) : IAsyncStreamReader<TResponse>
    {
        public TResponse Current => call._messages?.Current ?? throw new InvalidOperationException("MoveNext has not returned true yet.");

        public Task<bool> MoveNext(CancellationToken cancellationToken) => call.MoveNextAsync(cancellationToken);

        public void ReleaseCurrent() => call._messages?.ReleaseCurrent();
    }
}
