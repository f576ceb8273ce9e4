using System.Net;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// Raw blocks whose file already hashed to its CID are read straight into the response's output
/// memory (<c>BlockReader.TryOpenVerifiedFile</c>): the bytes equal the block over HTTP/1.1 and
/// HTTP/2, a file damaged since is an error and never its bytes, and ranges, conditions and HEAD
/// are answered as before.
/// </summary>
public sealed class RawBlockFileTests : IAsyncLifetime
{
    private const int BlockBytes = 256 << 10;

    private GatewayFixture? _node;
    private Cid _cid = null!;
    private byte[] _bytes = null!;
    private string _path = null!;

    private GatewayFixture Node => _node ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync()
    {
        _node = await GatewayFixture.StartAsync();
        _bytes = new byte[BlockBytes];
        new Random(140_7).NextBytes(_bytes);
        _cid = Cid.ForRaw(_bytes);
        Node.Content.Repository.PutBlock(_cid, _bytes, new BlockRecord { Cid = _cid, Kind = BlockKind.Foreign });
        _path = Node.Content.Repository.Blocks.GetBlockPath(_cid);

        // Settled (written a while ago), so the first open's hash is remembered.
        File.SetLastWriteTimeUtc(_path, DateTime.UtcNow - TimeSpan.FromHours(1));
    }

    public async Task DisposeAsync()
    {
        if (_node is not null)
        {
            await _node.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_verified_block_read_into_the_response_equals_the_block_over_http1_and_http2()
    {
        await VerifyOnceAsync();
        Assert.NotNull(Node.Content.Reader.TryOpenVerifiedFile(_cid));

        using var http2 = new HttpClient
        {
            BaseAddress = Node.Gateway.Address,
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var client in new[] { Node.Http, http2 })
        {
            using var response = await client.GetAsync($"/ipfs/{_cid}?format=raw");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/vnd.ipld.raw", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal(BlockBytes, response.Content.Headers.ContentLength);
            Assert.Equal($"\"{_cid}.raw\"", response.Headers.ETag!.ToString());
            Assert.Equal($"/ipfs/{_cid}", string.Join(',', response.Headers.GetValues("X-Ipfs-Path")));
            Assert.Equal(_bytes, await response.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task Many_requests_at_once_on_kept_alive_connections_each_get_the_whole_block()
    {
        await VerifyOnceAsync();

        var bodies = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Node.Http.GetByteArrayAsync($"/ipfs/{_cid}?format=raw")));

        Assert.All(bodies, body => Assert.Equal(_bytes, body));
    }

    [Fact]
    public async Task A_block_file_damaged_after_it_was_verified_is_an_error_and_never_its_bytes()
    {
        await VerifyOnceAsync();

        // Rewritten in place with a new write time: the stamp no longer holds, so the file is hashed again.
        File.SetAttributes(_path, FileAttributes.Normal);
        await using (var file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = BlockBytes / 2;
            file.WriteByte((byte)(_bytes[BlockBytes / 2] ^ 0xFF));
        }

        File.SetLastWriteTimeUtc(_path, DateTime.UtcNow - TimeSpan.FromMinutes(30));

        using var response = await Node.Http.GetAsync($"/ipfs/{_cid}?format=raw");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        string problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("does not hash to its CID", problem, StringComparison.Ordinal);
        Assert.True(problem.Length < 4096, "a problem, not a block");

        // A remote client is never told the node's paths.
        Assert.DoesNotContain(Path.GetDirectoryName(_path)!, problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ranges_conditions_and_head_of_a_verified_block_are_answered_as_before()
    {
        await VerifyOnceAsync();

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{_cid}?format=raw"))
        {
            request.Headers.TryAddWithoutValidation("Range", "bytes=1000-1999");
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal($"bytes 1000-1999/{BlockBytes}", response.Content.Headers.ContentRange!.ToString());
            Assert.Equal(_bytes[1000..2000], await response.Content.ReadAsByteArrayAsync());
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/ipfs/{_cid}?format=raw"))
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{_cid}.raw\"");
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Head, $"/ipfs/{_cid}?format=raw"))
        {
            using var response = await Node.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(BlockBytes, response.Content.Headers.ContentLength);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }
    }

    // The first GET hashes the file and remembers its stamp; later ones take the verified file.
    private async Task VerifyOnceAsync()
    {
        Assert.Null(Node.Content.Reader.TryOpenVerifiedFile(_cid));
        Assert.Equal(_bytes, await Node.Http.GetByteArrayAsync($"/ipfs/{_cid}?format=raw"));
    }
}
