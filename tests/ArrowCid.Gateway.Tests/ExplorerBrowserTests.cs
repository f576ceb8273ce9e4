using System.Diagnostics;
using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Builders;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Multiformats;
using ArrowCid.Flight.Service;
using ArrowCid.Node;
using ArrowCid.Repository;
using ArrowCid.TestSupport;

namespace ArrowCid.Gateway.Tests;

/// <summary>
/// The web explorer in a real browser: Debian's chromium driven by playwright-core runs
/// clients/explorer/test/browser.test.mjs against a node holding tables put here (one of them with a
/// chunk damaged on disk behind the node's back). It finds and opens a table, sees its row count and
/// first row verified in the page, sees a table put meanwhile appear without a reload, downloads the
/// Parquet and reads it with DuckDB, sees the damaged chunk named in a verification error, and checks
/// phone width and the console, and on a node that needs a token asks for one and then lists its tables; screenshots go to artifacts/test-screenshots/. Skipped, with the
/// reason printed, when chromium, playwright-core or DuckDB is missing (a failure when CI=true).
/// Also checks that the committed bundle (clients/explorer/dist) is what its sources make, and runs
/// clients/explorer/test/ipc-rows.test.mjs (the first-rows reader against apache-arrow, in Node).
/// </summary>
[Trait("Category", "Peers")]
public sealed class ExplorerBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const int SensorRows = 60_000;

    private const string ReadToken = "explorer-reader";

    [Fact]
    public async Task The_explorer_lists_opens_verifies_downloads_and_updates_live_in_chromium()
    {
        string? why = Unavailable("playwright-core") ?? NodeInteropRunner.Unavailable("@duckdb/node-api")
            ?? (Chromium is null ? "chromium is not installed (apt-get install chromium)" : null);
        if (why is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        await using var node = await GatewayFixture.StartAsync();
        await using var guarded = await GatewayFixture.StartAsync(new NodeOptions { Access = new AccessPolicy().AddToken(ReadToken, AccessRole.Read) });
        guarded.Content.PutStream(Schema, Stations(100), new PutOptions { Name = "guarded" });
        var sensors = node.Content.PutStream(Schema, Stations(SensorRows), new PutOptions { Name = "stations", Tags = new Dictionary<string, string> { ["site"] = "north" } });
        Assert.True(sensors.Table.Batches >= 2, $"the table should span several chunks, not {sensors.Table.Batches}");

        var damaged = node.Content.PutStream(Schema, Stations(SensorRows, offset: 7), new PutOptions { Name = "damaged" });
        var badChunk = node.Content.OpenTable(damaged.Table.Cid).Chunks().First().Cid;
        await DamageBehindTheNodesBackAsync(node, badChunk);

        string fixtures = NodeInteropRunner.FixturesDirectory("explorer");
        Directory.CreateDirectory(fixtures);
        var expected = new JsonObject
        {
            ["cid"] = sensors.Table.Cid.ToString(),
            ["name"] = "stations",
            ["rows"] = SensorRows,
            ["columns"] = new JsonArray([.. Schema.Fields.Select(f => JsonValue.Create(f.Name))]),
            ["firstRow"] = new JsonArray("1", "station-1", "1.5", "true"),
            ["damaged"] = damaged.Table.Cid.ToString(),
            ["badChunk"] = badChunk.ToString(),
        };
        await File.WriteAllTextAsync(Path.Combine(fixtures, "explorer.expected.json"), expected.ToJsonString());

        string screenshots = Path.Combine(RepositoryPaths.Root!, "artifacts", "test-screenshots");
        Directory.CreateDirectory(screenshots);
        var result = await NodeInteropRunner.RunTestAsync(
            BrowserTestFile,
            fixtures,
            TimeSpan.FromMinutes(4),
            new Dictionary<string, string>
            {
                ["ARROWCID_GATEWAY_URL"] = node.Gateway.Address.ToString(),
                ["ARROWCID_CHROMIUM"] = Chromium!,
                ["ARROWCID_SCREENSHOTS"] = screenshots,
                ["ARROWCID_GUARDED_GATEWAY_URL"] = guarded.Gateway.Address.ToString(),
                ["ARROWCID_READ_TOKEN"] = ReadToken,
            });
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(13, result.Passed);
        Assert.Equal(0, result.Skipped);
        Assert.True(File.Exists(Path.Combine(screenshots, "explorer-table.png")), "the table page's screenshot is missing");
    }

    [Fact]
    public async Task The_committed_bundle_is_what_its_sources_make()
    {
        string? why = Unavailable("esbuild");
        if (why is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        // From the explorer's folder and from the repository root: chunk names are content hashes,
        // and the bundle must not depend on where the build was started.
        foreach (string folder in new[] { ExplorerDirectory, RepositoryPaths.Root! })
        {
            var start = new ProcessStartInfo(NodeInteropRunner.FindOnPath("node")!, [Path.Combine(ExplorerDirectory, "build.mjs"), "--check"]) { WorkingDirectory = folder };
            var (exitCode, log) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(2));
            output.WriteLine(log);
            Assert.True(exitCode == 0, $"from {folder}: {log}");
        }
    }

    [Fact]
    public async Task The_first_rows_reader_reads_what_apache_arrow_reads()
    {
        string? why = Unavailable("apache-arrow");
        if (why is not null)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var start = new ProcessStartInfo(NodeInteropRunner.FindOnPath("node")!, ["--test", Path.Combine("test", "ipc-rows.test.mjs")]) { WorkingDirectory = ExplorerDirectory };
        var (exitCode, log) = await ChildProcess.RunAsync(start, TimeSpan.FromMinutes(2));
        output.WriteLine(log);
        Assert.True(exitCode == 0, log);
        Assert.Contains("# pass 4", log, StringComparison.Ordinal);
    }

    private static Schema Schema { get; } = new([
        new Field("id", ArrowType.Int64, nullable: false),
        new Field("station", ArrowType.Utf8, nullable: true),
        new Field("temperature", ArrowType.Float64, nullable: true),
        new Field("ok", ArrowType.Boolean, nullable: true),
    ]);

    /// <summary>Rows i = 1…: (i, "station-i", i + 0.5, i odd), exact in every reader's text; <paramref name="offset"/> makes other content.</summary>
    private static List<RecordBatch> Stations(int rows, int offset = 0)
    {
        var batches = new List<RecordBatch>();
        for (int start = 1; start <= rows; start += 10_000)
        {
            var builder = new RecordBatchBuilder(Schema);
            for (int i = start; i < Math.Min(rows + 1, start + 10_000); i++)
            {
                builder.AppendRow((long)i + offset, $"station-{i + offset}", i + offset + 0.5, (i + offset) % 2 == 1);
            }

            batches.Add(builder.Build());
        }

        return batches;
    }

    /// <summary>
    /// Flips a byte of a block file in place, keeping its length and write time, after the node has
    /// hashed it once: the node then trusts its stamp (docs: BlockReader) and serves the damaged bytes,
    /// which only the browser's own verification can catch.
    /// </summary>
    private static async Task DamageBehindTheNodesBackAsync(GatewayFixture node, Cid chunk)
    {
        string path = node.Content.Reader.Blocks.GetBlockPath(chunk);
        var written = DateTime.UtcNow.AddHours(-1);
        File.SetLastWriteTimeUtc(path, written);
        using (var first = await node.Http.GetAsync($"/ipfs/{chunk}?format=raw"))
        {
            first.EnsureSuccessStatusCode();
        }

        File.SetAttributes(path, FileAttributes.Normal);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            int value = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(value ^ 0x5A));
        }

        File.SetLastWriteTimeUtc(path, written);
        using var served = await node.Http.GetAsync($"/ipfs/{chunk}?format=raw");
        Assert.Equal(System.Net.HttpStatusCode.OK, served.StatusCode);
        Assert.NotEqual(chunk.Hash.Digest.ToArray(), System.Security.Cryptography.SHA256.HashData(await served.Content.ReadAsByteArrayAsync()));
    }

    /// <summary>The browser test, relative to interop/node (where NodeInteropRunner runs node).</summary>
    private static string BrowserTestFile => Path.Combine("..", "..", "clients", "explorer", "test", "browser.test.mjs");

    private static string ExplorerDirectory => Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("repository root not found"), "clients", "explorer");

    /// <summary>Debian's chromium (or chromium-browser) on PATH, or null.</summary>
    private static string? Chromium => NodeInteropRunner.FindOnPath("chromium") ?? NodeInteropRunner.FindOnPath("chromium-browser");

    /// <summary>Null when node and clients/explorer's npm packages are there, else why not.</summary>
    private static string? Unavailable(string package) =>
        NodeInteropRunner.FindOnPath("node") is null ? "node is not on PATH"
        : RepositoryPaths.Root is null ? "the repository root was not found"
        : !Directory.Exists(Path.Combine(ExplorerDirectory, "node_modules", package)) ? $"clients/explorer/node_modules/{package} is missing (run `npm ci` in clients/explorer)"
        : null;

}
