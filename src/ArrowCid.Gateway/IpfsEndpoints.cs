using ArrowCid.Content.Multiformats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>GET|HEAD /ipfs/{cid}</c>: content by CID. The negotiated format picks the answer: a raw block
/// or a CAR (the IPFS trustless gateway), or the table the CID names as Arrow, Parquet or CSV.
/// </summary>
internal static class IpfsEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        routes.MapMethods("/ipfs/{cid}", [HttpMethods.Get, HttpMethods.Head], http => GetAsync(http, context));
    }

    private static async Task GetAsync(HttpContext http, GatewayContext context)
    {
        string text = (string)http.GetRouteValue("cid")!;
        if (!Cid.TryParse(text, out var cid))
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"'{text}' is not a CID");
        }

        var format = ContentNegotiation.Negotiate(http.Request);
        TrustlessResponses.RequireHeldIfOnlyIfCached(http, context, cid);
        if (format.Format is ResponseFormat.Raw or ResponseFormat.Unspecified or ResponseFormat.Car)
        {
            // The node's bucket is its own storage (its disk a cache of it): what is there is held.
            await context.Node.EnsureFromTierAsync(cid, http.RequestAborted).ConfigureAwait(false);
        }

        switch (format.Format)
        {
            case ResponseFormat.Unspecified when context.Options.StrictTrustless:
                throw new GatewayException(StatusCodes.Status400BadRequest, "this gateway is strictly trustless: ask for application/vnd.ipld.raw or application/vnd.ipld.car (Accept or ?format=raw|car)");
            case ResponseFormat.Raw or ResponseFormat.Unspecified:
                await TrustlessResponses.WriteRawAsync(http, context, cid).ConfigureAwait(false);
                break;
            case ResponseFormat.Car:
                await TrustlessResponses.WriteCarAsync(http, context, cid, format).ConfigureAwait(false);
                break;
            case ResponseFormat.ArrowStream or ResponseFormat.ArrowFile or ResponseFormat.Parquet or ResponseFormat.Csv:
                await TableResponses.WriteAsync(http, context, cid, format, TableCaching.Immutable).ConfigureAwait(false);
                break;
            default:
                throw new GatewayException(StatusCodes.Status406NotAcceptable, $"{format.Format} is not offered for /ipfs/{cid}: ask for application/vnd.ipld.raw or application/vnd.ipld.car");
        }
    }
}
