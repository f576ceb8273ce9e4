using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// The web explorer's static files at <c>/</c> and <c>/explorer/…</c>: what the node embeds is the
/// committed clients/explorer/dist, served with the right types, ETags, 304s and a self-only
/// Content-Security-Policy, without a token, and without shadowing the data paths.
/// </summary>
public sealed partial class ExplorerServingTests
{
    [Theory]
    [InlineData("/", "text/html", "index.html")]
    [InlineData("/explorer/explorer.js", "text/javascript", "explorer.js")]
    [InlineData("/explorer/early.js", "text/javascript", "early.js")]
    [InlineData("/explorer/explorer.css", "text/css", "explorer.css")]
    [InlineData("/explorer/icon.svg", "image/svg+xml", "icon.svg")]
    public async Task Each_file_is_the_committed_one_with_its_type_etag_and_policy(string path, string mediaType, string file)
    {
        await using var node = await GatewayFixture.StartAsync();
        using var response = await node.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(DistDirectory, file)), await response.Content.ReadAsByteArrayAsync());
        Assert.NotNull(response.Headers.ETag);
        Assert.False(response.Headers.ETag!.IsWeak);
        Assert.True(response.Headers.CacheControl!.NoCache);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        string policy = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("http", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("data:", policy, StringComparison.Ordinal);
    }

    [Fact]
    public void The_embedded_files_are_exactly_the_committed_dist()
    {
        string[] committed = [.. Directory.GetFiles(DistDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];
        Assert.Equal(committed, ExplorerEndpoints.FileNames.Order(StringComparer.Ordinal));
        Assert.Contains("explorer.js", committed);
    }

    [Fact]
    public async Task The_page_preloads_the_modules_its_entry_imports_and_every_module_a_script_names_is_served_from_here()
    {
        await using var node = await GatewayFixture.StartAsync();
        string page = await node.Http.GetStringAsync("/");
        string[] preloaded = [.. ModulePreloads().Matches(page).Select(m => m.Groups[1].Value)];
        string entry = await node.Http.GetStringAsync("/explorer/explorer.js");
        string[] entryImports = [.. StaticImports().Matches(entry).Select(m => m.Groups[1].Value)];
        Assert.NotEmpty(entryImports);
        // The page preloads the entry itself (early.js runs it) and each module the entry imports.
        Assert.Equal(entryImports.Append("explorer.js").Order(StringComparer.Ordinal), preloaded.Order(StringComparer.Ordinal));
        Assert.Contains(DynamicImports().Matches(entry), m => m.Groups[1].Value.StartsWith("arrow-rows-", StringComparison.Ordinal));

        // Every script the entry reaches, by static or dynamic import, is one of the embedded files.
        var seen = new HashSet<string>(StringComparer.Ordinal) { "explorer.js" };
        var pending = new Queue<string>([entry]);
        while (pending.TryDequeue(out string? script))
        {
            Assert.DoesNotMatch(@"\bimport\s*\(?\s*[""']https?:", script);
            foreach (Match named in StaticImports().Matches(script).Concat(DynamicImports().Matches(script)))
            {
                string file = named.Groups[1].Value;
                if (!seen.Add(file))
                {
                    continue;
                }

                using var response = await node.Http.GetAsync($"/explorer/{file}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("text/javascript", response.Content.Headers.ContentType!.MediaType);
                pending.Enqueue(await response.Content.ReadAsStringAsync());
            }
        }

        Assert.Equal(ExplorerEndpoints.FileNames.Where(f => f.EndsWith(".js", StringComparison.Ordinal) && f != "early.js").Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [GeneratedRegex(@"<link rel=""modulepreload"" href=""/explorer/([^""]+)"">")]
    private static partial Regex ModulePreloads();

    [GeneratedRegex(@"from""\./([^""]+\.js)""")]
    private static partial Regex StaticImports();

    [GeneratedRegex(@"import\(""\./([^""]+\.js)""\)")]
    private static partial Regex DynamicImports();

    [Fact]
    public async Task A_matching_etag_is_304_and_a_compressed_answer_decodes_to_the_same_bytes()
    {
        await using var node = await GatewayFixture.StartAsync();
        using var first = await node.Http.GetAsync("/explorer/explorer.js");
        byte[] plain = await first.Content.ReadAsByteArrayAsync();

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/explorer/explorer.js");
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await node.Http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        using var gzip = new HttpRequestMessage(HttpMethod.Get, "/explorer/explorer.js");
        gzip.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var compressed = await node.Http.SendAsync(gzip);
        Assert.Equal("gzip", compressed.Content.Headers.ContentEncoding.Single());
        Assert.Equal(first.Headers.ETag, compressed.Headers.ETag);
        await using var decoded = new System.IO.Compression.GZipStream(await compressed.Content.ReadAsStreamAsync(), System.IO.Compression.CompressionMode.Decompress);
        using var copy = new MemoryStream();
        await decoded.CopyToAsync(copy);
        Assert.Equal(plain, copy.ToArray());

        using var head = await node.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("/explorer/nothing.js")]
    [InlineData("/explorer/")]
    [InlineData("/explorer/explorer.js/more")]
    [InlineData("/explorer/%2e%2e%2fapi%2fv1%2ftables")]
    [InlineData("/index.html")]
    public async Task Other_paths_are_problems_not_the_page(string path)
    {
        await using var node = await GatewayFixture.StartAsync();
        using var response = await node.Http.GetAsync(path);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_data_paths_are_not_shadowed()
    {
        await using var node = await GatewayFixture.StartAsync();
        var stored = node.Content.PutBatch(TableData.Sensors(4, seed: 1)[0]);
        using var raw = await node.Http.GetAsync($"/ipfs/{stored.Cid}?format=raw");
        Assert.Equal("application/vnd.ipld.raw", raw.Content.Headers.ContentType!.MediaType);
        using var tables = await node.Http.GetAsync("/api/v1/tables");
        Assert.Equal("application/json", tables.Content.Headers.ContentType!.MediaType);
        using var names = await node.Http.GetAsync("/names/none");
        Assert.Equal(HttpStatusCode.NotFound, names.StatusCode);
        using var routing = await node.Http.GetAsync($"/routing/v1/providers/{stored.Cid}");
        Assert.Equal(HttpStatusCode.OK, routing.StatusCode);
    }

    [Fact]
    public async Task The_page_needs_no_token_but_the_data_still_does()
    {
        var access = new AccessPolicy().AddToken("reader", AccessRole.Read);
        await using var node = await GatewayFixture.StartAsync(new NodeOptions { Access = access });

        using var page = await node.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        using var script = await node.Http.GetAsync("/explorer/explorer.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        using var tables = await node.Http.GetAsync("/api/v1/tables");
        Assert.Equal(HttpStatusCode.Unauthorized, tables.StatusCode);
        using var missing = await node.Http.GetAsync("/explorer/nothing.js");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using var post = await node.Http.PostAsync("/", new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.Unauthorized, post.StatusCode);
    }

    private static string DistDirectory =>
        Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root not found"), "clients", "explorer", "dist");
}
