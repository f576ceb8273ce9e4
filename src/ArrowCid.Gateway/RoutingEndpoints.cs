using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ArrowCid.Content.Multiformats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// Delegated Routing V1 (ipfs/specs <c>routing/http-routing-v1.md</c>), so IPFS clients find this
/// node's trustless gateway with no libp2p: <c>GET /routing/v1/providers/{cid}</c> answers this
/// node, when it holds the block, as a <c>peer</c> record with its stable peer ID
/// (<see cref="PeerIdentity"/>), its gateway as an <c>/http</c> multiaddr and the
/// <c>transport-ipfs-gateway-http</c> protocol; <c>GET /routing/v1/peers/{peer-id}</c> answers that
/// record for this node's own ID. JSON, or NDJSON when asked with
/// <c>Accept: application/x-ndjson</c>; 404 when there is nothing to answer.
/// <para>
/// Other nodes are not listed: a registry shared with them records their Flight locations, which
/// name neither a peer ID nor a gateway, so no honest <c>peer</c> record can be made for them; a
/// client finds them by asking their own gateways.
/// </para>
/// </summary>
internal static class RoutingEndpoints
{
    /// <summary>The transport a trustless gateway offers (IPIP-0484's protocol name).</summary>
    public const string GatewayProtocol = "transport-ipfs-gateway-http";

    private const string NdJson = "application/x-ndjson";

    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        var self = PeerIdentity.LoadOrCreate(context.Content.Repository.Root);
        routes.MapMethods("/routing/v1/providers/{cid}", [HttpMethods.Get, HttpMethods.Head], http => ProvidersAsync(http, context, self));
        routes.MapMethods("/routing/v1/peers/{peerId}", [HttpMethods.Get, HttpMethods.Head], http => PeersAsync(http, context, self));

        // The spec answers a path it does not define with 400.
        routes.Map("/routing/v1/{**path}", http => throw new GatewayException(StatusCodes.Status400BadRequest, $"{http.Request.Method} {http.Request.Path} is not a delegated routing request served here (GET /routing/v1/providers/CID, GET /routing/v1/peers/PEER-ID, GET|PUT /routing/v1/ipns/NAME)"));
    }

    private static Task ProvidersAsync(HttpContext http, GatewayContext context, PeerIdentity self)
    {
        string text = (string)http.GetRouteValue("cid")!;
        if (!Cid.TryParse(text, out var cid))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"'{text}' is not a CID");
        }

        if (cid.Hash.Code != Multicodec.Identity && !context.Reader.Has(cid))
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"no provider of {cid} is known here");
        }

        PeerRecord[] records = [RecordOf(context, self)];
        return WriteAsync(http, records, new ProvidersBody(records), WireJsonContext.Default.ProvidersBody);
    }

    private static Task PeersAsync(HttpContext http, GatewayContext context, PeerIdentity self)
    {
        string text = (string)http.GetRouteValue("peerId")!;
        if (!self.IsNamedBy(text))
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"no record of peer '{text}' is known here (this node is {self.Id})");
        }

        PeerRecord[] records = [RecordOf(context, self)];
        return WriteAsync(http, records, new PeersBody(records), WireJsonContext.Default.PeersBody);
    }

    private static PeerRecord RecordOf(GatewayContext context, PeerIdentity self) =>
        new("peer", self.Id, [MultiaddrOf(context.Address)], [GatewayProtocol]);

    /// <summary>The multiaddr of a gateway address: <c>/ip4/127.0.0.1/tcp/8816/http</c>, <c>/dns/host/tcp/443/tls/http</c>.</summary>
    public static string MultiaddrOf(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        string host = address.Host.Trim('[', ']');
        string network = IPAddress.TryParse(host, out var ip)
            ? ip.AddressFamily == AddressFamily.InterNetworkV6 ? $"/ip6/{ip}" : $"/ip4/{ip}"
            : $"/dns/{host}";
        string transport = address.Scheme == Uri.UriSchemeHttps ? "/tls/http" : "/http";
        return $"{network}/tcp/{address.Port}{transport}";
    }

    // JSON: the body, records in it; NDJSON (only when asked): one record a line.
    private static async Task WriteAsync<TBody>(HttpContext http, IReadOnlyList<PeerRecord> records, TBody body, JsonTypeInfo<TBody> bodyType)
    {
        var response = http.Response;
        response.Headers.Append(HeaderNames.Vary, HeaderNames.Accept);
        response.Headers.CacheControl = "public, max-age=300";
        bool stream = http.Request.Headers.Accept.Any(a => a?.Contains(NdJson, StringComparison.OrdinalIgnoreCase) == true);
        response.ContentType = stream ? NdJson : "application/json";
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        if (stream)
        {
            foreach (var record in records)
            {
                await WireJson.WriteAsync(response.Body, record, WireJsonContext.Default.PeerRecord, http.RequestAborted).ConfigureAwait(false);
                await response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        await WireJson.WriteAsync(response.Body, body, bodyType, http.RequestAborted).ConfigureAwait(false);
    }
}
