using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Repository;
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
        switch (format.Format)
        {
            case ResponseFormat.Raw:
                await WriteRawAsync(http, context, cid).ConfigureAwait(false);
                break;
            case ResponseFormat.ArrowStream or ResponseFormat.ArrowFile or ResponseFormat.Parquet or ResponseFormat.Csv:
                await TableResponses.WriteAsync(http, context, cid, format, TableCaching.Immutable).ConfigureAwait(false);
                break;
            default:
                throw new GatewayException(StatusCodes.Status406NotAcceptable, $"{format.Format} is not offered for /ipfs/{cid}: ask for application/vnd.ipld.raw");
        }
    }

    private static async Task WriteRawAsync(HttpContext http, GatewayContext context, Cid cid)
    {
        LeasedBlock block;
        try
        {
            block = context.Reader.Open(cid);
        }
        catch (BlockNotFoundException e)
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"{cid} is not held by this node", e);
        }

        using (block)
        {
            http.Response.ContentType = ContentNegotiation.MediaType(ResponseFormat.Raw);
            http.Response.ContentLength = block.Memory.Length;
            if (!HttpMethods.IsHead(http.Request.Method))
            {
                await http.Response.Body.WriteAsync(block.Memory, http.RequestAborted).ConfigureAwait(false);
            }
        }
    }
}
