using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ArrowCid.Wire;

/// <summary>
/// Times as every document of ArrowCid writes them: ISO 8601 round-trip form
/// (<c>2026-11-25T21:01:53.1234567+00:00</c>, always seven fraction digits and an offset), which
/// Python's <c>datetime.fromisoformat</c>, JavaScript's <c>Date</c> and chrono all read.
/// </summary>
internal sealed class WireTimeConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw new JsonException("not an ISO 8601 time");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<char> text = stackalloc char[40];
        writer.WriteStringValue(value.TryFormat(text, out int written, "O", CultureInfo.InvariantCulture) ? text[..written] : value.ToString("O", CultureInfo.InvariantCulture));
    }
}
