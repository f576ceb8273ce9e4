using System.Globalization;
using ArrowCid.Content;
using ArrowCid.Content.Multiformats;
using ArrowCid.Names;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ArrowCid.Gateway;

/// <summary>
/// Signed names over HTTP (docs/names.md). <c>GET|HEAD /ipns/{name}</c>: with
/// <c>Accept: application/vnd.ipfs.ipns-record</c> (or <c>?format=ipns-record</c>) the name's
/// latest IPNS record; otherwise the record is verified with the node it points at and the answer
/// is that version's table (an Arrow stream unless another table format is asked for), or the
/// version node itself as a raw block or CAR. <c>GET|HEAD /routing/v1/ipns/{name}</c> is the
/// delegated routing IPNS API's record; <c>PUT</c> there keeps a record for a name this node
/// follows (one it keeps a record of, or whose key it holds) once it verifies and is newer.
/// </summary>
internal static class IpnsEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        routes.MapMethods("/ipns/{name}", [HttpMethods.Get, HttpMethods.Head], http => GetAsync(http, context));
        routes.MapMethods("/routing/v1/ipns/{name}", [HttpMethods.Get, HttpMethods.Head], http => WriteRecordAsync(http, context, NameOf(http)));
        routes.MapPut("/routing/v1/ipns/{name}", http => PutAsync(http, context));
    }

    private static IpnsName NameOf(HttpContext http)
    {
        string text = (string)http.GetRouteValue("name")!;
        return IpnsName.TryParse(text)
            ?? throw new GatewayException(StatusCodes.Status400BadRequest, $"'{text}' is not an IPNS name (a libp2p-key CID such as k51…, or an Ed25519 peer ID); DNSLink names are not resolved here");
    }

    private static async Task GetAsync(HttpContext http, GatewayContext context)
    {
        var name = NameOf(http);
        if (AsksForRecord(http.Request))
        {
            await WriteRecordAsync(http, context, name).ConfigureAwait(false);
            return;
        }

        // The head only: the chain behind it is this node's own, and a client walks it if it wants to.
        SignedName signed;
        try
        {
            signed = context.Registrations.Names.Resolve(name, depth: 1);
        }
        catch (NameChainException e) when (e.Fault == NameChainFault.Missing && context.Registrations.Registry.FindIpnsRecord(name.ToString()) is null)
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"no record of {name} is kept here", e);
        }
        catch (NameChainException e)
        {
            throw new GatewayException(StatusCodes.Status502BadGateway, $"the record kept for {name} does not verify ({e.Code}): {e.Message}", e);
        }

        http.Response.Headers["X-Ipfs-Path"] = $"/ipns/{name}";
        http.Response.Headers["X-Dataset-Version"] = signed.Head.Version.ToString(CultureInfo.InvariantCulture);
        var format = ContentNegotiation.Negotiate(http.Request);
        switch (format.Format)
        {
            case ResponseFormat.Raw:
                await TrustlessResponses.WriteRawAsync(http, context, signed.HeadCid).ConfigureAwait(false);
                return;
            case ResponseFormat.Car:
                await TrustlessResponses.WriteCarAsync(http, context, signed.HeadCid, format).ConfigureAwait(false);
                return;
            case ResponseFormat.Unspecified:
                format = format with { Format = ResponseFormat.ArrowStream };
                break;
        }

        http.Response.Headers.ContentLocation = $"/ipfs/{signed.Head.Table}";
        await TableResponses.WriteAsync(http, context, signed.Head.Table, format, TableCaching.Revalidate).ConfigureAwait(false);
    }

    private static bool AsksForRecord(HttpRequest request) =>
        request.Query["format"] is [var format] && format == "ipns-record"
        || request.Headers.Accept.Any(a => a?.Contains(IpnsRecord.MediaType, StringComparison.OrdinalIgnoreCase) == true);

    private static byte[] RecordOf(GatewayContext context, IpnsName name) =>
        context.Registrations.Names.Record(name)
            ?? throw new GatewayException(StatusCodes.Status404NotFound, $"no record of {name} is kept here");

    private static async Task WriteRecordAsync(HttpContext http, GatewayContext context, IpnsName name)
    {
        byte[] record = RecordOf(context, name);
        var response = http.Response;
        response.ContentType = IpnsRecord.MediaType;
        response.Headers.Vary = "Accept";
        response.Headers.ContentDisposition = $"attachment; filename=\"{name}.ipns-record\"";
        response.Headers["X-Ipfs-Path"] = $"/ipns/{name}";

        // As long as the record asks readers to keep it.
        long ttl = 60;
        try
        {
            ttl = (long)IpnsRecord.Verify(record, name, DateTimeOffset.MinValue).Ttl.TotalSeconds;
        }
        catch (IpnsRecordException)
        {
            // Served as kept; the reader verifies it.
        }

        response.Headers.CacheControl = string.Create(CultureInfo.InvariantCulture, $"public, max-age={Math.Max(0, ttl)}");
        response.ContentLength = record.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await response.Body.WriteAsync(record, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static async Task PutAsync(HttpContext http, GatewayContext context)
    {
        var name = NameOf(http);
        var names = context.Registrations.Names;
        if (!names.Follows(name))
        {
            throw new GatewayException(StatusCodes.Status403Forbidden, $"this node does not follow {name}: it keeps no record of it and holds no key of it");
        }

        byte[] record = await SmallBody.ReadAsync(http, IpnsRecord.MaxBytes, "an IPNS record").ConfigureAwait(false);
        bool kept;
        try
        {
            kept = names.Accept(name, record);
        }
        catch (IpnsRecordException e)
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"the record does not verify as {name}'s ({e.Fault}): {e.Message}", e);
        }

        if (!kept)
        {
            throw new GatewayException(StatusCodes.Status409Conflict, $"a record of {name} with a higher sequence (or the same sequence and a later validity) is kept already");
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
    }
}
