using System.Text.Json.Nodes;
using ArrowCid.Arrow.Printing;
using ArrowCid.TestSupport;

namespace ArrowCid.SharedMemory.Tests;

/// <summary>
/// Runs interop/node/test/shm-segment.test.mjs: apache-arrow (JS) reads segments published here
/// straight from the store's files (arena batches promoted to files; chunks of a chunked table) and checks their SHA-256 against the CIDs (multiformats).
/// Fixtures go to ARROWCID_INTEROP_DIR, else interop/node/fixtures/shm. Passes with a SKIPPED line
/// when node or the packages are missing (xunit 2 has no runtime skip).
/// </summary>
[Trait("Category", "Peers")]
public sealed class NodeSegmentInteropTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Apache_arrow_reads_our_segments_and_their_hashes_match_the_cids()
    {
        if (NodeInteropRunner.Unavailable("apache-arrow", "multiformats") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string fixtures = NodeInteropRunner.FixturesDirectory("shm");
        Directory.CreateDirectory(fixtures);
        // Small batches live in the arena: SegmentFile (what `arrowcid shm path` prints) promotes
        // each to a file of its own holding exactly its canonical bytes, which node maps as it is.
        using var store = _temp.Open(arena: true);
        var segments = new JsonArray();
        foreach (int seed in new[] { 1, 2, 3 })
        {
            var batch = Batches.Make(seed, rows: 8 * seed);
            var published = store.Publish(batch);
            segments.Add(Segment(store.SegmentFile(published.Cid), published.Cid.ToString(), batch));
        }

        // A large batch is published as a chunked table: its chunks are plain segments too.
        var table = store.Publish(Batches.Make(9, rows: 40_000));
        Assert.True(table.Chunks > 2);
        using (var attached = store.AttachTable(table.Cid))
        {
            foreach (var (chunk, entry) in attached.Batches.Zip(attached.Table.Chunks).Take(2))
            {
                segments.Add(Segment(store.SegmentFile(entry.Cid), entry.Cid.ToString(), chunk));
            }
        }

        await File.WriteAllTextAsync(Path.Combine(fixtures, "shm.json"), new JsonObject { ["segments"] = segments }.ToJsonString());
        var result = await NodeInteropRunner.RunTestAsync("test/shm-segment.test.mjs", fixtures, TimeSpan.FromMinutes(2));
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(2 * segments.Count, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    private static JsonObject Segment(string path, string cid, Arrow.Arrays.RecordBatch batch) => new()
    {
        ["path"] = path,
        ["cid"] = cid,
        ["ids"] = new JsonArray([.. Enumerable.Range(0, batch.Length).Select(i => (JsonNode?)JsonValue.Create((long)ArrayPrinter.GetValue(batch.Column(0), i)!))]),
        ["names"] = new JsonArray([.. Enumerable.Range(0, batch.Length).Select(i => (JsonNode?)(ArrayPrinter.GetValue(batch.Column(1), i) is string s ? JsonValue.Create(s) : null))]),
    };
}
