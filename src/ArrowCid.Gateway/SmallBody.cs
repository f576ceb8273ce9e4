using Microsoft.AspNetCore.Http;

namespace ArrowCid.Gateway;

/// <summary>
/// A request body that is small by nature (a SQL query, an IPNS record), read whole under a limit:
/// a larger declared length is refused before reading, and a body that grows past the limit as it
/// comes is refused as soon as it does (413), never read to its end.
/// </summary>
internal static class SmallBody
{
    /// <summary>The body's bytes.</summary>
    /// <param name="http">The request.</param>
    /// <param name="maxBytes">The most bytes the body may have.</param>
    /// <param name="what">What the body is, for the refusal: "a query", "an IPNS record".</param>
    /// <exception cref="GatewayException">413: the body is larger than <paramref name="maxBytes"/>.</exception>
    public static async Task<byte[]> ReadAsync(HttpContext http, int maxBytes, string what)
    {
        var request = http.Request;
        if (request.ContentLength > maxBytes)
        {
            throw TooLarge(maxBytes, what);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw TooLarge(maxBytes, what);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static GatewayException TooLarge(int maxBytes, string what) =>
        new(StatusCodes.Status413PayloadTooLarge, $"{what} is at most {maxBytes} bytes");
}
