using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ArrowCid.Content.Multiformats;
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

    /// <summary>
    /// The line <c>put</c> and <c>cid</c> print per input: <c>table &lt;cid&gt; &lt;rows&gt; &lt;bytes&gt; &lt;chunks&gt;</c>,
    /// bytes being those of the chunk blocks (manifest nodes not counted).
    /// </summary>
    public static string TableLine(PutStreamResult result) =>
        string.Create(CultureInfo.InvariantCulture, $"table {result.Table.Cid} {result.Table.Rows} {result.Table.Bytes} {result.Table.Batches}");

    /// <summary>
    /// The JSON object <c>put</c> and <c>cid</c> print per input: the table (CID, rows, chunk bytes,
    /// chunk count, bytes of the root manifest block: 0 for a one-chunk table) and each chunk in row order.
    /// </summary>
    public static JsonObject Json(string input, PutStreamResult result)
    {
        var json = new JsonObject
        {
            ["input"] = input,
            ["table"] = new JsonObject
            {
                ["cid"] = result.Table.Cid.ToString(),
                ["rows"] = result.Table.Rows,
                ["bytes"] = result.Table.Bytes,
                ["chunks"] = result.Table.Batches,
                ["manifest_bytes"] = result.Table.ManifestBytes,
            },
            ["chunks"] = new JsonArray(result.Batches.Select(b => (JsonNode)new JsonObject
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

    public static JsonObject Json(BlockRecord record) => new JsonObject
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
        ["locations"] = new JsonArray(record.Locations.Select(l => (JsonNode)l).ToArray()),
        ["schema"] = record.Schema,
    }.WithLinks(record);

    // A foreign block's links are the blocks it links; a table root's or node's are its chunks and
    // the manifest nodes below it (a dag-cbor link is a node, a raw one a chunk).
    private static JsonObject WithLinks(this JsonObject json, BlockRecord record)
    {
        if (record.Kind == BlockKind.Foreign)
        {
            json["links"] = CidArray(record.Links);
            return json;
        }

        json["chunks"] = CidArray(record.Links.Where(c => !IsNode(c)));
        json["nodes"] = CidArray(record.Links.Where(IsNode));
        return json;
    }

    private static JsonArray CidArray(IEnumerable<Cid> cids) => new(cids.Select(c => (JsonNode)c.ToString()).ToArray());

    private static bool IsNode(Cid link) => link.Codec == Multicodec.DagCbor;

    /// <summary>What a registry record's link is, for <c>info</c>: a foreign block's "link", a table's "chunk" or manifest "node".</summary>
    private static string LinkLabel(BlockRecord record, Cid link) =>
        record.Kind == BlockKind.Foreign ? "link" : IsNode(link) ? "node" : "chunk";

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

        foreach (var link in record.Links)
        {
            yield return $"{LinkLabel(record, link)}: {link}";
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
