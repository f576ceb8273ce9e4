using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace ArrowCid.Http2.Server;

/// <summary>
/// One request on a server connection, presented to ASP.NET Core as the features of an
/// <see cref="HttpContext"/> (request, response, body, trailers, lifetime), so a request delegate
/// written for Kestrel runs on it unchanged.
/// </summary>
internal sealed class Http2ServerStream : Http2Stream,
    IHttpRequestFeature, IHttpResponseFeature, IHttpResponseBodyFeature, IHttpResponseTrailersFeature, IHttpRequestLifetimeFeature, IDisposable
{
    private readonly CancellationTokenSource _aborted = new();
    private readonly Http2BodyWriter _writer;
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly List<(Func<object, Task> Callback, object State)> _onStarting = [];
    private readonly List<(Func<object, Task> Callback, object State)> _onCompleted = [];
    private readonly Http2ServerConnection _connection;
    private Stream? _responseStream;

    // 0: the handler runs; 1: it runs and its stream was aborted (counted by the connection); 2: it ended.
    private int _handlerState;
    private bool _started;

    public Http2ServerStream(Http2ServerConnection connection, int id, RequestHead head)
        : base(connection, id)
    {
        _connection = connection;
        DeclaredBodyLength = head.ContentLength;
        Method = head.Method;
        Scheme = head.Scheme;
        Path = head.Path;
        QueryString = head.Query;
        RawTarget = head.RawTarget;
        Headers = head.Headers;
        Body = new Http2BodyReadStream(Inbound);
        _writer = new Http2BodyWriter(this, TakeResponseHeadAsync, () => RequestAborted.IsCancellationRequested);
    }

    // IHttpRequestFeature

    /// <inheritdoc />
    public string Protocol { get; set; } = "HTTP/2";

    /// <inheritdoc />
    public string Scheme { get; set; }

    /// <inheritdoc />
    public string Method { get; set; }

    /// <inheritdoc />
    public string PathBase { get; set; } = string.Empty;

    /// <inheritdoc />
    public string Path { get; set; }

    /// <inheritdoc />
    public string QueryString { get; set; }

    /// <inheritdoc />
    public string RawTarget { get; set; }

    /// <inheritdoc />
    public IHeaderDictionary Headers { get; set; }

    /// <inheritdoc />
    public Stream Body { get; set; }

    // IHttpResponseFeature (Headers and Body are explicit: the names clash with the request's)

    /// <inheritdoc />
    public int StatusCode { get; set; } = StatusCodes.Status200OK;

    /// <inheritdoc />
    public string? ReasonPhrase { get; set; }

    /// <summary>The response headers.</summary>
    public IHeaderDictionary ResponseHeaders { get; set; } = new HeaderDictionary();

    IHeaderDictionary IHttpResponseFeature.Headers
    {
        get => ResponseHeaders;
        set => ResponseHeaders = value;
    }

    Stream IHttpResponseFeature.Body
    {
        get => ((IHttpResponseBodyFeature)this).Stream;
        set => throw new NotSupportedException("the response body of an HTTP/2 stream cannot be replaced");
    }

    /// <inheritdoc />
    public bool HasStarted => Volatile.Read(ref _started);

    /// <inheritdoc />
    public void OnStarting(Func<object, Task> callback, object state)
    {
        if (HasStarted)
        {
            throw new InvalidOperationException("the response has already started");
        }

        _onStarting.Add((callback, state));
    }

    /// <inheritdoc />
    public void OnCompleted(Func<object, Task> callback, object state) => _onCompleted.Add((callback, state));

    // IHttpResponseBodyFeature

    /// <inheritdoc />
    Stream IHttpResponseBodyFeature.Stream => _responseStream ??= _writer.AsStream(leaveOpen: true);

    /// <inheritdoc />
    public PipeWriter Writer => _writer;

    /// <inheritdoc />
    public void DisableBuffering()
    {
        // Nothing is buffered beyond one flush.
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken = default) => StartResponseAsync(cancellationToken).AsTask();

    /// <inheritdoc />
    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        await using FileStream file = new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        file.Seek(offset, SeekOrigin.Begin);
        long left = count ?? (file.Length - offset);
        byte[] piece = new byte[Math.Min(left, 1 << 20)];
        while (left > 0)
        {
            int read = await file.ReadAsync(piece.AsMemory(0, (int)Math.Min(piece.Length, left)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException($"{path} ended before the {count} octets asked for");
            }

            await _writer.WriteAsync(piece.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            left -= read;
        }
    }

    /// <inheritdoc />
    public Task CompleteAsync() => _writer.FlushAsync().AsTask();

    // IHttpResponseTrailersFeature

    /// <inheritdoc />
    public IHeaderDictionary Trailers { get; set; } = new HeaderDictionary();

    // IHttpRequestLifetimeFeature

    /// <inheritdoc />
    public CancellationToken RequestAborted
    {
        get => _aborted.Token;
        set => throw new NotSupportedException("RequestAborted of an HTTP/2 stream is its own");
    }

    /// <inheritdoc />
    public void Abort() => _ = ResetAsync(Http2ErrorCode.InternalError, "the application aborted the request").AsTask();

    /// <summary>Sends the response headers once (running OnStarting callbacks first).</summary>
    public async ValueTask StartResponseAsync(CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte> head = await TakeResponseHeadAsync(cancellationToken).ConfigureAwait(false);
        if (!head.IsEmpty)
        {
            await WriteHeaderBlockAsync(head, endStream: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Starts the response once (running OnStarting callbacks first) and returns its header block,
    /// which the caller sends next (the body writer, with the first DATA); empty when it had started.
    /// </summary>
    private async ValueTask<ReadOnlyMemory<byte>> TakeResponseHeadAsync(CancellationToken cancellationToken)
    {
        if (HasStarted)
        {
            return default;
        }

        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (HasStarted)
            {
                return default;
            }

            await RunOnStartingAsync().ConfigureAwait(false);
            ReadOnlyMemory<byte> head = Http2Connection.EncodeHeaderBlock(ResponseHead());
            Volatile.Write(ref _started, true);
            return head;
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>Runs the request delegate, then ends the response: headers-only when nothing was sent, else trailers (or an empty END_STREAM DATA).</summary>
    public async Task ProcessAsync(RequestDelegate application, IFeatureCollection connectionFeatures)
    {
        var features = new FeatureCollection(connectionFeatures);
        features.Set<IHttpRequestFeature>(this);
        features.Set<IHttpResponseFeature>(this);
        features.Set<IHttpResponseBodyFeature>(this);
        features.Set<IHttpResponseTrailersFeature>(this);
        features.Set<IHttpRequestLifetimeFeature>(this);
        var context = new DefaultHttpContext(features);
        try
        {
            await application(context).ConfigureAwait(false);
            await EndResponseAsync().ConfigureAwait(false);
        }
        catch (Exception) when (RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream or the connection ended; nothing can reach it.
        }
        catch (Exception)
        {
            // As Kestrel does: a 500 when nothing was sent yet, else the stream is reset.
            if (!HasStarted)
            {
                StatusCode = StatusCodes.Status500InternalServerError;
                ResponseHeaders.Clear();
                await TryEndAsync().ConfigureAwait(false);
            }
            else
            {
                await ResetAsync(Http2ErrorCode.InternalError, "the application failed after the response started").ConfigureAwait(false);
            }
        }
        finally
        {
            foreach ((Func<object, Task> callback, object state) in _onCompleted)
            {
                try
                {
                    await callback(state).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // OnCompleted callbacks cannot change the response any more.
                }
            }

            Dispose();
        }
    }

    /// <summary>The handler has returned: an aborted stream stops counting against the limit.</summary>
    public void HandlerEnded()
    {
        if (Interlocked.Exchange(ref _handlerState, 2) == 1)
        {
            _connection.HandlerOutlivesAbortedStream(-1);
        }
    }

    /// <summary>Releases the response buffer, the unread request body (its octets back to the connection's window) and the stream's token; the stream's work is over.</summary>
    public void Dispose()
    {
        Inbound.Discard();
        _writer.Release();
        _aborted.Dispose();
        _startGate.Dispose();
    }

    /// <inheritdoc />
    protected override void OnAborted(Exception error)
    {
        if (Interlocked.CompareExchange(ref _handlerState, 1, 0) == 0)
        {
            _connection.HandlerOutlivesAbortedStream(+1);
        }

        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async ValueTask TryEndAsync()
    {
        try
        {
            await EndResponseAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException || (e is InvalidOperationException && LocalEnded))
        {
            // The stream was reset (or its connection lost) between the application's failure and
            // here, before RequestAborted fired: the 500 cannot be sent. Letting this escape faulted
            // the request task unobserved (found by the frame fuzz).
        }
    }

    private async ValueTask EndResponseAsync()
    {
        CancellationToken aborted = RequestAborted;
        if (!HasStarted && _writer.Buffered == 0)
        {
            await RunOnStartingAsync().ConfigureAwait(false);
            Volatile.Write(ref _started, true);
            await WriteHeadersAsync(ResponseHead(), endStream: true, aborted).ConfigureAwait(false);
        }
        else if (Trailers.Count > 0 && _writer.Buffered > 0)
        {
            // The last message, left unflushed by the application, goes with the trailers in one write.
            await _writer.EndWithTrailersAsync(Http2Connection.EncodeHeaderBlock(Fields(Trailers)), aborted).ConfigureAwait(false);
        }
        else
        {
            await _writer.FlushAsync(aborted).ConfigureAwait(false);
            if (Trailers.Count > 0)
            {
                await WriteHeadersAsync(Fields(Trailers), endStream: true, aborted).ConfigureAwait(false);
            }
            else
            {
                await WriteDataAsync(ReadOnlyMemory<byte>.Empty, endStream: true, aborted).ConfigureAwait(false);
            }
        }

        if (!RemoteEnded)
        {
            // The response is complete; the client may stop sending (RFC 9113 §8.1).
            await ResetAsync(Http2ErrorCode.NoError, "the response is complete").ConfigureAwait(false);
        }
    }

    private async ValueTask RunOnStartingAsync()
    {
        for (int i = _onStarting.Count - 1; i >= 0; i--)
        {
            await _onStarting[i].Callback(_onStarting[i].State).ConfigureAwait(false);
        }

        _onStarting.Clear();
    }

    private IEnumerable<KeyValuePair<string, string>> ResponseHead()
    {
        yield return new(":status", StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (KeyValuePair<string, string> field in Fields(ResponseHeaders))
        {
            yield return field;
        }
    }

    /// <summary>Header fields as HTTP/2 wants them: lower-case names, no connection-specific fields.</summary>
    private static IEnumerable<KeyValuePair<string, string>> Fields(IHeaderDictionary headers)
    {
        foreach (KeyValuePair<string, StringValues> header in headers)
        {
            string name = header.Key.ToLowerInvariant();
            if (Http2Protocol.IsConnectionSpecific(name))
            {
                continue;
            }

            foreach (string? value in header.Value)
            {
                yield return new(name, value ?? string.Empty);
            }
        }
    }
}
