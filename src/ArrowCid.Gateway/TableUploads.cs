using System.Text.Json;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content;
using ArrowCid.Ingest;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Net.Http.Headers;
using ArrowCid.Wire;

namespace ArrowCid.Gateway;

/// <summary>
/// <c>POST /api/v1/tables</c> (write role): stores the body (an Arrow IPC stream, Parquet or CSV,
/// by Content-Type) as a table through the same put as Flight's DoPut: one
/// <see cref="TableWriter"/> with the node's publisher, so subscribers wake, a shared registry
/// sees it and a <c>name</c> gets its next version. Arrow and CSV are read as they arrive, a batch
/// at a time; Parquet is read through its footer, so it is spooled to a temporary file first.
/// Answers 201 with the table's CID (<c>Location: /ipfs/{cid}</c>); a body that is not what its
/// Content-Type says is 400 and leaves nothing pinned (the writer releases what it stored), an
/// unsupported Content-Type 415.
/// </summary>
internal static class TableUploads
{
    public static void Map(IEndpointRouteBuilder routes, GatewayContext context)
    {
        routes.MapPost("/api/v1/tables", http => PostAsync(http, context));
    }

    private static async Task PostAsync(HttpContext http, GatewayContext context)
    {
        var format = BodyFormatOf(http.Request);
        var options = OptionsOf(http, context);
        PutStreamResult put;
        try
        {
            put = format switch
            {
                TableInputFormat.Parquet => await PutParquetAsync(http, context, options).ConfigureAwait(false),
                TableInputFormat.ArrowStream => await PutArrowAsync(http, context, options).ConfigureAwait(false),
                _ => await PutBlockingAsync(http, context, http.Request.Body, format, options).ConfigureAwait(false),
            };
        }
        catch (Exception e) when (e is ArrowFormatException or CsvFormatException or ParquetFormatException or ContentFormatException or InvalidDatasetNameException or ArgumentException or EndOfStreamException)
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, $"the {MediaTypeOf(http.Request)} body was refused: {e.Message}", e);
        }

        var response = http.Response;
        response.StatusCode = StatusCodes.Status201Created;
        response.Headers.Location = $"/ipfs/{put.Table.Cid}";
        response.ContentType = "application/json; charset=utf-8";
        await WireJson.WriteAsync(response.Body, put.ToReport(input: null), WireJsonContext.Default.PutReport, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The body's format by its Content-Type (parameters ignored), read as it arrives (an Arrow stream, not a file).</summary>
    /// <exception cref="GatewayException">415 for any other (or no) Content-Type.</exception>
    private static TableInputFormat BodyFormatOf(HttpRequest request) =>
        TableInput.FormatOfMediaType(MediaTypeOf(request)) is { } format and not TableInputFormat.Arrow
            ? format
            : throw new GatewayException(StatusCodes.Status415UnsupportedMediaType,
                $"Content-Type '{request.ContentType}' is not stored here: send application/vnd.apache.arrow.stream, application/vnd.apache.parquet or text/csv");

    private static string MediaTypeOf(HttpRequest request) =>
        request.ContentType is { } contentType && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.MediaType.Value ?? string.Empty : string.Empty;

    /// <summary>The put's options: <c>name</c>, <c>forceVersion</c> and <c>tag=KEY=VALUE</c> (repeatable) from the query.</summary>
    private static PutOptions OptionsOf(HttpContext http, GatewayContext context)
    {
        var query = http.Request.Query;
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string? tag in query["tag"])
        {
            int equals = tag?.IndexOf('=', StringComparison.Ordinal) ?? -1;
            if (equals <= 0)
            {
                throw new GatewayException(StatusCodes.Status400BadRequest, $"tag '{tag}' is not KEY=VALUE");
            }

            tags[tag![..equals]] = tag[(equals + 1)..];
        }

        string? name = null;
        if (query["name"] is { Count: > 0 } names)
        {
            name = names.Count == 1 && DatasetName.Problem(names[0]) is not { } problem
                ? names[0]
                : throw new GatewayException(StatusCodes.Status400BadRequest, $"name '{names}' is not a table name: {(names.Count == 1 ? DatasetName.Problem(names[0]) : "give one name")}");
        }

        bool forceVersion = query["forceVersion"] switch
        {
            { Count: 0 } => false,
            { Count: 1 } values when values[0] == "true" => true,
            { Count: 1 } values when values[0] == "false" => false,
            var values => throw new GatewayException(StatusCodes.Status400BadRequest, $"forceVersion '{values}' is not true or false"),
        };

        try
        {
            context.Node.Options.Limits.CheckTags(tags);
        }
        catch (NodeLimitException e)
        {
            throw new GatewayException(StatusCodes.Status400BadRequest, e.Message, e);
        }

        return new PutOptions
        {
            Tags = tags,
            Name = name,
            ForceVersion = forceVersion,
            MaxTableBytes = context.Node.Options.Limits.MaxDecompressedBytesPerRequest,
            // The client's address only where the operator asked for it: every reader sees the producer.
            Producer = context.Node.Options.RecordClientAddresses ? $"http {http.Connection.RemoteIpAddress}:{http.Connection.RemotePort}" : "http",
        };
    }

    /// <summary>The limits of the node as the input dispatch takes them: what one upload may make it read.</summary>
    private static TableInputOptions InputOptions(GatewayContext context)
    {
        var limits = context.Node.Options.Limits;
        return new TableInputOptions
        {
            Ipc = limits.UploadReadOptions(),
            Parquet = limits.UploadParquetOptions(),
            Csv = CsvReadOptions.Default with
            {
                MaxRecordChars = limits.MaxCsvRecordChars,
                MaxFieldChars = Math.Min(CsvReadOptions.Default.MaxFieldChars, limits.MaxCsvRecordChars),
                MaxFields = limits.MaxCsvFields,
            },
        };
    }

    private static async Task<PutStreamResult> PutParquetAsync(HttpContext http, GatewayContext context, PutOptions options)
    {
        string spool = Path.Combine(Path.GetTempPath(), $"arrowcid-upload-{Guid.NewGuid():N}.parquet");
        try
        {
            var file = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
            await using (file.ConfigureAwait(false))
            {
                await http.Request.Body.CopyToAsync(file, http.RequestAborted).ConfigureAwait(false);
                file.Position = 0;
                return await PutBlockingAsync(http, context, file, TableInputFormat.Parquet, options).ConfigureAwait(false);
            }
        }
        finally
        {
            File.Delete(spool);
        }
    }

    /// <summary>
    /// Puts an Arrow IPC stream as it arrives with no thread waiting on the client: each batch's
    /// messages are received asynchronously (<see cref="ReceivedIpcStream"/>), then read and stored.
    /// </summary>
    private static async Task<PutStreamResult> PutArrowAsync(HttpContext http, GatewayContext context, PutOptions options)
    {
        using var received = new ReceivedIpcStream(http.Request.Body);
        return await PutAsync(context, received, TableInputFormat.ArrowStream, options, received, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Puts the batches of the body through one dataset writer with the node's publisher; disposing
    /// it unfinished releases its pins. With <paramref name="received"/> (the body) each batch is
    /// awaited before it is read; without, the reader reads the body synchronously, so the caller
    /// runs it on a thread of its own (<see cref="BlockingBodyWork"/>) and it completes at once.
    /// </summary>
    private static async Task<PutStreamResult> PutAsync(GatewayContext context, Stream body, TableInputFormat format, PutOptions options, ReceivedIpcStream? received, CancellationToken cancellationToken)
    {
        if (received is not null)
        {
            await received.FillAsync(cancellationToken).ConfigureAwait(false);
        }

        // The reader pulls one message (or record, or row group) at a time: the body is never held whole.
        using var input = TableInput.Open(body, format, InputOptions(context));
        using var publication = context.Registrations.ForPut();
        using var writer = context.Content.CreateTableWriter(input.Schema, options, publication);
        while (input.ReadNext() is { } batch)
        {
            using (batch)
            {
                writer.Add(batch);
            }

            if (received is not null)
            {
                await received.FillAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return writer.Finish();
    }

    /// <summary>Runs <see cref="PutAsync"/> over a body read synchronously (CSV, a spooled Parquet file), on a thread of its own.</summary>
    private static Task<PutStreamResult> PutBlockingAsync(HttpContext http, GatewayContext context, Stream body, TableInputFormat format, PutOptions options) =>
        context.BlockingBodies.RunAsync(http, () => PutAsync(context, body, format, options, received: null, CancellationToken.None).GetAwaiter().GetResult());
}
