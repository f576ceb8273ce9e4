using System.Collections.Immutable;
using System.Text.Json;
using ArrowCid.Arrow.Types;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>Reads the <c>schema</c> object: fields (with their dictionary ids) and metadata.</summary>
internal static class JsonSchemaReader
{
    public static (Schema Schema, IReadOnlyList<JsonFieldNode> Fields) Read(JsonElement schema)
    {
        const string where = "schema";
        var fields = Array(schema, "fields", where);
        var nodes = fields.EnumerateArray().Select((f, i) => ReadField(f, $"schema field {i}")).ToList();
        return (new Schema(nodes.Select(n => n.Field), ReadMetadata(schema, where)), nodes);
    }

    private static JsonFieldNode ReadField(JsonElement field, string where)
    {
        string name = String(Required(field, "name", where), $"{where} name");
        where = $"{where} '{name}'";
        bool nullable = Bool(Required(field, "nullable", where), $"{where} nullable");
        var children = Optional(field, "children") is { } list
            ? list.ValueKind == JsonValueKind.Array
                ? list.EnumerateArray().Select((c, i) => ReadField(c, $"{where}/child {i}")).ToList()
                : throw new ArrowFormatException($"{where}: 'children' is not an array")
            : [];
        var type = JsonTypeReader.Read(Required(field, "type", where), [.. children.Select(c => c.Field)], where);
        long? dictionaryId = null;
        if (Optional(field, "dictionary") is { } dictionary)
        {
            string dictWhere = $"{where} dictionary";
            dictionaryId = Int64(Required(dictionary, "id", dictWhere), $"{dictWhere} id");
            var indexType = JsonTypeReader.Read(Required(dictionary, "indexType", dictWhere), [], $"{dictWhere} indexType");
            if (!indexType.IsInteger)
            {
                throw new ArrowFormatException($"{dictWhere}: index type {indexType} is not an integer type");
            }

            bool ordered = Optional(dictionary, "isOrdered") is { } o && Bool(o, $"{dictWhere} isOrdered");
            type = ArrowType.Dictionary(indexType, type, ordered);
        }

        // Extension types are their storage plus two metadata keys here as in IPC; one function
        // turns them back for every reader, so JSON and IPC give the same schema.
        var (logical, metadata) = ExtensionTypes.FromFieldMetadata(type, ReadMetadata(field, where), where);
        return new JsonFieldNode(new Field(name, logical, nullable, metadata), dictionaryId, children);
    }

    /// <summary>A <c>metadata</c> list of {key, value} pairs in order; absent or null means none.</summary>
    private static ImmutableArray<KeyValuePair<string, string>> ReadMetadata(JsonElement owner, string where)
    {
        if (Optional(owner, "metadata") is not { } metadata)
        {
            return [];
        }

        ExpectKind(metadata, JsonValueKind.Array, $"{where} metadata");
        return [.. metadata.EnumerateArray().Select((kv, i) => new KeyValuePair<string, string>(
            String(Required(kv, "key", $"{where} metadata[{i}]"), $"{where} metadata[{i}] key"),
            String(Required(kv, "value", $"{where} metadata[{i}]"), $"{where} metadata[{i}] value")))];
    }
}
