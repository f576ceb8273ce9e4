using System.Globalization;
using System.Text.Json;
using ArrowCid.Content.Multiformats;
using ArrowCid.Registry;
using ArrowCid.Repository;
using ArrowCid.Wire;

namespace ArrowCid.Cli.Commands;

/// <summary>The text lines and JSON objects the content commands print, in one place so every command agrees.</summary>
internal static class ContentOutput
{
    /// <summary>
    /// The line <c>put</c>, <c>cid</c> and <c>flight put</c> print per input: <c>table &lt;cid&gt; &lt;rows&gt; &lt;bytes&gt; &lt;chunks&gt;</c>,
    /// bytes being those of the chunk blocks (manifest nodes not counted).
    /// </summary>
    public static string TableLine(PutStreamResult result) => TableLine(result.Totals);

    /// <summary>As <see cref="TableLine(PutStreamResult)"/>, for a table's totals however they were learnt (a node's put answer).</summary>
    public static string TableLine(TableTotals totals) =>
        string.Create(CultureInfo.InvariantCulture, $"table {totals.Cid} {totals.Rows} {totals.Bytes} {totals.Chunks}");


    /// <summary>When something happened, as every command prints it (ISO 8601, UTC).</summary>
    public static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A registry record as <c>ls --json</c> and <c>info --json</c> print it.</summary>
    public static RecordEntry Entry(BlockRecord record)
    {
        // A foreign block's links are the blocks it links; a table root's or node's are its chunks and
        // the manifest nodes below it (a dag-cbor link is a node, a raw one a chunk).
        bool foreign = record.Kind == BlockKind.Foreign;
        return new RecordEntry(
            record.Cid.ToString(),
            KindName(record.Kind),
            record.Rows,
            record.Bytes,
            record.Created,
            record.Pinned,
            record.Producer,
            record.Provenance,
            WireJson.SortedTags(record.Tags),
            record.Locations,
            record.Schema,
            foreign ? null : Texts(record.Links.Where(c => !IsNode(c))),
            foreign ? null : Texts(record.Links.Where(IsNode)),
            foreign ? Texts(record.Links) : null);
    }

    /// <summary>CIDs as text.</summary>
    public static List<string> Texts(IEnumerable<Cid> cids) => [.. cids.Select(c => c.ToString())];

    private static bool IsNode(Cid link) => link.Codec == Multicodec.DagCbor;

    /// <summary>What a registry record's link is, for <c>info</c>: a foreign block's "link", a table's "chunk" or manifest "node".</summary>
    private static string LinkLabel(BlockRecord record, Cid link) =>
        record.Kind == BlockKind.Foreign ? "link" : IsNode(link) ? "node" : "chunk";

    /// <summary>One line of <c>ls</c>: kind, CID, rows, bytes, created, pin flag and tags.</summary>
    public static string ListLine(BlockRecord record) => string.Create(
        CultureInfo.InvariantCulture,
        $"{KindName(record.Kind)} {record.Cid} {record.Rows} {record.Bytes} {record.Created:yyyy-MM-ddTHH:mm:ssZ}{(record.Pinned ? " pinned" : string.Empty)}{TagsText(record.Tags)}");

    /// <summary>The text of <c>info</c>: one "name: value" line per fact (with a table's size when <paramref name="table"/> is given).</summary>
    public static IEnumerable<string> InfoLines(BlockRecord record, TableBlocks? table = null)
    {
        yield return $"cid: {record.Cid}";
        yield return $"kind: {KindName(record.Kind)}";
        yield return string.Create(CultureInfo.InvariantCulture, $"rows: {record.Rows}");
        yield return string.Create(CultureInfo.InvariantCulture, $"bytes: {record.Bytes}{(table is null ? string.Empty : " (the root block)")}");
        if (table is not null)
        {
            yield return string.Create(CultureInfo.InvariantCulture, $"table bytes: {table.Bytes} in {CliText.Count(table.Blocks.Count, "block")}");
        }

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
