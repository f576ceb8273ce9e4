using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Content.Canonical;
using ArrowCid.Content.Multiformats;
using ArrowCid.TestSupport;

namespace ArrowCid.Content.Tests.Canonical;

/// <summary>
/// Runs interop/node/test/canonical.test.mjs: apache-arrow (JS) and nodejs-polars read our
/// canonical bytes and check their SHA-256 against the CIDs (multiformats); apache-arrow writes one
/// table as a stream, a file and a slice of a larger table, and all three must have the CID of the
/// same table built here. Skipped, with the reason printed, when node or the packages are missing.
/// </summary>
[Trait("Category", "Peers")]
public sealed class CanonicalNodeInteropTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "arrowcid-canonical-" + Guid.NewGuid().ToString("N"));

    // Rows of the table apache-arrow writes: id int32, name utf8, score float64, flag bool.
    private static readonly object?[][] JsRows =
    [
        [1, "alpha", 1.5, true],
        [2, null, double.NaN, false],
        [3, "a string longer than twelve", -0.0, null],
        [null, "", 2.0, true],
    ];

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task Apache_arrow_and_polars_agree_with_the_canonical_bytes_and_cids()
    {
        if (NodeInteropRunner.Unavailable("apache-arrow", "nodejs-polars", "multiformats") is { } why)
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        Directory.CreateDirectory(_directory);
        WriteCanonicalFixtures();

        var result = await NodeInteropRunner.RunTestAsync(
            "test/canonical.test.mjs",
            NodeInteropRunner.FixturesDirectory("canonical"),
            TimeSpan.FromMinutes(2),
            new Dictionary<string, string> { ["ARROWCID_CANONICAL_DIR"] = _directory });
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(10, result.Passed);
        Assert.Equal(0, result.Skipped);

        var expected = CanonicalEncoder.ComputeCid(RandomBatches.Build(JsSchema, JsRows));
        using (var reader = new ArrowStreamReader(File.ReadAllBytes(Path.Combine(_directory, "js-stream.arrows")).AsMemory()))
        {
            Assert.Equal(expected, CanonicalEncoder.ComputeCid(Single(reader.ReadAll())));
        }

        using (var reader = new ArrowStreamReader(File.ReadAllBytes(Path.Combine(_directory, "js-slice.arrows")).AsMemory()))
        {
            Assert.Equal(expected, CanonicalEncoder.ComputeCid(Single(reader.ReadAll())));
        }

        using (var reader = new ArrowFileReader(File.ReadAllBytes(Path.Combine(_directory, "js-file.arrow")).AsMemory()))
        {
            Assert.Equal(expected, CanonicalEncoder.ComputeCid(Single(reader.ReadAll())));
        }
    }

    private static Schema JsSchema => new([
        new Field("id", ArrowType.Int32), new Field("name", ArrowType.Utf8),
        new Field("score", ArrowType.Float64), new Field("flag", ArrowType.Boolean),
    ]);

    private static RecordBatch Single(IEnumerable<RecordBatch> batches)
    {
        var all = batches.ToList();
        return all.Count == 1 ? all[0] : throw new InvalidOperationException($"expected one record batch, got {all.Count}");
    }

    private void WriteCanonicalFixtures()
    {
        var tables = new JsonArray
        {
            Entry("int32_with_null", CanonicalVectors.Int32WithNull(), new JsonObject { ["x"] = new JsonArray(1, null, 3) }),
            Entry("mixed", CanonicalVectors.Mixed(), new JsonObject
            {
                ["s"] = new JsonArray("héllo", null, ""),
                ["f"] = new JsonArray("NaN", "-0", 2.5),
                ["b"] = new JsonArray(true, false, true),
            }, new JsonObject { ["a"] = "1", ["b"] = "2" }),
            Entry("dictionary_and_list", CanonicalVectors.DictionaryAndList(), new JsonObject
            {
                ["d"] = new JsonArray("red", "green", "red", null),
                ["l"] = new JsonArray(new JsonArray(1, 2), null, new JsonArray(), new JsonArray(3)),
            }),
        };

        var jsRows = new JsonArray([.. JsRows.Select(r => (JsonNode)new JsonArray(
            r[0] is int id ? id : null,
            r[1] is string name ? name : null,
            r[2] is double d ? (double.IsNaN(d) ? "NaN" : d == 0 && double.IsNegative(d) ? "-0" : JsonValue.Create(d)) : null,
            r[3] is bool b ? b : null))]);
        File.WriteAllText(Path.Combine(_directory, "canonical.json"), new JsonObject
        {
            ["tables"] = tables,
            ["jsTable"] = new JsonObject { ["rows"] = jsRows },
        }.ToJsonString());
    }

    private JsonObject Entry(string name, RecordBatch batch, JsonObject columns, JsonObject? metadata = null)
    {
        var bytes = CanonicalEncoder.Encode(batch);
        string file = $"canonical-{name}.arrows";
        File.WriteAllBytes(Path.Combine(_directory, file), bytes);
        return new JsonObject
        {
            ["name"] = name,
            ["file"] = file,
            ["cid"] = Cid.ForRaw(bytes).ToString(),
            ["length"] = bytes.Length,
            ["rows"] = batch.Length,
            ["columns"] = columns,
            ["metadata"] = metadata,
        };
    }


}
