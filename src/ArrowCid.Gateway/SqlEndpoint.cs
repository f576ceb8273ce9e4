using System.Globalization;
using System.Text;
using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using ArrowCid.DuckDb;
using ArrowCid.Sql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>POST /api/v1/sql</c> (docs/http.md): the query text in the body (<c>text/plain</c>,
/// <c>application/sql</c>, or JSON <c>{"query": …}</c>), run on the node's SQL (<see cref="NodeSql"/>)
/// under its limits, the answer stored as a table and served as that table is at <c>/ipfs/CID</c>:
/// an Arrow stream (the default), an Arrow file, Parquet, CSV or a CAR by Accept or <c>?format=</c>,
/// or JSON (<c>?format=json</c> or <c>Accept: application/json</c>: the first <c>limit</c> rows, as
/// <c>arrowcid sql --json</c> writes them). The headers say the result's CID (<c>X-Sql-Result</c>,
/// <c>X-Ipfs-Path</c>), its rows, whether a stored result answered, and the CIDs of the versions read.
/// A read token may query.
/// </summary>
internal static class SqlEndpoint
{
    /// <summary>The path, which a read token may POST to.</summary>
    public const string Path = "/api/v1/sql";

    /// <summary>Rows a JSON answer shows unless <c>limit</c> says otherwise.</summary>
    public const int DefaultJsonRows = 1_000;

    // A query is text a person or a tool wrote: far below this.
    private const int MaxQueryBytes = 1 << 20;

    public static void Map(IEndpointRouteBuilder routes, GatewayContext context) =>
        routes.MapPost(Path, http => QueryAsync(http, context));

    private static async Task QueryAsync(HttpContext http, GatewayContext context)
    {
        bool json = WantsJson(http.Request);
        var format = json ? null : ContentNegotiation.Negotiate(http.Request);
        if (format?.Format == ResponseFormat.Raw)
        {
            throw new GatewayException(StatusCodes.Status406NotAcceptable, "an answer is a table: ask for Arrow, Parquet, CSV, JSON or a CAR of its blocks");
        }

        int limit = (int)ApiQuery.Integer(http.Request, "limit", DefaultJsonRows, 0, int.MaxValue);
        string sql = await ReadQueryAsync(http).ConfigureAwait(false);
        var stored = await NodeSql.Of(context.Node).StoreAsync(sql, http.RequestAborted).ConfigureAwait(false);
        var record = context.Node.RecordOf(stored.Table);
        var headers = http.Response.Headers;
        headers["X-Sql-Result"] = stored.Table.ToString();
        headers["X-Sql-Rows"] = record.Rows.ToString(CultureInfo.InvariantCulture);
        headers["X-Sql-Reused"] = stored.Reused ? "true" : "false";
        headers["X-Sql-Inputs"] = string.Join(", ", stored.Inputs.Select(i => i.Cid.ToString()));
        // The result's provenance (the query, the engine, the inputs by name and version) is its table's description.
        headers.Link = $"</api/v1/tables/{stored.Table}>; rel=\"describedby\"";
        headers.CacheControl = "no-store";
        if (json)
        {
            await WriteJsonAsync(http, context, stored, limit).ConfigureAwait(false);
            return;
        }

        var negotiated = format!.Format == ResponseFormat.Unspecified ? format with { Format = ResponseFormat.ArrowStream } : format;
        if (negotiated.Format == ResponseFormat.Car)
        {
            await TrustlessResponses.WriteCarAsync(http, context, stored.Table, negotiated).ConfigureAwait(false);
            return;
        }

        await TableResponses.WriteAsync(http, context, stored.Table, negotiated, TableCaching.Revalidate).ConfigureAwait(false);
    }

    // JSON when ?format=json, or when Accept names application/json and no table format.
    private static bool WantsJson(HttpRequest request)
    {
        var format = request.Query["format"];
        if (format.Count > 0)
        {
            return string.Equals(format.ToString(), "json", StringComparison.OrdinalIgnoreCase);
        }

        return MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var ranges)
            && ranges.Any(r => (r.Quality ?? 1.0) > 0 && string.Equals(r.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase))
            && !ranges.Any(r => (r.Quality ?? 1.0) > 0 && r.MediaType.Value is { } type && type.StartsWith("application/vnd.", StringComparison.OrdinalIgnoreCase));
    }

    private static async Task<string> ReadQueryAsync(HttpContext http)
    {
        var request = http.Request;
        byte[] body = await SmallBody.ReadAsync(http, MaxQueryBytes, "a query").ConfigureAwait(false);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, "the query is not UTF-8 text");
        }

        if (request.ContentType is { } type && type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                if (document.RootElement.ValueKind != JsonValueKind.Object
                    || !document.RootElement.TryGetProperty("query", out var query)
                    || query.ValueKind != JsonValueKind.String)
                {
                    throw new GatewayException(StatusCodes.Status400BadRequest, "a JSON body is {\"query\": \"SELECT …\"}");
                }

                text = query.GetString()!;
            }
            catch (JsonException e)
            {
                throw new GatewayException(StatusCodes.Status400BadRequest, $"the JSON body does not parse: {e.Message}");
            }
        }

        return string.IsNullOrWhiteSpace(text)
            ? throw new GatewayException(StatusCodes.Status400BadRequest, "the body holds no query: POST the SQL text (or {\"query\": …} as JSON)")
            : text;
    }

    // The first rows of the stored result as `arrowcid sql --json` writes them, with its CID.
    private static async Task WriteJsonAsync(HttpContext http, GatewayContext context, SqlStored stored, int limit)
    {
        // The batches read (disposed at the end) and what is shown of them (slices borrow their memory).
        var held = new List<RecordBatch>();
        var shown = new List<RecordBatch>();
        long rows = 0;
        bool truncated = false;
        try
        {
            foreach (var batch in context.Content.ReadBatches(stored.Table))
            {
                held.Add(batch);
                if (rows >= limit)
                {
                    truncated = batch.Length > 0;
                    if (truncated)
                    {
                        break;
                    }

                    continue;
                }

                int take = (int)Math.Min(batch.Length, limit - rows);
                truncated = take < batch.Length;
                shown.Add(take == batch.Length ? batch : batch.Slice(0, take));
                rows += take;
            }

            var schema = held.Count > 0 ? held[0].Schema : context.Content.OpenTable(stored.Table).Schema;
            using var buffer = new MemoryStream();
            SqlJson.Write(buffer, new SqlResult(new DuckDbAnswer(schema, shown, truncated), stored.Inputs), stored);
            http.Response.ContentType = "application/json; charset=utf-8";
            await http.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), http.RequestAborted).ConfigureAwait(false);
        }
        finally
        {
            foreach (var batch in held)
            {
                batch.Dispose();
            }
        }
    }
}
