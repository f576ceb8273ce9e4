using System.Text.Json;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Writes the <c>schema</c> object. Dictionary types become the value type plus a <c>dictionary</c>
/// member; extension types become their storage type plus the <c>ARROW:extension:*</c> metadata,
/// as in IPC.
/// </summary>
internal static class JsonSchemaWriter
{
    private const string ExtensionNameKey = "ARROW:extension:name";
    private const string ExtensionMetadataKey = "ARROW:extension:metadata";

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
        var metadata = field.Metadata.ToList();
        var type = field.Type;
        ArrowType? dictionary = null;
        long dictionaryId = 0;
        while (true)
        {
            if (type.Id == ArrowTypeId.Extension)
            {
                AddIfMissing(metadata, ExtensionNameKey, type.ExtensionName!);
                AddIfMissing(metadata, ExtensionMetadataKey, type.ExtensionMetadata ?? string.Empty);
                type = type.StorageType!;
            }
            else if (type.Id == ArrowTypeId.Dictionary && dictionary is null)
            {
                // The id is taken here, before the children, in the order JsonDictionaryIds numbered the slots.
                dictionary = type;
                dictionaryId = ids.SlotIds[slot++];
                type = type.ValueType!;
            }
            else if (type.Id == ArrowTypeId.Dictionary)
            {
                throw new ArgumentException($"field '{field.Name}': a dictionary of dictionaries cannot be written", nameof(field));
            }
            else
            {
                break;
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

    private static void AddIfMissing(List<KeyValuePair<string, string>> metadata, string key, string value)
    {
        if (!metadata.Exists(kv => kv.Key == key))
        {
            metadata.Add(new(key, value));
        }
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
