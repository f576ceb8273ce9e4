using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace ArrowCid.Arrow.Integration;

/// <summary>
/// Typed access to integration JSON elements. Every accessor names where it is reading in the
/// <see cref="ArrowFormatException"/> it throws, so a malformed file points at the bad member.
/// </summary>
internal static class JsonAccess
{
    public static JsonElement Required(JsonElement obj, string name, string where)
    {
        ExpectKind(obj, JsonValueKind.Object, where);
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ArrowFormatException($"{where}: missing '{name}'");
        }

        return value;
    }

    /// <summary>The member, or null when it is absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement obj, string name)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
        {
            return value;
        }

        return null;
    }

    /// <summary>A JSON array member with exactly <paramref name="length"/> items (any length when negative).</summary>
    public static JsonElement Array(JsonElement obj, string name, string where, int length = -1)
    {
        var value = Required(obj, name, where);
        ExpectKind(value, JsonValueKind.Array, $"{where} '{name}'");
        if (length >= 0 && value.GetArrayLength() != length)
        {
            throw new ArrowFormatException($"{where}: '{name}' has {value.GetArrayLength()} items, expected {length}");
        }

        return value;
    }

    public static void ExpectKind(JsonElement e, JsonValueKind kind, string where)
    {
        if (e.ValueKind != kind)
        {
            throw new ArrowFormatException($"{where}: expected a JSON {kind.ToString().ToLowerInvariant()}, got {e.ValueKind.ToString().ToLowerInvariant()}");
        }
    }

    public static string String(JsonElement e, string where)
    {
        ExpectKind(e, JsonValueKind.String, where);
        return e.GetString()!;
    }

    public static bool Bool(JsonElement e, string where) => e.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        // Integration.rst spells booleans as 1/0; the generated files use true/false.
        JsonValueKind.Number when e.TryGetInt32(out int n) && n is 0 or 1 => n == 1,
        _ => throw new ArrowFormatException($"{where}: expected a boolean, got {e.GetRawText()}"),
    };

    /// <summary>An integer written as a JSON number or as a decimal string (64-bit values are strings).</summary>
    public static BigInteger Integer(JsonElement e, string where)
    {
        string text = e.ValueKind switch
        {
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.String => e.GetString()!,
            _ => throw new ArrowFormatException($"{where}: expected an integer, got {e.GetRawText()}"),
        };
        if (!BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new ArrowFormatException($"{where}: '{text}' is not an integer");
        }

        return value;
    }

    public static long Int64(JsonElement e, string where) => InRange(Integer(e, where), long.MinValue, long.MaxValue, where);

    public static int Int32(JsonElement e, string where) => (int)InRange(Integer(e, where), int.MinValue, int.MaxValue, where);

    public static long InRange(BigInteger value, BigInteger min, BigInteger max, string where)
    {
        if (value < min || value > max)
        {
            throw new ArrowFormatException($"{where}: {value} is outside [{min}, {max}]");
        }

        return (long)value;
    }

    /// <summary>A float written as a JSON number, or as "NaN" / "Infinity" / "-Infinity" (what JSON numbers cannot hold).</summary>
    public static string FloatText(JsonElement e, string where) => e.ValueKind switch
    {
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.String when e.GetString() is "NaN" or "Infinity" or "-Infinity" => e.GetString()!,
        _ => throw new ArrowFormatException($"{where}: expected a floating-point number, got {e.GetRawText()}"),
    };

    public static byte[] Hex(JsonElement e, string where)
    {
        string text = String(e, where);
        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException ex)
        {
            throw new ArrowFormatException($"{where}: '{Shorten(text)}' is not hex", ex);
        }
    }

    public static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
