using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArrowCid.Registry;
using ArrowCid.Repository;

namespace ArrowCid.Cli.Commands;

/// <summary>The text lines and JSON objects the content commands print, in one place so every command agrees.</summary>
internal static class ContentOutput
{
    /// <summary>
    /// Every command's --json output: indented, and with only what JSON itself requires escaped, so
    /// a timestamp reads "+00:00" and a name "plant-3/temps" (the default encoder escapes '+', '&lt;',
    /// non-ASCII for HTML pages; this output goes to terminals and programs, never into HTML).
    /// </summary>
    public static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string BatchLine(StoredBatch batch) =>
        string.Create(CultureInfo.InvariantCulture, $"batch {batch.Cid} {batch.Rows} {batch.Bytes}");

    public static string DatasetLine(DatasetResult dataset) =>
        string.Create(CultureInfo.InvariantCulture, $"dataset {dataset.Cid} {dataset.Rows} {dataset.Batches}");

    public static JsonObject Json(string input, PutStreamResult result)
    {
        var json = new JsonObject
        {
            ["input"] = input,
            ["dataset"] = new JsonObject
            {
                ["cid"] = result.Dataset.Cid.ToString(),
                ["rows"] = result.Dataset.Rows,
                ["batches"] = result.Dataset.Batches,
                ["bytes"] = result.Dataset.Bytes,
                ["manifest_bytes"] = result.Dataset.ManifestBytes,
            },
            ["batches"] = new JsonArray(result.Batches.Select(b => (JsonNode)new JsonObject
            {
                ["cid"] = b.Cid.ToString(),
                ["rows"] = b.Rows,
                ["bytes"] = b.Bytes,
            }).ToArray()),
        };
        if (result.Version is { } version)
        {
            json["name"] = version.Name;
            json["version"] = version.Version;
        }

        return json;
    }

    /// <summary>When something happened, as every command prints it (ISO 8601, UTC).</summary>
    public static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    public static JsonObject Tags(IReadOnlyDictionary<string, string> tags) =>
        new(tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value)));

    public static JsonObject Json(BlockRecord record) => new()
    {
        ["cid"] = record.Cid.ToString(),
        ["kind"] = KindName(record.Kind),
        ["rows"] = record.Rows,
        ["bytes"] = record.Bytes,
        ["created"] = Time(record.Created),
        ["pinned"] = record.Pinned,
        ["producer"] = record.Producer,
        ["provenance"] = record.Provenance,
        ["tags"] = Tags(record.Tags),
        // A foreign block's links are the blocks it links, not batches.
        [record.Kind == BlockKind.Foreign ? "links" : "batches"] = new JsonArray(record.Batches.Select(b => (JsonNode)b.ToString()).ToArray()),
        ["locations"] = new JsonArray(record.Locations.Select(l => (JsonNode)l).ToArray()),
        ["schema"] = record.Schema,
    };

    /// <summary>One line of <c>ls</c>: kind, CID, rows, bytes, created, pin flag and tags.</summary>
    public static string ListLine(BlockRecord record) => string.Create(
        CultureInfo.InvariantCulture,
        $"{KindName(record.Kind)} {record.Cid} {record.Rows} {record.Bytes} {record.Created:yyyy-MM-ddTHH:mm:ssZ}{(record.Pinned ? " pinned" : string.Empty)}{TagsText(record.Tags)}");

    /// <summary>The text of <c>info</c>: one "name: value" line per fact.</summary>
    public static IEnumerable<string> InfoLines(BlockRecord record)
    {
        yield return $"cid: {record.Cid}";
        yield return $"kind: {KindName(record.Kind)}";
        yield return string.Create(CultureInfo.InvariantCulture, $"rows: {record.Rows}");
        yield return string.Create(CultureInfo.InvariantCulture, $"bytes: {record.Bytes}");
        yield return $"created: {Time(record.Created)}";
        yield return $"pinned: {(record.Pinned ? "yes" : "no")}";
        if (record.Producer is not null)
        {
            yield return $"producer: {record.Producer}";
        }

        if (record.Provenance is not null)
        {
            yield return $"provenance: {record.Provenance}";
        }

        foreach (var tag in record.Tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            yield return $"tag: {tag.Key}={tag.Value}";
        }

        foreach (var batch in record.Batches)
        {
            yield return record.Kind == BlockKind.Foreign ? $"link: {batch}" : $"batch: {batch}";
        }

        foreach (var location in record.Locations)
        {
            yield return $"location: {location}";
        }

        if (record.Schema is not null)
        {
            yield return "schema:";
            foreach (string line in record.Schema.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return "  " + line;
            }
        }
    }

    public static string KindName(BlockKind kind) => BlockKindNames.NameOf(kind);

    /// <summary>" k=v" for each tag, in key order (the end of an <c>ls</c> or <c>log</c> line).</summary>
    public static string TagsText(IReadOnlyDictionary<string, string> tags) =>
        string.Concat(tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $" {t.Key}={t.Value}"));
}
