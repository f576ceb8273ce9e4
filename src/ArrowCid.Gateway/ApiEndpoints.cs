using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ArrowCid.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// The JSON API for programs and the web explorer (docs/http.md): <c>GET /api/v1/tables</c> (a
/// paged, filtered listing), <c>GET /api/v1/tables/{cid}</c> (schema, rows, bytes, chunks, tags,
/// versions and what each shares with the one before) and <c>GET /api/v1/names</c>. The live feed
/// is <see cref="EventsEndpoint"/>.
/// </summary>
internal static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        var listing = new TableListing(context);
        var description = new TableDescription(context);
        routes.MapGet("/api/v1/tables", http => ListTablesAsync(http, listing));
        routes.MapGet("/api/v1/tables/{cid}", http => DescribeTableAsync(http, description));
        routes.MapGet("/api/v1/names", http => ListNamesAsync(http, context));
    }

    /// <summary>Writes <paramref name="value"/> as a JSON answer (it may change: not to be cached without asking again).</summary>
    public static Task WriteJsonAsync<T>(HttpContext http, T value, JsonTypeInfo<T> type)
    {
        http.Response.ContentType = "application/json; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        return WireJson.WriteAsync(http.Response.Body, value, type, http.RequestAborted);
    }

    private static Task ListTablesAsync(HttpContext http, TableListing listing)
    {
        var request = http.Request;
        int limit = ApiQuery.Limit(request);
        var after = ApiQuery.Single(request, "after") is { } text ? ListingCursor.Parse(text) : null;
        var filter = new TableFilter(
            ApiQuery.Kinds(request, TableListing.Kinds),
            ApiQuery.Tags(request),
            ApiQuery.Single(request, "name") is { } name ? ApiQuery.NameOf(name, "name") : null,
            ApiQuery.Single(request, "q") is { Length: > 0 } q ? q : null);
        var page = listing.List(filter, after, limit, http.RequestAborted);
        return WriteJsonAsync(http, page, WireJsonContext.Default.TablePage);
    }

    private static Task DescribeTableAsync(HttpContext http, TableDescription description)
    {
        var cid = ApiQuery.CidOf((string)http.GetRouteValue("cid")!);
        long offset = ApiQuery.Integer(http.Request, "chunkOffset", 0, 0, long.MaxValue);
        int limit = (int)ApiQuery.Integer(http.Request, "chunkLimit", TableDescription.DefaultChunkLimit, 0, TableDescription.MaxChunkLimit);
        var detail = description.Describe(cid, offset, limit, http.RequestAborted);
        return WriteJsonAsync(http, detail, WireJsonContext.Default.TableDetail);
    }

    /// <summary>Names in UTF-8 byte order (the registry's), each with its latest version; <c>after</c> is the last name of the page before.</summary>
    private static Task ListNamesAsync(HttpContext http, GatewayContext context)
    {
        var request = http.Request;
        int limit = ApiQuery.Limit(request);
        string? after = ApiQuery.Single(request, "after");
        string? q = ApiQuery.Single(request, "q") is { Length: > 0 } query ? query : null;
        var items = new List<NameSummary>();
        string? next = null;

        // Walked from the cursor a window at a time: a page reads about what it shows (more when q skips names).
        foreach (var latest in context.Registrations.Registry.WalkNames(after, window: Math.Min(limit + 1, RegistryWalk.DefaultWindow)))
        {
            if (q is not null && !latest.Name.Contains(q, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (items.Count == limit)
            {
                next = items[^1].Name;
                break;
            }

            items.Add(new NameSummary(latest.Name, latest.Version, latest.Cid.ToString(), latest.Created));
        }

        return WriteJsonAsync(http, new NamePage(items, next), WireJsonContext.Default.NamePage);
    }
}
