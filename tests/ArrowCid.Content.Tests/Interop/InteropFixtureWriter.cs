using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ArrowCid.Content.DagCbor;
using ArrowCid.Content.Multiformats;
using ArrowCid.Content.Tests.Car;
using ArrowCid.TestSupport;

namespace ArrowCid.Content.Tests.Interop;

/// <summary>
/// Writes fixtures for interop/node/test/multiformats.test.mjs, which checks them with the
/// reference JavaScript implementations (multiformats, @ipld/dag-cbor, @ipld/car). The folder is
/// ARROWCID_INTEROP_DIR, or interop/node/fixtures/content under the repository root.
/// </summary>
public class InteropFixtureWriter(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Multiformats_dag_cbor_and_car_judges_accept_what_we_write()
    {
        if (NodeInteropRunner.Unavailable("multiformats", "@ipld/dag-cbor", "@ipld/car") is { } why)
        {
            // xunit 2 has no runtime skip: say why loudly and pass.
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        string directory = WriteFixtures();
        var result = await NodeInteropRunner.RunTestAsync("test/multiformats.test.mjs", directory, TimeSpan.FromMinutes(2));
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0, $"node --test failed with exit code {result.ExitCode}:\n{result.Log}");
        Assert.Equal(4, result.Passed);
        Assert.Equal(0, result.Skipped);
    }

    private static string WriteFixtures()
    {
        string directory = FixtureDirectory();
        Directory.CreateDirectory(directory);

        var cids = new JsonArray();
        foreach (var text in new[] { "", "hello", "ArrowCid canonical bytes", new string('z', 1000) })
        {
            var data = Encoding.UTF8.GetBytes(text);
            var raw = Cid.ForRaw(data);
            var v0 = Cid.CreateV0(Multihash.Sha256(data));
            cids.Add(CidEntry(raw, data, "raw", raw.ToString()));
            cids.Add(CidEntry(raw, data, "raw", raw.ToString('z')));
            cids.Add(CidEntry(Cid.ForDagCbor(data), data, "dag-cbor", Cid.ForDagCbor(data).ToString()));
            cids.Add(CidEntry(v0, data, "dag-pb", v0.ToString()));
        }

        var tiny = Encoding.UTF8.GetBytes("tiny");
        var identity = Cid.CreateV1(Multicodec.Raw, Multihash.Identity(tiny));
        cids.Add(CidEntry(identity, tiny, "raw", identity.ToString()));
        File.WriteAllText(Path.Combine(directory, "cids.json"), cids.ToJsonString());

        var node = SampleNode();
        var blob = DagCborEncoder.EncodeBlock(node, out var blobCid);
        File.WriteAllBytes(Path.Combine(directory, "dagcbor.bin"), blob);
        File.WriteAllText(Path.Combine(directory, "dagcbor.json"), new JsonObject
        {
            ["cid"] = blobCid.ToString(),
            ["view"] = View(node),
        }.ToJsonString());

        var v1 = CarTestData.CarV1(out var blocks);
        var v2 = CarTestData.CarV2(out _);
        File.WriteAllBytes(Path.Combine(directory, "v1.car"), v1);
        File.WriteAllBytes(Path.Combine(directory, "v2.car"), v2);
        File.WriteAllText(Path.Combine(directory, "car.json"), new JsonObject
        {
            ["roots"] = new JsonArray(blocks[0].Cid.ToString()),
            ["blocks"] = new JsonArray(blocks.Select(b => (JsonNode)b.Cid.ToString()).ToArray()),
        }.ToJsonString());

        Assert.True(File.Exists(Path.Combine(directory, "v2.car")));
        Assert.Equal(node, DagCborDecoder.Decode(File.ReadAllBytes(Path.Combine(directory, "dagcbor.bin"))));

        return directory;
    }

    private static DagNode SampleNode() => DagNode.MapOf(
        ("name", DagNode.Of("dataset \u00e9\u4e2d\ud83d\ude00")),
        ("rows", DagNode.Of(1234567L)),
        ("negative", DagNode.Of(-25L)),
        ("big", DagNode.Of(ulong.MaxValue)),
        ("min", DagNode.Of(long.MinValue)),
        ("ratio", DagNode.Of(0.25)),
        ("pi", DagNode.Of(3.141592653589793)),
        ("flags", DagNode.ListOf(DagNode.True, DagNode.False, DagNode.Null)),
        ("bytes", DagNode.OfBytes([0, 1, 2, 250, 255])),
        ("batches", DagNode.ListOf(DagNode.Of(Cid.ForRaw([1])), DagNode.Of(Cid.ForRaw([2])))),
        ("nested", DagNode.MapOf(("b", DagNode.ListOf()), ("a", DagNode.MapOf()), ("aa", DagNode.Of("")))));

    // A JSON view both sides can produce: links {"/": cid}, bytes {"/": {"bytes": base64}},
    // integers beyond 2^53 as {"$bigint": decimal}.
    private static JsonNode? View(DagNode node) => node.Kind switch
    {
        DagKind.Null => null,
        DagKind.Boolean => JsonValue.Create(node.AsBoolean()),
        DagKind.Integer when Int128.Abs(node.IntegerValue) <= (1L << 53) - 1 => JsonValue.Create((long)node.IntegerValue),
        DagKind.Integer => new JsonObject { ["$bigint"] = node.IntegerValue.ToString(CultureInfo.InvariantCulture) },
        DagKind.Float => JsonValue.Create(node.AsDouble()),
        DagKind.String => JsonValue.Create(node.AsString()),
        DagKind.Bytes => new JsonObject { ["/"] = new JsonObject { ["bytes"] = Convert.ToBase64String(node.AsBytes().Span).TrimEnd('=') } },
        DagKind.Link => new JsonObject { ["/"] = node.AsLink().ToString() },
        DagKind.List => new JsonArray(node.Items.Select(View).ToArray()),
        _ => new JsonObject(node.Entries.Select(e => KeyValuePair.Create(e.Key, View(e.Value)))),
    };

    private static JsonObject CidEntry(Cid cid, byte[] data, string codec, string text) => new()
    {
        ["cid"] = text,
        ["version"] = cid.Version,
        ["codec"] = codec,
        ["hash"] = Multicodec.NameOf(cid.Hash.Code),
        ["dataHex"] = Convert.ToHexStringLower(data),
        ["bytesHex"] = Convert.ToHexStringLower(cid.ToBytes()),
    };

    private static string FixtureDirectory() => NodeInteropRunner.FixturesDirectory("content");
}
