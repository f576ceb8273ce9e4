using System.Net;
using System.Net.Http.Headers;

namespace ArrowCid.Http2.Client;

/// <summary>
/// One request/response exchange on a client connection: sends the request body while the response
/// arrives (full duplex), builds the <see cref="HttpResponseMessage"/> from the first header block and
/// adds the trailers from the last one before the body reports its end.
/// </summary>
internal sealed class Http2ClientStream : Http2Stream
{
    private readonly HttpRequestMessage _request;
    private readonly TaskCompletionSource<HttpResponseMessage> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HttpResponseMessage? _message;
    private readonly object _closeGate = new();
    private CancellationTokenRegistration _cancellation;
    private bool _closed;

    public Http2ClientStream(Http2ClientConnection connection, int id, HttpRequestMessage request)
        : base(connection, id) => _request = request;

    /// <summary>
    /// When set, the stream is reset (CANCEL) once no octet has moved on it, either way, for this
    /// long, and the request fails with <see cref="Http2StreamIdleException"/> saying what it was
    /// waiting for (<see cref="Http2ClientHandler.IdleTimeout"/>).
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>Gives the stream up after its idle timeout: RST_STREAM CANCEL, and the request fails with what it was waiting for.</summary>
    public ValueTask FailIdleAsync(TimeSpan idle) =>
        ResetAsync(Http2ErrorCode.Cancel, new Http2StreamIdleException(Id, idle, WaitingFor()));

    /// <summary>What the exchange is waiting for now, in words for an error message.</summary>
    private string WaitingFor()
    {
        if (SendWindow.IsWaiting)
        {
            return $"flow-control credit (WINDOW_UPDATE) from the server to send more of the request: the stream's send window is {SendWindow.Available} octets after {OctetsSent} sent";
        }

        if (Connection.SendWindow.IsWaiting)
        {
            return $"flow-control credit (WINDOW_UPDATE) from the server to send more of the request: the connection's send window is {Connection.SendWindow.Available} octets, this stream sent {OctetsSent}";
        }

        if (_message is null)
        {
            return $"the server's response headers ({OctetsSent} octets of the request sent{(LocalEnded ? ", all of it" : ", the request still open")})";
        }

        return RemoteEnded
            ? $"the request to end ({OctetsSent} octets sent)"
            : $"more of the response from the server ({OctetsReceived} octets received{(LocalEnded ? string.Empty : ", the request still open")})";
    }

    /// <summary>Completes with the response once its headers arrive.</summary>
    public Task<HttpResponseMessage> Response => _response.Task;

    /// <summary>Sends the request's content (if any) as DATA, then END_STREAM; a failure resets the stream.</summary>
    public async Task SendBodyAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var writer = new Http2BodyWriter(this);
        try
        {
            var body = new Http2BodyWriteStream(writer);
            await using (body.ConfigureAwait(false))
            {
                await content.CopyToAsync(body, cancellationToken).ConfigureAwait(false);
            }

            if (!LocalEnded)
            {
                // What the content left unflushed (a gRPC call's last message) goes with END_STREAM.
                await writer.EndAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // The request body failed or was cancelled: the exchange cannot go on.
            _response.TrySetException(e is OperationCanceledException or HttpRequestException ? e : new HttpRequestException($"sending the request body failed: {e.Message}", e));
            await ResetAsync(Http2ErrorCode.Cancel, "the request body failed").ConfigureAwait(false);
        }
        finally
        {
            writer.Release();
        }
    }

