using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace ArrowCid.Wire;

/// <summary>
/// Writing and reading the documents of <see cref="WireJsonContext"/>: compact UTF-8 for the wire
/// (Flight bodies, HTTP), indented text for people (the CLI's --json), and reading with errors
/// that name the member at fault.
/// </summary>
public static class WireJson
{
    /// <summary>How deep a document read from a peer may nest; ours nest at most three levels.</summary>
    public const int MaxDepth = 16;

    // Documents go to terminals, programs and fetch() (as application/json), never into HTML: only
    // what JSON itself requires is escaped, so a time reads "+00:00", an address "grpc+tcp://…"
    // and a message "no table is named 'x'".
    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A thread's buffer above this capacity is not kept for its next document.</summary>
    private const int KeptBufferCapacity = 64 * 1024;

    // Each thread's writer and buffer, reused: a DoPut writes two small documents, and a fresh
    // Utf8JsonWriter over a MemoryStream took a 4 KiB buffer, the stream's growth and a copy each
    // time. Null while in use, so a document written inside another's gets its own.
    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? _kept;

    /// <summary>A document as compact UTF-8, a new array of its exact length.</summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="value">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <returns>The bytes.</returns>
    public static byte[] ToUtf8<T>(T value, JsonTypeInfo<T> type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var (buffer, writer) = _kept ?? NewWriter();
        _kept = null;
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        JsonSerializer.Serialize(writer, value, type);
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
            return (buffer, new Utf8JsonWriter(buffer, Compact));
        }
    }

    /// <summary>Writes a document as compact UTF-8 to a stream (an HTTP body), escaped as on the wire.</summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="stream">Where it goes.</param>
    /// <param name="value">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>The write.</returns>
    public static Task WriteAsync<T>(Stream stream, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return stream.WriteAsync(ToUtf8(value, type), cancellationToken).AsTask();
    }

    /// <summary>A document as compact text on one line (a JSON line, a metadata value), escaped as on the wire.</summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="value">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <returns>The text.</returns>
    public static string ToText<T>(T value, JsonTypeInfo<T> type) => Encoding.UTF8.GetString(ToUtf8(value, type));

    /// <summary>A document as indented text, for people and scripts (the CLI's --json).</summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="value">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <returns>The text, without a final newline.</returns>
    public static string ToIndentedText<T>(T value, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, Indented))
        {
            JsonSerializer.Serialize(writer, value, type);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Tags in key order (ordinal), as every document lists them.</summary>
    /// <param name="tags">The tags.</param>
    /// <returns>A sorted copy.</returns>
    public static IReadOnlyDictionary<string, string> SortedTags(IReadOnlyDictionary<string, string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            sorted[key] = value;
        }

        return sorted;
    }

    /// <summary>
    /// Reads a document that must be a JSON object of the model. Unknown members are ignored;
    /// a member of the wrong type is named (<c>'limit' must be an integer</c>).
    /// </summary>
    /// <typeparam name="T">The model.</typeparam>
    /// <param name="utf8">The document.</param>
    /// <param name="type">Its type information, from <see cref="WireJsonContext.Default"/>.</param>
    /// <param name="what">What the document is, for the message (<c>DoPut descriptor command</c>).</param>
    /// <returns>The model.</returns>
    /// <exception cref="WireFormatException">The bytes are not JSON, not an object, or a member does not fit.</exception>
    public static T Read<T>(ReadOnlySpan<byte> utf8, JsonTypeInfo<T> type, string what)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(type);
        if (utf8.Trim(" \t\r\n"u8).IsEmpty)
        {
            throw new WireFormatException($"{what} is empty; it must be a JSON object") { Offset = 0 };
        }

        // The syntax first, so a type error below is the model's and a syntax error says so.
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new WireFormatException($"{what} must be a JSON object") { Offset = 0 };
            }

            while (reader.Read())
            {
            }
        }
        catch (JsonException e)
        {
            throw new WireFormatException($"{what} is not valid JSON: {Shorten(e.Message)}", e) { Offset = reader.BytesConsumed };
        }

        try
        {
            return JsonSerializer.Deserialize(utf8, type) ?? throw new WireFormatException($"{what} must be a JSON object") { Offset = 0 };
        }
        catch (JsonException e)
        {
            string member = MemberOf(e.Path);
            string expected = member.Length == 0 ? "a JSON object" : Expected(type, member);
            throw new WireFormatException(member.Length == 0 ? $"{what} must be {expected}" : $"{what}: '{member}' must be {expected}", e)
            {
                Offset = e.LineNumber == 0 ? e.BytePositionInLine : null,
                Path = member.Length == 0 ? null : member,
            };
        }
    }

    /// <summary>The reader's message without its position suffix, which <see cref="WireFormatException.Offset"/> carries.</summary>
    private static string Shorten(string message)
    {
        int at = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (at < 0 ? message : message[..at]).TrimEnd(' ', '|', '.');
    }

    /// <summary><c>$.subscribe.after</c> → <c>subscribe.after</c>; <c>$.tags['a b']</c> → <c>tags.a b</c>.</summary>
    private static string MemberOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return string.Empty;
        }

        var segments = new List<string>();
        int at = path.StartsWith('$') ? 1 : 0;
        while (at < path.Length)
        {
            if (path[at] == '.')
            {
                int end = path.IndexOfAny(['.', '['], at + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(at + 1)..end]);
                at = end;
            }
            else if (path[at] == '[')
            {
                int end = path.IndexOf(']', at);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(at + 1)..end].Trim('\''));
                at = end + 1;
            }
            else
            {
                at++;
            }
        }

        return string.Join('.', segments);
    }

    /// <summary>What the model expects at a member, in words a Python or JavaScript caller knows.</summary>
    private static string Expected(JsonTypeInfo root, string member)
    {
        JsonTypeInfo? at = root;
        foreach (string segment in member.Split('.'))
        {
            at = at?.Kind switch
            {
                JsonTypeInfoKind.Object => at.Properties.FirstOrDefault(p => p.Name == segment) is { } property ? at.Options.GetTypeInfo(property.PropertyType) : null,
                JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Enumerable when at.ElementType is { } element => at.Options.GetTypeInfo(element),
                _ => null,
            };
        }

        if (at is null)
        {
            return "of another type";
        }

        var type = Nullable.GetUnderlyingType(at.Type) ?? at.Type;
        return at.Kind switch
        {
            JsonTypeInfoKind.Dictionary when at.ElementType == typeof(string) => "an object of strings",
            JsonTypeInfoKind.Dictionary or JsonTypeInfoKind.Object => "a JSON object",
            JsonTypeInfoKind.Enumerable => "an array",
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(long) || type == typeof(int) => "an integer",
            _ when type == typeof(double) => "a number",
            _ when type == typeof(DateTimeOffset) => "an ISO 8601 time",
            _ => "of another type",
        };
    }
}
