using System.Text.Json;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Writes the <c>schema</c> object. Dictionary types become the value type plus a <c>dictionary</c>
/// member; extension types become their storage type plus the <c>ARROW:extension:*</c> metadata,
/// as in IPC (<see cref="ExtensionTypes.ToFieldMetadata"/>).
/// </summary>
internal static class JsonSchemaWriter
{
    public static void Write(Utf8JsonWriter w, Schema schema, JsonDictionaryIds ids)
    {
        w.WriteStartObject();
        w.WriteStartArray("fields");
        int slot = 0;
        foreach (var field in schema.Fields)
        {
            WriteField(w, field, ids, ref slot);
        }

        w.WriteEndArray();
        WriteMetadata(w, schema.Metadata);
        w.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter w, Field field, JsonDictionaryIds ids, ref int slot)
    {
        // The same wire form IPC uses: an extension becomes its storage plus the two metadata keys.
        var (type, metadata) = ExtensionTypes.ToFieldMetadata(field);
        ArrowType? dictionary = null;
        long dictionaryId = 0;
        if (type.Id == ArrowTypeId.Dictionary)
        {
            // The id is taken here, before the children, in the order JsonDictionaryIds numbered the slots.
            dictionary = type;
            dictionaryId = ids.SlotIds[slot++];
            type = type.ValueType!;
            if (type.Id == ArrowTypeId.Dictionary)
            {
                throw new ArgumentException($"field '{field.Name}': a dictionary of dictionaries cannot be written", nameof(field));
            }
        }

        w.WriteStartObject();
        w.WriteString("name", field.Name);
        w.WriteBoolean("nullable", field.Nullable);
        w.WritePropertyName("type");
        JsonTypeWriter.Write(w, type);
        w.WriteStartArray("children");
        foreach (var child in type.Children)
        {
            WriteField(w, child, ids, ref slot);
        }

        w.WriteEndArray();
        if (dictionary is not null)
        {
            w.WriteStartObject("dictionary");
            w.WriteNumber("id", dictionaryId);
            w.WritePropertyName("indexType");
            JsonTypeWriter.Write(w, dictionary.IndexType!);
            w.WriteBoolean("isOrdered", dictionary.Ordered);
            w.WriteEndObject();
        }

        WriteMetadata(w, metadata);
        w.WriteEndObject();
    }

    private static void WriteMetadata(Utf8JsonWriter w, IReadOnlyCollection<KeyValuePair<string, string>> metadata)
    {
        if (metadata.Count == 0)
        {
            return;
        }

        w.WriteStartArray("metadata");
        foreach (var kv in metadata)
        {
            w.WriteStartObject();
            w.WriteString("key", kv.Key);
            w.WriteString("value", kv.Value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