    /// <summary>A header block from the server: the response head, an informational head (skipped) or the trailers.</summary>
    public async ValueTask OnHeadersAsync(List<KeyValuePair<string, string>> fields, bool endStream)
    {
        if (_message is null)
        {
            if (!TryBuildResponse(fields, out HttpResponseMessage? response, out string? error))
            {
                await ResetAsync(Http2ErrorCode.ProtocolError, error).ConfigureAwait(false);
                _response.TrySetException(new HttpRequestException(HttpRequestError.InvalidResponse, error));
                return;
            }

            if (response is null)
            {
                // 1xx: the final response is still to come.
                return;
            }

            _message = response;
            if (endStream)
            {
                EndRemote();
            }

            // Handed over once the frames that came with the headers are read: a small response's
            // DATA and trailers, when they came in the same read, are then there for its reader.
            Connection.RunAfterReceivedFrames(static s => ((Http2ClientStream)s!).PublishResponse(), this);
            return;
        }

        if (!endStream)
        {
            const string error = "a second header block without END_STREAM (trailers must end the response)";
            await ResetAsync(Http2ErrorCode.ProtocolError, error).ConfigureAwait(false);
            return;
        }

        foreach ((string name, string value) in fields)
        {
            if (name.StartsWith(':'))
            {
                await ResetAsync(Http2ErrorCode.ProtocolError, $"pseudo-header {name} in trailers").ConfigureAwait(false);
                return;
            }

            _message.TrailingHeaders.TryAddWithoutValidation(name, value);
        }

        // Trailers are in place before the body reports its end.
        EndRemote();
    }

    private void PublishResponse() => _response.TrySetResult(_message!);

    /// <summary>
    /// Unregisters <paramref name="cancellation"/> (the request token's hook that resets this
    /// stream) once the stream closes, on the closing thread: awaiting <see cref="Http2Stream.Closed"/>
    /// for it cost every request a thread-pool hop.
    /// </summary>
    public void UnregisterOnClose(CancellationTokenRegistration cancellation)
    {
        lock (_closeGate)
        {
            if (!_closed)
            {
                _cancellation = cancellation;
                return;
            }
        }

        cancellation.Unregister();
    }

    /// <inheritdoc />
    protected override void OnClosed()
    {
        CancellationTokenRegistration cancellation;
        lock (_closeGate)
        {
            _closed = true;
            (cancellation, _cancellation) = (_cancellation, default);
        }

        // Not Dispose: that would wait for a reset the hook may be running on another thread.
        cancellation.Unregister();
    }

    /// <inheritdoc />
    protected override void OnAborted(Exception error)
    {
        if (_message is { } response)
        {
            // Its headers came before the reset (and its hand-over was waiting for the read loop): the
            // response stands, and reading its body reports the reset unless the body was complete.
            _response.TrySetResult(response);
            return;
        }

        _response.TrySetException(error is HttpRequestException or OperationCanceledException ? error : new HttpRequestException(error.Message, error));
    }

    private bool TryBuildResponse(List<KeyValuePair<string, string>> fields, out HttpResponseMessage? response, out string error)
    {
        response = null;
        error = string.Empty;
        if (fields.Count == 0 || fields[0].Key != ":status" || !int.TryParse(fields[0].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int status) || status is < 100 or > 999)
        {
            error = "the response does not start with a valid :status";
            return false;
        }

        if (status < 200)
        {
            return true;
        }

        var content = new Http2ResponseContent(new Http2BodyReadStream(Inbound, OnBodyDisposed));
        var message = new HttpResponseMessage((HttpStatusCode)status)
        {
            Version = HttpVersion.Version20,
            RequestMessage = _request,
            Content = content,
        };
        for (int i = 1; i < fields.Count; i++)
        {
            (string name, string value) = fields[i];
            if (name.StartsWith(':'))
            {
                message.Dispose();
                error = $"pseudo-header {name} after :status";
                return false;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        response = message;
        return true;
    }

    private void OnBodyDisposed()
    {
        if (!RemoteEnded)
        {
            // The reader stopped before the end: tell the server to stop sending.
            _ = ResetAsync(Http2ErrorCode.Cancel, "the response body was disposed before its end").AsTask();
        }
    }

    /// <summary>The response body as <see cref="HttpContent"/>: its stream is the stream's received DATA.</summary>
    private sealed class Http2ResponseContent(Http2BodyReadStream body) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => body.CopyToAsync(stream);

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
            body.CopyToAsync(stream, cancellationToken);

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(body);

        protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => Task.FromResult<Stream>(body);

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => body;

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                body.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
