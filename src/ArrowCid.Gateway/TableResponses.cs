using System.Globalization;
using System.Text;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Chunking;
using ArrowCid.Content.Datasets;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Stores;
using ArrowCid.Node;
using ArrowCid.Ingest.Csv;
using ArrowCid.Parquet.Writing;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Repository.Export;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>How a table answer may be cached.</summary>
internal enum TableCaching
{
    /// <summary>Addressed by its CID (<c>/ipfs/{cid}</c>): never changes, cached for a year.</summary>
    Immutable,

    /// <summary>Addressed by a name (<c>/names/{name}</c>): revalidated each time against the ETag of the CID it names now.</summary>
    Revalidate,
}

/// <summary>
/// A table (a CID the repository holds whole: one chunk or a manifest) answered as Arrow over HTTP
/// (apache/arrow-experiments <c>http/</c>): an Arrow IPC stream written chunk by chunk from the
/// stored canonical messages (the schema message once, each chunk's dictionary and record batch
/// messages as stored, the end-of-stream marker), an Arrow IPC file laid out from the chunk sizes
/// (so its length is known up front and byte ranges are served), Parquet (through
/// <see cref="ParquetCidExport"/>, the CLI's export) or CSV. <c>?chunks=FIRST-END</c> narrows any
/// of them to a range of chunks, as a Flight ticket does. Memory stays bounded by a chunk (and a
/// Parquet row group): only the chunk list is held, never the rows.
/// </summary>
internal static class TableResponses
{
    /// <summary>Chunk bytes a Parquet row group gathers over HTTP (smaller than the CLI's 64 MiB: a server holds one per response).</summary>
    private const long ParquetRowGroupBytes = 16L << 20;

    private const string ImmutableCacheControl = "public, max-age=29030400, immutable";

