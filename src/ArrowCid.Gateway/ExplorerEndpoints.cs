using System.Collections.Concurrent;
using System.Collections.Frozen;
using ArrowCid.Content;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ArrowCid.Gateway;

/// <summary>
/// The web explorer (docs/http.md): <c>GET /</c> is its page and <c>GET /explorer/{file}</c> its
/// script and style sheet, static files embedded in this assembly (clients/explorer/dist, built
/// and committed by clients/explorer/build.mjs), so a node serves them with no npm and no CDN.
/// They live on their own paths, so /ipfs, /names, /api and /routing are never shadowed. Each answer
/// carries a strong ETag (of its bytes; 304 for If-None-Match), <c>Cache-Control: no-cache</c> (the
/// names do not change with the content, so a browser asks again and gets 304), and a
/// Content-Security-Policy that lets the page load and connect to this origin only.
/// </summary>
internal static class ExplorerEndpoints
{
    /// <summary>The path prefix of the explorer's assets.</summary>
    public const string AssetPrefix = "/explorer/";

    /// <summary>Everything from this origin only; no inline script or style, no plugins, no framing.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string ResourcePrefix = "explorer/";

    private static readonly Lazy<FrozenDictionary<string, ExplorerAsset>> Assets = new(LoadAssets);

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], http => ServeAsync(http, "index.html"));
        routes.MapMethods(AssetPrefix + "{file}", [HttpMethods.Get, HttpMethods.Head], http => ServeAsync(http, (string)http.GetRouteValue("file")!));
    }

    /// <summary>
    /// Whether the request is for the explorer's static files, which hold no data of the node and
    /// are served without a token (a browser opening a URL cannot send one; the page asks for it and
    /// sends it with its API requests).
    /// </summary>
    public static bool IsPublicAsset(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        && (request.Path == "/" || (request.Path.StartsWithSegments(AssetPrefix.TrimEnd('/'), out var rest) && rest.HasValue && Assets.Value.ContainsKey(rest.Value![1..])));

    /// <summary>The names of the embedded files (for tests and docs).</summary>
    public static IEnumerable<string> FileNames => Assets.Value.Keys;

    private static async Task ServeAsync(HttpContext http, string file)
    {
        if (!Assets.Value.TryGetValue(file, out var asset))
        {
            throw new GatewayException(StatusCodes.Status404NotFound, $"the explorer has no file '{ApiQuery.Shorten(file)}'");
        }

        var headers = http.Response.Headers;
        headers.ContentType = asset.ContentType;
        headers.ETag = asset.ETag;
        headers.CacheControl = "no-cache";
        headers.Vary = "Accept-Encoding";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (HttpConditions.MatchesIfNoneMatch(http.Request, asset.ETag))
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        var coding = HttpContentEncoding.Choose(http.Request);
        byte[] body = asset.Encoded(coding);
        if (HttpContentEncoding.Token(coding) is { } token)
        {
            headers.ContentEncoding = token;
        }

        http.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(http.Request.Method))
        {
            await http.Response.Body.WriteAsync(body, http.RequestAborted).ConfigureAwait(false);
        }
    }

    private static FrozenDictionary<string, ExplorerAsset> LoadAssets()
    {
        var assembly = typeof(ExplorerEndpoints).Assembly;
        var assets = new Dictionary<string, ExplorerAsset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"the embedded resource {resource} cannot be read");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            string name = resource[ResourcePrefix.Length..];
            assets[name] = new ExplorerAsset(copy.ToArray(), ContentTypeOf(name));
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".json" or ".map" => "application/json; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>One embedded file: its bytes, media type, ETag and its encodings (made once, on first request).</summary>
    private sealed class ExplorerAsset(byte[] bytes, string contentType)
    {
        private readonly ConcurrentDictionary<ContentCoding, byte[]> _encoded = new();

        public string ContentType { get; } = contentType;

        /// <summary>A strong ETag: the first 128 bits of the bytes' SHA-256, in hex.</summary>
        public string ETag { get; } = $"\"{Convert.ToHexStringLower(Sha256.HashData(bytes).AsSpan(0, 16))}\"";

        public byte[] Encoded(ContentCoding coding) => coding == ContentCoding.Identity ? bytes : _encoded.GetOrAdd(coding, Encode);

        private byte[] Encode(ContentCoding coding)
        {
            using var output = new MemoryStream();
            using (var encoder = HttpContentEncoding.Wrap(output, coding))
            {
                encoder.Write(bytes);
            }

            return output.ToArray();
        }
    }
}
