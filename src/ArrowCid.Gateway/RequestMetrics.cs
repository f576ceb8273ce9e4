using System.Diagnostics;
using System.IO.Pipelines;
using ArrowCid.Node;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ArrowCid.Gateway;

/// <summary>
/// Each HTTP request, as it ends, into the node's metrics and its request log: face "http", its
/// route (the pattern it matched, so a CID in the path does not make a series of its own), its
/// status code, how long it took, and the body bytes read and written (counted as they pass). The
/// log line adds what it was about (the CID or name in its route) and the peer; never the query or
/// a header, where a token may be.
/// </summary>
internal static class RequestMetrics
{
    public static async Task MeasureAsync(HttpContext http, NodeMetrics metrics, ILogger requests, RequestDelegate next)
    {
        long started = Stopwatch.GetTimestamp();
        var requestBody = new RequestBodyStream(http.Request.Body, http.RequestAborted);
        http.Request.Body = requestBody;
        var responseBody = new CountingResponseBody(http.Features.Get<IHttpResponseBodyFeature>()!);
        http.Features.Set<IHttpResponseBodyFeature>(responseBody);
        try
        {
            await next(http).ConfigureAwait(false);
        }
        finally
        {
            string route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            string status = http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted
                ? "aborted"
                : http.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
            string method = $"{http.Request.Method} {route}";
            var took = Stopwatch.GetElapsedTime(started);
            metrics.CallEnded("http", method, status, took, requestBody.BytesRead, responseBody.BytesWritten);
            if (requests.IsEnabled(LogLevel.Information))
            {
                string subject = (http.GetRouteValue("cid") ?? http.GetRouteValue("name"))?.ToString() ?? "-";
                string peer = http.Connection.RemoteIpAddress is { } address ? $"{address}:{http.Connection.RemotePort}" : "unknown";
                NodeLogging.Request(requests, "http", method, subject, status, requestBody.BytesRead, responseBody.BytesWritten, took.TotalMilliseconds, peer);
            }
        }
    }

    /// <summary>
    /// A request body that counts what is read from it, and makes a body the client sent wrong (a
    /// malformed or overflowing chunk size, fewer bytes than its Content-Length) the client's error:
    /// a 400 naming it (or the status Kestrel gave it), not a 500 and a stack trace in the node's log
    /// (issue 65). A read the client's departure ended stays a cancellation.
    /// </summary>
    private sealed class RequestBodyStream(Stream inner, CancellationToken aborted) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return Counted(inner.Read(buffer));
            }
            catch (Exception e) when (Translated(e) is { } translated)
            {
                throw translated;
            }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (Translated(e) is { } translated)
            {
                throw translated;
            }
        }

        // What a failed read becomes: once the client has gone, a cancellation (nothing to answer,
        // nothing to log but the request's line, "aborted"); before, a body it framed wrong, which
        // Kestrel reports as BadHttpRequestException or as an IOException (an overflowing chunk
        // size), a 4xx naming it. Anything else stays as it is (null).
        private Exception? Translated(Exception e) => aborted.IsCancellationRequested
            ? e is OperationCanceledException ? null : new OperationCanceledException("the client went away", e, aborted)
            : e is BadHttpRequestException or IOException
                ? new GatewayException(e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest, $"the request body could not be read: {e.Message}", e)
                : null;

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            BytesRead += read;
            return read;
        }
    }

    /// <summary>
    /// The response body feature with a writer that counts what passes through it; the stream view
    /// writes through the same writer, so either way of writing is counted.
    /// </summary>
    private sealed class CountingResponseBody : IHttpResponseBodyFeature
    {
        private readonly IHttpResponseBodyFeature _inner;
        private readonly CountingWriter _writer;

        public CountingResponseBody(IHttpResponseBodyFeature inner)
        {
            _inner = inner;
            _writer = new CountingWriter(inner.Writer);
            Stream = _writer.AsStream(leaveOpen: true);
        }

        public long BytesWritten => _writer.Written;

        public Stream Stream { get; }

        public PipeWriter Writer => _writer;

        public Task CompleteAsync() => _inner.CompleteAsync();

        public void DisableBuffering() => _inner.DisableBuffering();

        // The server's own send (a block file, with sendfile where it has it), counted by what it was asked to send.
        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
        {
            _writer.Counted(count ?? (new FileInfo(path).Length - offset));
            return _inner.SendFileAsync(path, offset, count, cancellationToken);
        }

        public Task StartAsync(CancellationToken cancellationToken = default) => _inner.StartAsync(cancellationToken);
    }

    private sealed class CountingWriter(PipeWriter inner) : PipeWriter
    {
        public long Written { get; private set; }

        public void Counted(long bytes) => Written += bytes;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes)
        {
            Written += bytes;
            inner.Advance(bytes);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            Written += source.Length;
            return inner.WriteAsync(source, cancellationToken);
        }
    }
}