    /// <summary>Answers <paramref name="http"/> with the table <paramref name="cid"/> in <paramref name="format"/>.</summary>
    /// <exception cref="GatewayException">404 when the table is not held whole, 406 when the CID is no table or the format does not fit, 400 for a bad chunk range.</exception>
    public static async Task WriteAsync(HttpContext http, GatewayContext context, Cid cid, NegotiatedFormat format, TableCaching caching)
    {
        var (table, chunks) = await ListChunksAsync(http, context, cid).ConfigureAwait(false);
        var codec = CodecOf(format);
        if (codec != CompressionCodec.None && format.Format != ResponseFormat.ArrowStream)
        {
            throw new GatewayException(StatusCodes.Status406NotAcceptable, "codecs (IPC body compression) is offered with application/vnd.apache.arrow.stream only");
        }

        var response = http.Response;
        string etag = ETagOf(cid, format.Format, http.Request.Query["chunks"], codec);
        response.Headers.ETag = etag;
        response.Headers.CacheControl = caching == TableCaching.Immutable ? ImmutableCacheControl : "no-cache";
        response.Headers.Vary = "Accept, Accept-Encoding";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["X-Ipfs-Path"] = $"/ipfs/{cid}";
        response.Headers.ContentDisposition = $"inline; filename=\"{cid}{Extension(format.Format)}\"";
        if (HttpConditions.MatchesIfNoneMatch(http.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        switch (format.Format)
        {
            case ResponseFormat.ArrowStream:
                await WriteStreamAsync(http, context, table, chunks, codec).ConfigureAwait(false);
                break;
            case ResponseFormat.ArrowFile:
                await WriteFileAsync(http, context, table, chunks, etag).ConfigureAwait(false);
                break;
            case ResponseFormat.Parquet:
                await WriteParquetAsync(http, context, table, chunks).ConfigureAwait(false);
                break;
            case ResponseFormat.Csv:
                await WriteCsvAsync(http, context, table, chunks).ConfigureAwait(false);
                break;
            default:
                throw new GatewayException(StatusCodes.Status406NotAcceptable, $"{format.Format} is not a table format");
        }
    }

    /// <summary>
    /// The table and the chunks asked for (all, or <c>?chunks=FIRST-END</c>), each held here (fetched
    /// from a peer first when the node may) before anything is sent: the node's one chunk-range
    /// selection, as a Flight ticket's. A CID that is no table is 406; one not held 404.
    /// </summary>
    private static async Task<(TableManifest Table, List<TableTreeEntry> Chunks)> ListChunksAsync(HttpContext http, GatewayContext context, Cid cid)
    {
        ChunkRange? range = null;
        var rangeText = http.Request.Query["chunks"];
        if (rangeText.Count > 0)
        {
            range = rangeText.Count == 1 && ChunkRange.TryParse(rangeText[0], out var parsed, out _)
                ? parsed
                : throw new GatewayException(StatusCodes.Status400BadRequest, $"chunks '{rangeText}' is not FIRST-END (decimal chunk indexes, END exclusive and greater than FIRST)");
        }

        try
        {
            var (table, chunks) = await context.Node.ListHeldChunksAsync(cid, range, http.RequestAborted).ConfigureAwait(false);
            return (table, chunks as List<TableTreeEntry> ?? chunks.ToList());
        }
        catch (ContentFormatException e)
        {
            throw new GatewayException(StatusCodes.Status406NotAcceptable, $"{cid} is not a table, so it has no Arrow, Parquet or CSV form ({e.Message}); ask for application/vnd.ipld.raw", e);
        }
    }

    /// <summary>The IPC body compression the Accept range asks for with <c>codecs</c>.</summary>
    private static CompressionCodec CodecOf(NegotiatedFormat format) => format.Parameter("codecs")?.Trim().ToLowerInvariant() switch
    {
        null or "" => CompressionCodec.None,
        "zstd" => CompressionCodec.Zstd,
        "lz4" or "lz4_frame" => CompressionCodec.Lz4Frame,
        var other => throw new GatewayException(StatusCodes.Status406NotAcceptable, $"codecs=\"{other}\" is not offered: ask for codecs=\"zstd\" or codecs=\"lz4\""),
    };

    private static string CodecName(CompressionCodec codec) => codec == CompressionCodec.Zstd ? "zstd" : "lz4";

    /// <summary>One ETag per representation: the CID, the format, the chunk range and the codec all change the bytes.</summary>
    private static string ETagOf(Cid cid, ResponseFormat format, string? chunks, CompressionCodec codec)
    {
        var tag = new StringBuilder("\"").Append(cid).Append('.').Append(format.ToString().ToLowerInvariant());
        if (!string.IsNullOrEmpty(chunks))
        {
            tag.Append(".chunks-").Append(chunks);
        }

        if (codec != CompressionCodec.None)
        {
            tag.Append('.').Append(CodecName(codec));
        }

        return tag.Append('"').ToString();
    }

    private static string Extension(ResponseFormat format) => format switch
    {
        ResponseFormat.ArrowStream => ".arrows",
        ResponseFormat.ArrowFile => ".arrow",
        ResponseFormat.Parquet => ".parquet",
        _ => ".csv",
    };

    private static async Task WriteStreamAsync(HttpContext http, GatewayContext context, TableManifest table, List<TableTreeEntry> chunks, CompressionCodec codec)
    {
        var response = http.Response;
        string mediaType = ContentNegotiation.MediaType(ResponseFormat.ArrowStream);
        if (codec != CompressionCodec.None)
        {
            // Compressed bodies are re-encoded batch by batch: their length is not known up front.
            response.ContentType = $"{mediaType}; codecs=\"{CodecName(codec)}\"";
            if (!HttpMethods.IsHead(http.Request.Method))
            {
                await WriteCompressedStreamAsync(http, context, table, chunks, codec).ConfigureAwait(false);
            }

            return;
        }

        response.ContentType = mediaType;

        // Every chunk block is the schema message, its batch messages and the end-of-stream marker;
        // the lease of each is held only while its messages are written, the next read meanwhile.
        long length = TableStreamWriter.IpcStreamLength(table.Schema, chunks);
        await WriteEncodedAsync(http, length, body => TableStreamWriter.WriteAsync(
            table.Schema, ChunkBlocks.Of(ChunkReadAhead.OpenInOrder(context.Reader, chunks, http.RequestAborted)), new IpcStreamSink(body), http.RequestAborted)).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends a body in the content coding the request accepts best: identity with
    /// <paramref name="identityLength"/> as Content-Length (when known), else with Content-Encoding
    /// and no length. A HEAD gets the headers only.
    /// </summary>
    private static async Task WriteEncodedAsync(HttpContext http, long? identityLength, Func<Stream, Task> write)
    {
        var response = http.Response;
        var coding = HttpContentEncoding.Choose(http.Request);
        if (coding == ContentCoding.Identity)
        {
            response.ContentLength = identityLength;
        }
        else
        {
            response.Headers.ContentEncoding = HttpContentEncoding.Token(coding);
        }

        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        if (coding == ContentCoding.Identity)
        {
            await write(response.Body).ConfigureAwait(false);
            return;
        }

        var body = HttpContentEncoding.Wrap(response.Body, coding);
        await using (body.ConfigureAwait(false))
        {
            await write(body).ConfigureAwait(false);
        }
    }


    /// <summary>
    /// The stream with Arrow IPC body compression: each chunk decoded zero-copy from its block and
    /// written again with compressed buffers into a buffer of about a chunk, then sent, the next
    /// chunk read ahead meanwhile.
    /// </summary>
    private static async Task WriteCompressedStreamAsync(HttpContext http, GatewayContext context, TableManifest table, List<TableTreeEntry> chunks, CompressionCodec codec)
    {
        var options = new IpcWriteOptions { Compression = codec };
        using var pending = new MemoryStream();
        ArrowStreamWriter? writer = null;
        try
        {
            // The next chunk is read on the pool while this one is compressed and sent.
            await foreach (var block in ChunkReadAhead.OpenInOrder(context.Reader, chunks, http.RequestAborted).ConfigureAwait(false))
            {
                using (block)
                {
                    using var reader = new ArrowStreamReader(block.Memory);
                    using var batch = reader.ReadNext() ?? throw new ContentFormatException($"chunk {block.Cid} holds no record batch");
                    writer ??= new ArrowStreamWriter(pending, batch.Schema, options, leaveOpen: true);
                    writer.Write(batch);
                }

                await SendPendingAsync().ConfigureAwait(false);
            }

            writer ??= new ArrowStreamWriter(pending, table.Schema, options, leaveOpen: true);
            writer.Finish();
            await SendPendingAsync().ConfigureAwait(false);
        }
        finally
        {
            writer?.Dispose();
        }

        async Task SendPendingAsync()
        {
            await http.Response.Body.WriteAsync(pending.GetBuffer().AsMemory(0, (int)pending.Length), http.RequestAborted).ConfigureAwait(false);
            pending.SetLength(0);
        }
    }

    private static async Task WriteFileAsync(HttpContext http, GatewayContext context, TableManifest table, List<TableTreeEntry> chunks, string etag)
    {
        var layout = ArrowFileLayout.Plan(context.Reader, table.Schema, chunks);
        var response = http.Response;
        response.ContentType = ContentNegotiation.MediaType(ResponseFormat.ArrowFile);
        response.Headers.AcceptRanges = "bytes";
        if (HttpConditions.RequestedRange(http.Request, etag, layout.Length) is { } range)
        {
            var (start, end) = range;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = new ContentRangeHeaderValue(start, end - 1, layout.Length).ToString();
            response.ContentLength = end - start;
            if (!HttpMethods.IsHead(http.Request.Method))
            {
                await layout.WriteAsync(response.Body, start, end, http.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        // A whole file may be content-coded; a range is always of the identity bytes.
        await WriteEncodedAsync(http, layout.Length, body => layout.WriteAsync(body, 0, layout.Length, http.RequestAborted)).ConfigureAwait(false);
    }

    private static async Task WriteParquetAsync(HttpContext http, GatewayContext context, TableManifest table, List<TableTreeEntry> chunks)
    {
        // Parquet compresses its pages itself: no Content-Encoding on top.
        http.Response.ContentType = ContentNegotiation.MediaType(ResponseFormat.Parquet);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        var plan = new ParquetCidExport.Plan(table.Schema, chunks, table.Cid, chunks.Sum(c => c.Rows), ParquetRowGroupBytes);
        var options = ParquetCidExport.WithMetadata(plan, new ParquetWriteOptions { Compression = ParquetCompression.Zstd });
        await WriteSynchronouslyAsync(http, context, http.Response.Body, body => ParquetCidExport.Write(context.Content, plan, body, options, _ => { })).ConfigureAwait(false);
    }

    private static async Task WriteCsvAsync(HttpContext http, GatewayContext context, TableManifest table, List<TableTreeEntry> chunks)
    {
        http.Response.ContentType = "text/csv; charset=utf-8; header=present";
        await WriteEncodedAsync(http, null, body => WriteSynchronouslyAsync(http, context, body, destination =>
        {
            using var text = new StreamWriter(destination, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            var csv = new CsvBatchWriter(text, table.Schema);
            csv.WriteHeader();
            foreach (var chunk in chunks)
            {
                http.RequestAborted.ThrowIfCancellationRequested();
                using var block = context.Reader.Open(chunk.Cid);
                using var reader = new ArrowStreamReader(block.Memory);
                using var batch = reader.ReadNext() ?? throw new ContentFormatException($"chunk {chunk.Cid} holds no record batch");
                csv.Write(batch);
            }
        })).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a writer that only writes synchronously (the Parquet writer, CSV text) on a thread of
    /// its own (<see cref="BlockingBodyWork"/>), through a 64 KiB buffer.
    /// </summary>
    private static Task WriteSynchronouslyAsync(HttpContext http, GatewayContext context, Stream destination, Action<Stream> write) =>
        context.BlockingBodies.RunAsync(http, () =>
        {
            using var buffered = new BufferedStream(destination, 1 << 16);
            write(buffered);
            buffered.Flush();
        });
}
