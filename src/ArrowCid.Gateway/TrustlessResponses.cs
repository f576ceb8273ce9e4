using ArrowCid.Content.Car;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content;
using ArrowCid.Content.Stores;
using ArrowCid.Repository;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ArrowCid.Gateway;

/// <summary>
/// The IPFS trustless gateway's answers (ipfs/specs <c>http-gateways/trustless-gateway.md</c>):
/// a raw block (<c>application/vnd.ipld.raw</c>, with single byte ranges) or a CARv1 stream
/// (<c>application/vnd.ipld.car</c>) of any block this node holds, foreign ones included, with
/// the headers the spec asks for: Content-Type with its parameters, Content-Disposition
/// (attachment), a strong ETag per CID, format and scope (answering a matching If-None-Match with
/// 304), the immutable Cache-Control, nosniff, X-Ipfs-Path and X-Ipfs-Roots, Vary: Accept, and
/// Content-Location when the format came from Accept only. Identity CIDs (such as the
/// <c>bafkqaaa</c> probe) are held by everyone: their bytes are in the CID.
/// </summary>
internal static class TrustlessResponses
{
    /// <summary>The Cache-Control of everything under <c>/ipfs/</c>: content by CID never changes.</summary>
    public const string ImmutableCacheControl = "public, max-age=29030400, immutable";

    /// <summary>
    /// <c>Cache-Control: only-if-cached</c> asks for content only if this node can answer at once:
    /// 412 when it does not hold the root block (a node never fetches on behalf of a gateway client).
    /// </summary>
    /// <exception cref="GatewayException">412 when only-if-cached is asked and the block is not held.</exception>
    public static void RequireHeldIfOnlyIfCached(HttpContext http, GatewayContext context, Cid cid)
    {
        if (AsksOnlyIfCached(http.Request) && !Holds(context, cid))
        {
            throw new GatewayException(StatusCodes.Status412PreconditionFailed, $"{cid} is not held by this node (Cache-Control: only-if-cached)");
        }
    }

