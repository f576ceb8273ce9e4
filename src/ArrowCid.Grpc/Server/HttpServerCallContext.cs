using Microsoft.AspNetCore.Http;

namespace ArrowCid.Grpc;

/// <summary>The call context of a call served by Kestrel.</summary>
internal sealed class HttpServerCallContext : ServerCallContext
{
    private readonly HttpContext _http;

    public HttpServerCallContext(HttpContext http, string method, Metadata requestHeaders, DateTime deadline, CancellationToken cancellationToken)
    {
        _http = http;
        Method = method;
        RequestHeaders = requestHeaders;
        Deadline = deadline;
        CancellationToken = cancellationToken;
        var connection = http.Connection;
        Peer = connection.RemoteIpAddress is { } address
            ? $"{(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? "ipv6" : "ipv4")}:{address}:{connection.RemotePort}"
            : "unknown";
    }

    public override string Method { get; }

    public override string Peer { get; }

    public override Metadata RequestHeaders { get; }

    public override DateTime Deadline { get; }

    public override CancellationToken CancellationToken { get; }

    public override Metadata ResponseTrailers { get; } = new();

    /// <summary>Whether headers or a message have gone out, so the status must go in trailers.</summary>
    public bool ResponseStarted { get; set; }

    /// <summary>Set once the handler has returned; the response stream then refuses writes.</summary>
    public bool Completed { get; set; }

    /// <summary>Response message bytes written, length prefixes included.</summary>
    public long BytesSent { get; set; }

    /// <summary>The call's request reader, once made (its bytes read are the call's bytes received).</summary>
    public IRequestByteCount? Requests { get; set; }

    public override async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        ArgumentNullException.ThrowIfNull(responseHeaders);
        if (ResponseStarted)
        {
            throw new InvalidOperationException("response headers were already sent for this call");
        }

        foreach (MetadataEntry entry in responseHeaders)
        {
            _http.Response.Headers.Append(entry.Key, MetadataHeaders.ToHeaderValue(entry));
        }

        ResponseStarted = true;

        // Kestrel puts the headers on the wire only when the body writer is flushed.
        await _http.Response.BodyWriter.FlushAsync(CancellationToken).ConfigureAwait(false);
    }
}
