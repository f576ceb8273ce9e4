using System.Text.Json.Serialization.Metadata;
using ArrowCid.Wire;

namespace ArrowCid.Flight.Service;

/// <summary>Reading the JSON of a request (commands, action bodies, criteria) into its wire model: what does not fit is INVALID_ARGUMENT naming the member.</summary>
internal static class FlightRequestJson
{
    /// <summary>Reads a request's JSON object as <typeparamref name="T"/>; anything else is INVALID_ARGUMENT.</summary>
    public static T Read<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> type, string what)
        where T : class
    {
        try
        {
            return WireJson.Read(utf8, type, what);
        }
        catch (WireFormatException e)
        {
            throw FlightErrors.Invalid(e.Message);
        }
    }

    /// <summary>A tag map as given (none: empty); a tag without a value is INVALID_ARGUMENT.</summary>
    public static Dictionary<string, string> Tags(IReadOnlyDictionary<string, string>? tags, string name = "tags")
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            // The model reads a JSON null as a null string; a tag's value is always a string.
            map[key] = value ?? throw FlightErrors.Invalid($"'{name}.{key}' must be a string");
        }

        return map;
    }
}