    /// <summary>Answers a raw block: 200 with its bytes, 206 for one satisfiable byte range, 416 for an unsatisfiable one, 304 for a matching If-None-Match.</summary>
    /// <exception cref="GatewayException">404 when the block is not held; 416 for a range outside it.</exception>
    public static async Task WriteRawAsync(HttpContext http, GatewayContext context, Cid cid)
    {
        string name = cid.ToString();
        string etag = $"\"{name}.raw\"";
        if (AsksWholeBody(http.Request) && !IsIdentity(cid) && context.Reader.TryOpenVerifiedFile(cid) is { } file)
        {
            using (file)
            {
                await WriteVerifiedFileAsync(http, file, name, etag).ConfigureAwait(false);
            }

            return;
        }

        using LeasedBlock? block = IsIdentity(cid) ? null : OpenHeld(context, cid);
        ReadOnlyMemory<byte> bytes = block?.Memory ?? cid.Hash.DigestMemory;
        var response = http.Response;
        SetRawHeaders(http, name, etag);
        if (HttpConditions.MatchesIfNoneMatch(http.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (HttpConditions.RequestedRange(http.Request, etag, bytes.Length) is { } range)
        {
            var (start, end) = range;
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{end - 1}/{bytes.Length}";
            response.Headers.ETag = $"\"{name}.raw.{start}-{end - 1}\"";
            bytes = bytes.Slice((int)start, (int)(end - start));
        }

        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            // Straight into Kestrel's output pipe (Body wraps the same writer).
            await response.BodyWriter.WriteAsync(bytes, http.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A held block file whose stamp already hashed to its CID, read straight into the memory of
    /// Kestrel's output pipe (one copy, page cache to socket buffer, where reading into a buffer of our
    /// own and writing that would make two). The headers go first (<c>StartAsync</c> puts them into the
    /// pipe, unsent), then the block is read into memory the pipe lends and only then advanced over:
    /// bytes the file could not give in full are never sent (the connection is aborted instead).
    /// </summary>
    private static async Task WriteVerifiedFileAsync(HttpContext http, VerifiedBlockFile file, string name, string etag)
    {
        var response = http.Response;
        SetRawHeaders(http, name, etag);
        response.ContentLength = file.Length;
        await response.StartAsync(http.RequestAborted).ConfigureAwait(false);
        var body = response.BodyWriter;
        var memory = body.GetMemory(file.Length);
        file.ReadInto(memory.Span);
        body.Advance(file.Length);
        await body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
    }

    // A plain GET of the whole block: no range, no condition that could answer 304, not a HEAD.
    private static bool AsksWholeBody(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.Range.Count == 0 && request.Headers.IfNoneMatch.Count == 0;

    private static void SetRawHeaders(HttpContext http, string name, string etag)
    {
        var response = http.Response;
        SetCommonHeaders(http, name, "raw");
        response.Headers.ContentDisposition = $"attachment; filename=\"{name}.bin\"";
        response.Headers.AcceptRanges = "bytes";
        response.ContentType = ContentNegotiation.MediaType(ResponseFormat.Raw);
        response.Headers.ETag = etag;
    }

    /// <summary>
    /// Answers a CARv1 stream whose root is <paramref name="cid"/>: its header, then the blocks of
    /// the requested scope in depth-first order, each read (and checked against its CID) and
    /// written in turn, its lease held only while it is written. A block missing or damaged once the
    /// stream has begun aborts the connection (the client sees an incomplete CAR, as the spec asks).
    /// </summary>
    /// <exception cref="GatewayException">404 when the root block is not held; 400 for parameters not served.</exception>
    public static async Task WriteCarAsync(HttpContext http, GatewayContext context, Cid cid, NegotiatedFormat format)
    {
        var car = CarRequest.From(http.Request, format);
        if (!Holds(context, cid))
        {
            throw NotHeld(cid);
        }

        string etag = $"\"{cid}.car.{car.Scope.ToString().ToLowerInvariant()}.dfs.dups-{(car.Duplicates ? "y" : "n")}{(car.EntityBytes is null ? string.Empty : "." + car.EntityBytes)}\"";
        var response = http.Response;
        SetCommonHeaders(http, cid.ToString(), "car");
        response.Headers.ContentDisposition = $"attachment; filename=\"{cid}.car\"";
        response.Headers.AcceptRanges = "none";
        response.ContentType = car.ContentType;
        response.Headers.ETag = etag;
        if (HttpConditions.MatchesIfNoneMatch(http.Request, etag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        if (HttpMethods.IsHead(http.Request.Method))
        {
            return;
        }

        using var blocks = BlocksOf(context, cid, car).GetEnumerator();
        // The first step opens a table's root: a root that is not what its record says fails here,
        // before anything is sent, as a problem answer rather than a cut stream.
        bool more = blocks.MoveNext();

        // The one CAR writer and block order `export car` uses: the same request gives the same bytes.
        var writer = await CarV1Writer.StartAsync(response.Body, [cid], car.Duplicates, http.RequestAborted).ConfigureAwait(false);
        for (; more; more = blocks.MoveNext())
        {
            await CarExport.WriteBlockAsync(context.Reader, writer, blocks.Current, http.RequestAborted).ConfigureAwait(false);
        }
    }

    // The blocks a CAR of this scope carries; identity blocks never (their bytes are in the CIDs that link them).
    private static IEnumerable<Cid> BlocksOf(GatewayContext context, Cid root, CarRequest car)
    {
        if (IsIdentity(root))
        {
            // Its bytes are the CID itself (the trustless gateway answers it from the CID): a CAR
            // of just the header naming it, whatever the scope, as no store is asked for it.
            return [];
        }

        bool wholeDag = car.Scope switch
        {
            DagScope.Block => false,
            DagScope.Entity => context.Content.IsManifest(root) || root.Codec == Multicodec.DagPb,
            _ => true,
        };
        return wholeDag ? CarBlockOrder.DepthFirst(context.Content, root, car.Duplicates) : [root];
    }

    private static void SetCommonHeaders(HttpContext http, string name, string format)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = ImmutableCacheControl;
        headers.XContentTypeOptions = "nosniff";
        headers["X-Ipfs-Path"] = "/ipfs/" + name;
        headers["X-Ipfs-Roots"] = name;
        headers.Append(HeaderNames.Vary, HeaderNames.Accept);
        if (!http.Request.Query.ContainsKey("format"))
        {
            // Caches keep the format answers apart when a URL names the format (path-gateway §Content-Location).
            string query = http.Request.QueryString.HasValue ? http.Request.QueryString.Value + "&" : "?";
            headers.ContentLocation = $"{http.Request.PathBase}{http.Request.Path}{query}format={format}";
        }
    }

    private static LeasedBlock OpenHeld(GatewayContext context, Cid cid)
    {
        try
        {
            return context.Reader.Open(cid, access: BlockAccess.Read);
        }
        catch (BlockNotFoundException e)
        {
            throw NotHeld(cid, e);
        }
    }

    private static GatewayException NotHeld(Cid cid, Exception? inner = null) =>
        inner is null
            ? new GatewayException(StatusCodes.Status404NotFound, $"{cid} is not held by this node")
            : new GatewayException(StatusCodes.Status404NotFound, $"{cid} is not held by this node", inner);

    private static bool Holds(GatewayContext context, Cid cid) => IsIdentity(cid) || context.Reader.Has(cid);

    private static bool IsIdentity(Cid cid) => cid.Hash.Code == Multicodec.Identity;

    private static bool AsksOnlyIfCached(HttpRequest request) =>
        CacheControlHeaderValue.TryParse(request.Headers.CacheControl.ToString(), out var cacheControl) && cacheControl.OnlyIfCached;
}
