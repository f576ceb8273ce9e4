using System.Buffers;
using System.Text.Json;

namespace ArrowCid.Flight.Service;

/// <summary>Small JSON documents (PutResult and Result bodies, announcements) written as UTF-8 bytes.</summary>
internal static class FlightJson
{
    private static readonly JsonWriterOptions Options = new() { Indented = false };

    /// <summary>A thread's buffer above this capacity is not kept for its next document.</summary>
    private const int KeptBufferCapacity = 64 * 1024;

    // Each thread's writer and buffer, reused: a DoPut writes two small documents, and a fresh
    // Utf8JsonWriter over a MemoryStream took a 4 KiB buffer, the stream's growth and a copy each
    // time. Null while in use, so a document written inside another's body gets its own.
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _kept;

    /// <summary>One JSON object, <paramref name="body"/> writing its members, as a new UTF-8 array of its exact length.</summary>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var (buffer, writer) = _kept ?? NewWriter();
        _kept = null;
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartObject();
        body(writer);
        writer.WriteEndObject();
        writer.Flush();
        byte[] document = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity <= KeptBufferCapacity)
        {
            _kept = (buffer, writer);
        }

        return document;

        static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewWriter()
        {
            var buffer = new ArrayBufferWriter<byte>(4096);
            return (buffer, new Utf8JsonWriter(buffer, Options));
        }
    }

    /// <summary>Parses a request's JSON object; anything else is INVALID_ARGUMENT.</summary>
    public static JsonElement ParseObject(ReadOnlySpan<byte> utf8, string what)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw FlightErrors.Invalid($"{what} must be a JSON object");
        }
        catch (JsonException e)
        {
            throw FlightErrors.Invalid($"{what} is not valid JSON: {e.Message}");
        }
    }

    /// <summary>A string-valued map member (tags), or an empty map when absent.</summary>
    public static Dictionary<string, string> StringMap(JsonElement parent, string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!parent.TryGetProperty(name, out var member) || member.ValueKind == JsonValueKind.Null)
        {
            return map;
        }

        if (member.ValueKind != JsonValueKind.Object)
        {
            throw FlightErrors.Invalid($"'{name}' must be an object of strings");
        }

        foreach (var property in member.EnumerateObject())
        {
            map[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw FlightErrors.Invalid($"'{name}.{property.Name}' must be a string");
        }

        return map;
    }

    public static string? OptionalString(JsonElement parent, string name) =>
        !parent.TryGetProperty(name, out var member) || member.ValueKind == JsonValueKind.Null ? null
        : member.ValueKind == JsonValueKind.String ? member.GetString()
        : throw FlightErrors.Invalid($"'{name}' must be a string");

    public static bool? OptionalBool(JsonElement parent, string name) =>
        !parent.TryGetProperty(name, out var member) || member.ValueKind == JsonValueKind.Null ? null
        : member.ValueKind is JsonValueKind.True or JsonValueKind.False ? member.GetBoolean()
        : throw FlightErrors.Invalid($"'{name}' must be true or false");

    public static long? OptionalLong(JsonElement parent, string name) =>
        !parent.TryGetProperty(name, out var member) || member.ValueKind == JsonValueKind.Null ? null
        : member.ValueKind == JsonValueKind.Number && member.TryGetInt64(out long value) ? value
        : throw FlightErrors.Invalid($"'{name}' must be an integer");
}
