using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using ArrowCid.Arrow.Printing;

namespace ArrowCid.Sql;

/// <summary>
/// A query's answer as one JSON document: <c>columns</c> (name and Arrow type), <c>rows</c> (an object a
/// row, by column name), <c>row_count</c>, <c>truncated</c> and <c>inputs</c> (each table read: the
/// reference as written, its name and version when it was a name, its CID). Values: numbers as JSON
/// numbers (NaN and infinities as strings), decimals exact, strings as they are, binary as lower-case
/// hex, lists as arrays, structs as objects, maps as arrays of [key, value], dates and times as ISO 8601.
/// A stored result adds <c>cid</c> (the result's table), <c>version</c> (<c>NAME@N</c>, when the store
/// recorded one) and <c>reused</c> (whether an earlier run's result answered).
/// </summary>
public static class SqlJson
{
    /// <summary>Writes <paramref name="result"/> to <paramref name="output"/>, indented.</summary>
    /// <param name="output">Where the document goes.</param>
    /// <param name="result">The answer.</param>
    /// <param name="stored">Where the answer was stored, when it was.</param>
    public static void Write(Stream output, SqlResult result, SqlStored? stored = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var answer = result.Answer;
        json.WriteStartObject();
        json.WriteStartArray("columns");
        foreach (var field in answer.Schema.Fields)
        {
            json.WriteStartObject();
            json.WriteString("name", field.Name);
            json.WriteString("type", field.Type.ToString());
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("rows");
        foreach (var batch in answer.Batches)
        {
            for (int row = 0; row < batch.Length; row++)
            {
                json.WriteStartObject();
                for (int c = 0; c < batch.Columns.Length; c++)
                {
                    json.WritePropertyName(answer.Schema.Fields[c].Name);
                    WriteValue(json, ArrayPrinter.GetValue(batch.Columns[c], row));
                }

                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
        json.WriteNumber("row_count", answer.Rows);
        json.WriteBoolean("truncated", answer.Truncated);
        SqlProvenance.WriteInputs(json, result.Inputs);
        if (stored is not null)
        {
            json.WriteString("cid", stored.Table.ToString());
            if (stored.Version is { } version)
            {
                json.WriteString("version", Registry.DatasetReference.Format(version.Name, version.Version));
            }

            json.WriteBoolean("reused", stored.Reused);
        }

        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case bool b:
                json.WriteBooleanValue(b);
                break;
            case sbyte or byte or short or ushort or int or uint or long:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                json.WriteNumberValue(u);
                break;
            case Half h:
                WriteFloat(json, (double)h);
                break;
            case float f:
                WriteFloat(json, f);
                break;
            case double d:
                WriteFloat(json, d);
                break;
            case decimal m:
                json.WriteNumberValue(m);
                break;
            case string s:
                json.WriteStringValue(s);
                break;
            case byte[] bytes:
                json.WriteStringValue(Convert.ToHexStringLower(bytes));
                break;
            case DateOnly or DateTimeOffset or DateTime or TimeOnly:
                json.WriteStringValue(Iso8601(value));
                break;
            case IDictionary<string, object?> members:
                json.WriteStartObject();
                foreach (var (name, member) in members)
                {
                    json.WritePropertyName(name);
                    WriteValue(json, member);
                }

                json.WriteEndObject();
                break;
            case IEnumerable<KeyValuePair<object?, object?>> entries:
                json.WriteStartArray();
                foreach (var (key, entry) in entries)
                {
                    json.WriteStartArray();
                    WriteValue(json, key);
                    WriteValue(json, entry);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                break;
            case object?[] items:
                json.WriteStartArray();
                foreach (object? item in items)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            default:
                // Durations, intervals, decimals beyond System.Decimal: as they print.
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static string Iso8601(object value) => value switch
    {
        DateOnly date => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        TimeOnly time => time.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture),
        _ => ((IFormattable)value).ToString("O", CultureInfo.InvariantCulture),
    };

    private static void WriteFloat(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }
}
