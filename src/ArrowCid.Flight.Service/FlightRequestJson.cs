using System.Text.Json;

namespace ArrowCid.Flight.Service;

/// <summary>Reading the JSON of a request (commands, action bodies, criteria): what does not fit is INVALID_ARGUMENT naming the member.</summary>
internal static class FlightRequestJson
{
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
