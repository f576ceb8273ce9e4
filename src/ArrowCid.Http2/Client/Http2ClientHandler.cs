using System.Net;

namespace ArrowCid.Http2.Client;

/// <summary>
/// An <see cref="HttpMessageHandler"/> that speaks HTTP/2 only (http:// with prior knowledge,
/// https:// with ALPN h2) over connections of its own. Unlike <see cref="SocketsHttpHandler"/> it
/// accepts frames up to 16 MiB and reads a DATA payload straight into the memory a reader is
/// waiting with, so a large response body crosses from the kernel into the caller's array in one
/// copy. Requests are full duplex: the body is sent while the response arrives.
/// </summary>
public sealed class Http2ClientHandler : HttpMessageHandler
{
    private readonly Http2ClientOptions _options;
    private readonly Dictionary<string, List<Http2ClientConnection>> _pool = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private bool _disposed;

    /// <summary>
    /// A request option: the request fails (its stream reset) once no octet has moved on it, either
    /// way, for this long, with an <see cref="Http2StreamIdleException"/> that says what it was
    /// waiting for. Unset, a request may wait as long as its cancellation token allows.
    /// </summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> IdleTimeout = new("ArrowCid.Http2.IdleTimeout");

    /// <summary>Creates a handler with <paramref name="options"/> (defaults when null).</summary>
    public Http2ClientHandler(Http2ClientOptions? options = null) => _options = options ?? new Http2ClientOptions();

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ObjectDisposedException.ThrowIf(_disposed, this);
        Uri uri = request.RequestUri ?? throw new InvalidOperationException("the request has no URI");
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new NotSupportedException($"this handler speaks HTTP/2 over http:// and https:// only, not {uri.Scheme}://");
        }

        if (request.Version.Major < 2 && request.VersionPolicy == HttpVersionPolicy.RequestVersionExact)
        {
            throw new NotSupportedException($"this handler speaks HTTP/2 only; the request asks for exactly HTTP/{request.Version}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        List<KeyValuePair<string, string>> fields = RequestFields(request, uri);
        HttpContent? content = request.Content;
        for (int attempt = 1; ; attempt++)
        {
            // A small body known whole goes with the HEADERS, in one write, with no body sender to start.
            ReadOnlyMemory<byte> whole = default;
            bool sendWhole = content is IWholeHttpContent known && known.TryGetWhole(WholeBodyLimit, out whole) && !whole.IsEmpty;
            Http2ClientStream stream = await OpenStreamAsync(uri, request, fields, content is null, sendWhole ? whole : default, cancellationToken).ConfigureAwait(false);
            if (request.Options.TryGetValue(IdleTimeout, out TimeSpan idle) && idle > TimeSpan.Zero && idle != Timeout.InfiniteTimeSpan)
            {
                stream.IdleTimeout = idle;
            }

            // The call's token covers the whole exchange: cancelling it resets the stream, as SocketsHttpHandler does.
            CancellationTokenRegistration cancel = cancellationToken.UnsafeRegister(
                static s => _ = ((Http2ClientStream)s!).ResetAsync(Http2ErrorCode.Cancel, "the request was cancelled").AsTask(), stream);
            stream.UnregisterOnClose(cancel);
            Task body = content is null || stream.LocalEnded ? Task.CompletedTask : Task.Run(() => stream.SendBodyAsync(content, cancellationToken), CancellationToken.None);
            try
            {
                return await stream.Response.ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new TaskCanceledException("the request was cancelled", null, cancellationToken);
            }
            catch (Exception e) when (attempt < MaxAttempts && WasRefused(e) && (content is null || content is IReplayableHttpContent { IsReplayable: true }))
            {
                // The server did not process it (RFC 9113 §8.7): send it again, on a new stream (and
                // a new connection after GOAWAY), once the first attempt's body has stopped.
                await body.ConfigureAwait(false);
                (content as IReplayableHttpContent)?.Rewind();
                await Task.Delay(TimeSpan.FromMilliseconds(10 << (attempt - 1)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The largest body sent whole with its HEADERS: the smallest frame size a peer may set
    /// (RFC 9113 §4.2), so it is always one DATA frame.
    /// </summary>
    private const int WholeBodyLimit = 16 * 1024;

    /// <summary>Tries per request when the server refuses it unprocessed (the first and three more).</summary>
    private const int MaxAttempts = 4;

    private static bool WasRefused(Exception e) =>
        (e as Http2StreamException ?? e.InnerException as Http2StreamException) is { ErrorCode: Http2ErrorCode.RefusedStream };

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            List<Http2ClientConnection> all;
            lock (_pool)
            {
                all = [.. _pool.Values.SelectMany(c => c)];
                _pool.Clear();
            }

            foreach (Http2ClientConnection connection in all)
            {
                connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            _connectGate.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<Http2ClientStream> OpenStreamAsync(
        Uri uri, HttpRequestMessage request, List<KeyValuePair<string, string>> fields, bool endStream, ReadOnlyMemory<byte> whole, CancellationToken cancellationToken)
    {
        string key = uri.GetLeftPart(UriPartial.Authority);
        for (int attempt = 0; ; attempt++)
        {
            foreach (Http2ClientConnection connection in Usable(key))
            {
                if (await connection.OpenStreamAsync(request, fields, endStream, whole, cancellationToken).ConfigureAwait(false) is { } stream)
                {
                    return stream;
                }
            }

            // None can take the stream: connect once more (one connector at a time, so a burst of calls shares it).
            await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Usable(key).Count == 0 || attempt > 0)
                {
                    Http2ClientConnection created = await Http2ClientConnection.ConnectAsync(uri, _options, cancellationToken).ConfigureAwait(false);
                    bool pooled;
                    lock (_pool)
                    {
                        pooled = !_disposed;
                        if (pooled)
                        {
                            if (!_pool.TryGetValue(key, out List<Http2ClientConnection>? list))
                            {
                                _pool[key] = list = [];
                            }

                            list.Add(created);
                        }
                    }

                    if (!pooled)
                    {
                        // Disposed while connecting: close it outside the lock (it may send GOAWAY).
                        await created.DisposeAsync().ConfigureAwait(false);
                        throw new ObjectDisposedException(nameof(Http2ClientHandler));
                    }
                }
            }
            finally
            {
                _connectGate.Release();
            }

            if (attempt > 3)
            {
                throw new HttpRequestException($"no HTTP/2 connection to {key} could take a new stream");
            }
        }
    }

    /// <summary>The open connections to <paramref name="key"/> that can take a stream (closed ones are dropped).</summary>
    private List<Http2ClientConnection> Usable(string key)
    {
        lock (_pool)
        {
            if (!_pool.TryGetValue(key, out List<Http2ClientConnection>? list))
            {
                return [];
            }

            foreach (Http2ClientConnection closed in list.Where(c => c.IsClosed || c.IdleFor >= _options.PooledConnectionIdleTimeout).ToList())
            {
                list.Remove(closed);
                _ = closed.DisposeAsync().AsTask();
            }

            return list.Where(c => c.CanOpenStream).ToList();
        }
    }

    /// <summary>The request's header block: pseudo-headers, then request and content headers with lower-case names.</summary>
    private static List<KeyValuePair<string, string>> RequestFields(HttpRequestMessage request, Uri uri)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new(":method", request.Method.Method),
            new(":scheme", uri.Scheme),
            new(":authority", uri.IsDefaultPort ? uri.IdnHost : $"{uri.IdnHost}:{uri.Port}"),
            new(":path", uri.PathAndQuery),
        };
        Add(request.Headers.NonValidated);
        if (request.Content is { } content)
        {
            Add(content.Headers.NonValidated);
        }

        return fields;

        void Add(System.Net.Http.Headers.HttpHeadersNonValidated headers)
        {
            foreach (KeyValuePair<string, System.Net.Http.Headers.HeaderStringValues> header in headers)
            {
                string name = header.Key.ToLowerInvariant();
                // Host travels as :authority.
                if (name == "host" || Http2Protocol.IsConnectionSpecific(name))
                {
                    continue;
                }

                foreach (string value in header.Value)
                {
                    fields.Add(new(name, value));
                }
            }
        }
    }
}
