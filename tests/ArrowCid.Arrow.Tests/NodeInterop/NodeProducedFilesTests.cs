using System.Text.Json.Nodes;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Arrow.Types;
using ArrowCid.Arrow.Validation;
using Xunit.Abstractions;
using ArrowCid.TestSupport;

namespace ArrowCid.Arrow.Tests.NodeInterop;

/// <summary>
/// Our readers judged on independent writers' output: interop/node/test/arrow-produce.test.mjs has
/// apache-arrow (int32/int64/float32/float64/bool/utf8/large utf8/list/struct/dictionary/timestamps/
/// date32, nulls) and nodejs-polars (int64, uint16, float64, strings: Utf8View in its file, LargeUtf8
/// in its stream) write IPC files and streams with expected values; every file is read here with the
/// file reader (memory and mapped) or the stream reader (memory and stream), fully validated, and
/// compared value by value.
/// </summary>
[Trait("Category", "Peers")]
public sealed class NodeProducedFilesTests(ITestOutputHelper output)
{
    private static readonly string[] Produced = ["apache-arrow-types.arrow", "apache-arrow-types.arrows", "nodejs-polars.arrow", "nodejs-polars.arrows"];

    [Fact]
    public async Task Files_written_by_apache_arrow_and_polars_read_back_with_every_value()
    {
        if (NodeInteropRunner.Unavailable("apache-arrow", "nodejs-polars") is { } why)
        {
            output.WriteLine(CiEnvironment.SkipOrFail(why));
            return;
        }

        var result = await NodeInteropRunner.RunTestAsync("test/arrow-produce.test.mjs", NodeInteropRunner.FixturesDirectory("arrow"), TimeSpan.FromMinutes(2));
        output.WriteLine(result.Log);
        Assert.True(result.ExitCode == 0 && result.Failed == 0, $"node --test test/arrow-produce.test.mjs exited with {result.ExitCode}:\n{result.Log}");

        string dir = Path.Combine(NodeInteropRunner.FixturesDirectory("arrow"), "produced");
        foreach (string name in Produced)
        {
            string path = Path.Combine(dir, name);
            var expected = JsonNode.Parse(await File.ReadAllTextAsync(path + ".expected.json"))!;
            byte[] bytes = await File.ReadAllBytesAsync(path);
            var options = new IpcReadOptions { Validation = ValidationLevel.Full };
            if (name.EndsWith(".arrow", StringComparison.Ordinal))
            {
                using (var reader = new ArrowFileReader(bytes, options))
                {
                    Check(name + " (file reader, memory)", reader.Schema, [.. reader.ReadAll()], expected);
                }

                using (var mapped = ArrowFileReader.Open(path, options))
                {
                    Check(name + " (file reader, mapped)", mapped.Schema, [.. mapped.ReadAll()], expected);
                }
            }
            else
            {
                using (var reader = new ArrowStreamReader(bytes, options))
                {
                    Check(name + " (stream reader, memory)", reader.Schema, [.. reader.ReadAll()], expected);
                }

                using (var reader = new ArrowStreamReader(new MemoryStream(bytes), options))
                {
                    Check(name + " (stream reader, stream)", reader.Schema, [.. reader.ReadAll()], expected);
                }
            }
        }
    }

    private void Check(string label, Schema schema, List<RecordBatch> batches, JsonNode expected)
    {
        var fields = expected["schema"]!["fields"]!.AsArray();
        var columns = expected["columns"]!.AsArray();
        Assert.True(fields.Count == schema.Fields.Length, $"{label}: {schema.Fields.Length} fields, expected {fields.Count}");
        var ours = JsonNode.Parse(IntegrationJson.ToJson(new IntegrationFile(schema, [])))!["schema"]!["fields"]!.AsArray();
        for (int c = 0; c < fields.Count; c++)
        {
            Assert.True(schema.Fields[c].Name == (string?)fields[c]!["name"], $"{label} field {c}: name {schema.Fields[c].Name}, expected {fields[c]!["name"]}");
            CheckType(label + $" field {c} '{schema.Fields[c].Name}'", fields[c]!, ours[c]!);
            var actual = new JsonArray();
            foreach (var batch in batches)
            {
                for (int i = 0; i < batch.Length; i++)
                {
                    actual.Add(ExpectedValues.Value(batch.Columns[c], i));
                }
            }

            Assert.True(
                ExpectedValues.SameValue(columns[c], actual, $"{label} column {c} '{schema.Fields[c].Name}'", out string? difference),
                difference);
        }

        output.WriteLine($"{label}: {batches.Count} batches, {batches.Sum(b => b.Length)} rows, {schema.Fields.Length} columns match");
    }

    /// <summary>Every member the producer stated (name, bitWidth, unit, timezone…) must match our schema's integration JSON; children likewise.</summary>
    private static void CheckType(string label, JsonNode expected, JsonNode ours)
    {
        foreach (var (key, value) in expected["type"]!.AsObject())
        {
            Assert.True(
                JsonNode.DeepEquals(value, ours["type"]![key]),
                $"{label}: type.{key} is {ours["type"]![key]?.ToJsonString() ?? "absent"}, the producer wrote {value?.ToJsonString()}");
        }

        if (expected["dictionary"] is { } dictionary)
        {
            Assert.True(ours["dictionary"] is not null, $"{label}: not dictionary-encoded");
            Assert.True(JsonNode.DeepEquals(dictionary["indexType"], ours["dictionary"]!["indexType"]), $"{label}: dictionary index type {ours["dictionary"]!["indexType"]?.ToJsonString()}");
        }

        if (expected["children"] is JsonArray children)
        {
            var ourChildren = ours["children"]!.AsArray();
            Assert.True(children.Count == ourChildren.Count, $"{label}: {ourChildren.Count} children, expected {children.Count}");
            for (int k = 0; k < children.Count; k++)
            {
                CheckType($"{label}/{k}", children[k]!, ourChildren[k]!);
            }
        }
    }
}
