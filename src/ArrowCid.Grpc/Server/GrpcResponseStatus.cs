using Microsoft.AspNetCore.Http;

namespace ArrowCid.Grpc;

/// <summary>Puts a call's status on the wire: in trailers, or in the headers of a trailers-only response.</summary>
internal static class GrpcResponseStatus
{
    /// <summary>
    /// Answers with headers only (HEADERS with END_STREAM): what gRPC calls a trailers-only response,
    /// used when no message was sent, e.g. for early errors.
    /// </summary>
    public static void WriteTrailersOnly(HttpResponse response, Status status, Metadata? trailers = null)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = GrpcProtocol.ContentType;
        Write(status, trailers, (key, value) => response.Headers.Append(key, value));
    }

    /// <summary>Sends the status as HTTP/2 trailers after the messages.</summary>
    public static void WriteTrailers(HttpResponse response, Status status, Metadata? trailers)
    {
        if (!response.SupportsTrailers())
        {
            // Only HTTP/2 carries trailers; the endpoints are HTTP/2-only, so this is a hosting mistake.
            throw new InvalidOperationException("the response does not support trailers; gRPC needs HTTP/2");
        }

        Write(status, trailers, (key, value) => response.AppendTrailer(key, value));
    }

    private static void Write(Status status, Metadata? trailers, Action<string, string> add)
    {
        add(GrpcProtocol.StatusHeader, ((int)status.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (status.Detail.Length > 0)
        {
            add(GrpcProtocol.MessageHeader, GrpcStatusMessage.Encode(status.Detail));
        }

        if (trailers is not null)
        {
            foreach (MetadataEntry entry in trailers)
            {
                add(entry.Key, MetadataHeaders.ToHeaderValue(entry));
            }
        }
    }
}
