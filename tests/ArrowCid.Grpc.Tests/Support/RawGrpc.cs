using System.Net;
using System.Net.Http.Headers;

namespace ArrowCid.Grpc.Tests.Support;

/// <summary>Sends hand-made request bodies over HTTP/2, bypassing our client, and reads what comes back.</summary>
public static class RawGrpc
{
    public sealed record Reply(HttpStatusCode HttpStatus, string? Status, string? Message, byte[] Body);

    public static async Task<Reply> PostAsync(Uri address, string path, byte[] body, Action<HttpRequestMessage>? adjust = null)
    {
        using var client = new HttpClient(new SocketsHttpHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        adjust?.Invoke(request);
        using HttpResponseMessage response = await client.SendAsync(request);
        byte[] bytes = await response.Content.ReadAsByteArrayAsync();

        // The status is in the trailers, or in the headers of a trailers-only response.
        string? Find(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.First()
            : response.Headers.TryGetValues(name, out var h) ? h.First()
            : null;
        return new Reply(response.StatusCode, Find("grpc-status"), Find("grpc-message"), bytes);
    }

    /// <summary>A 5-byte prefix with the given flag and declared length, followed by <paramref name="payload"/>.</summary>
    public static byte[] Frame(byte flag, uint declaredLength, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength);
        payload.CopyTo(frame, 5);
        return frame;
    }
}
