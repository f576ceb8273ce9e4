using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace ArrowCid.Grpc;

/// <summary>How a client turns what HTTP/2 delivered (or failed to) into a gRPC status, as the spec maps them.</summary>
internal static class ClientStatusMapping
{
    /// <summary>A non-200 HTTP response from something that is not (or not yet) a gRPC server.</summary>
    public static Status FromHttpStatus(HttpStatusCode code)
    {
        StatusCode grpc = (int)code switch
        {
            400 => StatusCode.Internal,
            401 => StatusCode.Unauthenticated,
            403 => StatusCode.PermissionDenied,
            404 => StatusCode.Unimplemented,
            429 or 502 or 503 or 504 => StatusCode.Unavailable,
            _ => StatusCode.Unknown,
        };
        return new Status(grpc, $"the server answered HTTP {(int)code} ({code}) instead of a gRPC response");
    }

    /// <summary>A stream reset or a connection failure.</summary>
    public static Status FromTransportError(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is Http2.Http2StreamIdleException idle)
            {
                // The call's idle timeout: nothing moved, so it is a deadline the caller set, not a transport fault.
                return new Status(StatusCode.DeadlineExceeded, $"Deadline Exceeded: {idle.Message}");
            }

            // RST_STREAM / GOAWAY error codes (RFC 9113 section 7), from SocketsHttpHandler or our HTTP/2.
            (long? code, string? message) = e switch
            {
                HttpProtocolException p => (p.ErrorCode, p.Message),
                Http2.Http2StreamException s => ((long)s.ErrorCode, s.Message),
                Http2.Http2ConnectionException c => ((long)c.ErrorCode, c.Message),
                _ => ((long?)null, (string?)null),
            };
            if (code is { } http2)
            {
                StatusCode status = http2 switch
                {
                    0x7 => StatusCode.Unavailable, // REFUSED_STREAM: safe to retry
                    0x8 => StatusCode.Cancelled, // CANCEL
                    0xB => StatusCode.ResourceExhausted, // ENHANCE_YOUR_CALM
                    0xC => StatusCode.PermissionDenied, // INADEQUATE_SECURITY
                    _ => StatusCode.Internal,
                };
                return new Status(status, $"HTTP/2 error 0x{http2:X}: {message}");
            }
        }

        return error is HttpRequestException or IOException
            ? new Status(StatusCode.Unavailable, $"transport failure: {error.Message}")
            : new Status(StatusCode.Internal, $"{error.GetType().Name}: {error.Message}");
    }

    /// <summary>The status in received header fields, or null when they carry none.</summary>
    public static Status? FromHeaders(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out IEnumerable<string>? values))
        {
            return null;
        }

        string text = values.FirstOrDefault() ?? string.Empty;
        string detail = headers.TryGetValues(GrpcProtocol.MessageHeader, out IEnumerable<string>? messages)
            ? GrpcStatusMessage.Decode(messages.FirstOrDefault())
            : string.Empty;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int code) && code is >= 0 and <= 16
            ? new Status((StatusCode)code, detail)
            : new Status(StatusCode.Unknown, $"the server sent an invalid grpc-status '{text}' ({detail})");
    }

    /// <summary>The custom metadata among received header fields.</summary>
    public static Metadata MetadataOf(HttpHeaders headers) =>
        MetadataHeaders.FromHeaders(headers.Select(h => new KeyValuePair<string, IEnumerable<string?>>(h.Key, h.Value)));
}
