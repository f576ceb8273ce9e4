using System.Buffers;
using System.Text.Json;

namespace ArrowCid.Flight;

/// <summary>Small JSON documents (PutResult and Result bodies, announcements) written as UTF-8 bytes.</summary>
public static class FlightJson
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
    /// <param name="body">Writes the members.</param>
    /// <returns>The document.</returns>
    public static byte[] Write(Action<Utf8JsonWriter> body)
    {
        ArgumentNullException.ThrowIfNull(body);
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
}
