using System.Net;
using System.Net.Http.Headers;

namespace ArrowCid.Names;

/// <summary>
/// Resolves a signed name through an IPFS HTTP gateway that speaks delegated routing, as a Helia
/// client does: the record from <c>GET /routing/v1/ipns/{name}</c>, each version node from
/// <c>GET /ipfs/{cid}?format=raw</c>, verified here (<see cref="SignedName.Verify"/>): the gateway is
/// not trusted. What <c>arrowcid name resolve --gateway</c> and <c>bench names</c> run.
/// </summary>
public static class GatewayNameResolver
{
    /// <summary>Fetches and verifies <paramref name="name"/>'s record and its chain back to version 1.</summary>
    /// <param name="http">A client whose <see cref="HttpClient.BaseAddress"/> is the gateway's root (ending in <c>/</c>), with any credentials set.</param>
    /// <param name="name">The IPNS name.</param>
    /// <param name="now">The time the record must be valid at.</param>
    /// <returns>The verified name.</returns>
    /// <exception cref="NameChainException">No record is served (Missing), or what does not verify.</exception>
    /// <exception cref="HttpRequestException">The gateway cannot be reached, or answers a status other than success or 404 (<see cref="HttpRequestException.StatusCode"/>).</exception>
    public static SignedName Resolve(HttpClient http, IpnsName name, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(name);
        byte[] record = Get(http, $"routing/v1/ipns/{name}", IpnsRecord.MediaType)
            ?? throw new NameChainException(NameChainFault.Missing, $"{http.BaseAddress} serves no record of {name}");
        return SignedName.Verify(name, record, cid => Get(http, $"ipfs/{cid}?format=raw", "application/vnd.ipld.raw"), now);
    }

    // The body of a GET, or null for 404.
    private static byte[]? Get(HttpClient http, string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        using var response = http.Send(request);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{http.BaseAddress}{path}: {(int)response.StatusCode} {response.ReasonPhrase}", null, response.StatusCode);
        }

        using var body = response.Content.ReadAsStream();
        using var copy = new MemoryStream();
        body.CopyTo(copy);
        return copy.ToArray();
    }
}
