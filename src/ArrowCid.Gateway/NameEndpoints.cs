using System.Buffers;
using System.Globalization;
using System.Text.Json;
using ArrowCid.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>GET|HEAD /names/{name}</c>: the table a dataset name stands for now (its latest version), or
/// an older one with <c>/names/{name}@N</c> or <c>/names/{name}/versions/N</c>, in any table format
/// (an Arrow stream when nothing is asked for); <c>/names/{name}/versions</c>: the name's history as
/// JSON. A name may hold '/' (<c>plant-3/temps</c>), so the whole path after <c>/names/</c> is read
/// here; a name whose last segment is <c>versions</c> is reached with <c>@N</c> only.
/// </summary>
internal static class NameEndpoints
{
    private const string VersionsSegment = "/versions";

    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        routes.MapMethods("/names/{**path}", [HttpMethods.Get, HttpMethods.Head], http => GetAsync(http, context));
    }

    private static async Task GetAsync(HttpContext http, GatewayContext context)
    {
        string path = (string?)http.GetRouteValue("path") ?? string.Empty;
        var registry = context.Registrations.Registry;
        if (path.EndsWith(VersionsSegment, StringComparison.Ordinal))
        {
            await WriteVersionsAsync(http, registry, Validated(path[..^VersionsSegment.Length])).ConfigureAwait(false);
            return;
        }

        var reference = ReferenceOf(path);
        NamedVersion version;
        try
        {
            version = reference.Resolve(registry);
        }
        catch (DatasetNotFoundException e)
        {
            throw new GatewayException(StatusCodes.Status404NotFound, e.Message, e);
        }

        var format = ContentNegotiation.Negotiate(http.Request);
        if (format.Format is ResponseFormat.Raw or ResponseFormat.Car)
        {
            throw new GatewayException(StatusCodes.Status406NotAcceptable, $"a name is served as a table (Arrow, Parquet, CSV); its blocks are at /ipfs/{version.Cid}");
        }

        if (format.Format == ResponseFormat.Unspecified)
        {
            format = format with { Format = ResponseFormat.ArrowStream };
        }

        http.Response.Headers["X-Dataset-Version"] = version.Version.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.ContentLocation = $"/ipfs/{version.Cid}";
        await TableResponses.WriteAsync(http, context, version.Cid, format, TableCaching.Revalidate).ConfigureAwait(false);
    }

    /// <summary><c>NAME</c>, <c>NAME@N</c> or <c>NAME/versions/N</c>.</summary>
    private static DatasetReference ReferenceOf(string path)
    {
        int versions = path.LastIndexOf(VersionsSegment + "/", StringComparison.Ordinal);
        if (versions > 0)
        {
            string number = path[(versions + VersionsSegment.Length + 1)..];
            if (number.Length > 0 && number.All(char.IsAsciiDigit))
            {
                path = $"{path[..versions]}{DatasetName.VersionSeparator}{number}";
            }
        }

        try
        {
            return DatasetReference.Parse(path);
        }
        catch (InvalidDatasetNameException e)
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, e.Message, e);
        }
    }

    private static string Validated(string name) =>
        DatasetName.Problem(name) is { } problem
            ? throw new GatewayException(StatusCodes.Status400BadRequest, $"'{name}' is not a table name: {problem}")
            : name;

    // A name's versions, oldest first, walked a page at a time and written as they come (a name
    // updated every second has millions): the document is NameVersionsBody's, its list streamed.
    private static async Task WriteVersionsAsync(HttpContext http, IRegistry registry, string name)
    {
        if (registry.ListVersions(name, limit: 1) is not [var latest])
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"no table is named '{name}'");
        }

        // Counted in a walk of its own (the tag is sent before the body): a new version changes the
        // latest one; the list of one name changes no other way but by collection.
        long count = registry.WalkVersions(name).LongCount();
        var response = http.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers.ETag = string.Create(CultureInfo.InvariantCulture, $"\"{latest.Cid}.versions-{latest.Version}-{count}\"");
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        // The envelope as the context writes it with no versions, the list spliced into its brackets.
        byte[] envelope = WireJson.ToUtf8(new NameVersionsBody(name, latest.Version, []), WireJsonContext.Default.NameVersionsBody);
        int close = envelope.AsSpan().LastIndexOf("[]"u8);
        var pending = new ArrayBufferWriter<byte>(VersionsFlushBytes + 1024);
        pending.Write(envelope.AsSpan(0, close + 1));
        bool first = true;
        foreach (var version in registry.WalkVersions(name, oldestFirst: true))
        {
            if (!first)
            {
                pending.Write(","u8);
            }

            first = false;
            pending.Write(WireJson.ToUtf8(new NameVersionEntry(version.Name, version.Version, version.Cid.ToString(), version.Created, registry.Find(version.Cid)?.Rows, version.Node?.ToString()), WireJsonContext.Default.NameVersionEntry));
            if (pending.WrittenCount >= VersionsFlushBytes)
            {
                await response.Body.WriteAsync(pending.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
                pending.ResetWrittenCount();
            }
        }

        pending.Write(envelope.AsSpan(close + 1));
        await response.Body.WriteAsync(pending.WrittenMemory, http.RequestAborted).ConfigureAwait(false);
    }

    // Bytes of a versions list written before they are flushed to the connection.
    private const int VersionsFlushBytes = 64 << 10;
}
