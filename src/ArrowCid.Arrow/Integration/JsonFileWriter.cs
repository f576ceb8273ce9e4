using System.Text.Json;

namespace ArrowCid.Arrow.Integration;

/// <summary>Writes a whole integration JSON document: schema, dictionaries, batches.</summary>
internal static class JsonFileWriter
{
    public static void Write(Utf8JsonWriter w, IntegrationFile file)
    {
        var ids = JsonDictionaryIds.Assign(file);
        w.WriteStartObject();
        w.WritePropertyName("schema");
        JsonSchemaWriter.Write(w, file.Schema, ids);

        var dictionaries = ids.Dictionaries.ToList();
        if (dictionaries.Count > 0)
        {
            w.WriteStartArray("dictionaries");
            foreach (var (id, values) in dictionaries)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteStartObject("data");
                w.WriteNumber("count", values.Length);
                w.WriteStartArray("columns");
                JsonColumnWriter.Write(w, $"DICT{id}", values);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteStartArray("batches");
        foreach (var batch in file.Batches)
        {
            w.WriteStartObject();
            w.WriteNumber("count", batch.Length);
            w.WriteStartArray("columns");
            for (int c = 0; c < batch.Columns.Length; c++)
            {
                JsonColumnWriter.Write(w, file.Schema.Fields[c].Name, batch.Columns[c]);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
