using System.Text.Json;
using ArrowCid.Arrow.Arrays;
using static ArrowCid.Arrow.Integration.JsonAccess;

namespace ArrowCid.Arrow.Integration;

/// <summary>Reads a parsed integration JSON document: schema, dictionaries (on demand), batches.</summary>
internal static class JsonFileReader
{
    public static IntegrationFile Read(JsonElement root)
    {
        ExpectKind(root, JsonValueKind.Object, "integration JSON");
        var (schema, fields) = JsonSchemaReader.Read(Required(root, "schema", "integration JSON"));
        var reader = new JsonColumnReader(new JsonDictionaryResolver(Optional(root, "dictionaries")));
        var batches = new List<RecordBatch>();
        int b = 0;
        foreach (var batch in Array(root, "batches", "integration JSON").EnumerateArray())
        {
            string where = $"batch {b}";
            int count = (int)InRange(Integer(Required(batch, "count", where), $"{where} count"), 0, int.MaxValue, $"{where} count");
            var columns = Array(batch, "columns", where, fields.Count);
            var arrays = new List<ArrayData>(fields.Count);
            for (int c = 0; c < fields.Count; c++)
            {
                string at = $"{where} column '{fields[c].Field.Name}' ({c})";
                var array = ReadColumn(reader, fields[c], columns[c], at);
                if (array.Length != count)
                {
                    throw new ArrowFormatException($"{at}: {array.Length} rows, the batch has {count}");
                }

                arrays.Add(array);
            }

            batches.Add(new RecordBatch(schema, count, arrays));
            b++;
        }

        return new IntegrationFile(schema, batches);
    }

    private static ArrayData ReadColumn(JsonColumnReader reader, JsonFieldNode field, JsonElement column, string where)
    {
        try
        {
            return reader.Read(field, column, where);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or OverflowException or FormatException
                                   && ex is not ArrowFormatException)
        {
            // A safety net for shapes the explicit checks did not foresee: still one typed error naming the column.
            throw new ArrowFormatException($"{where}: {ex.Message}", ex);
        }
    }
}
