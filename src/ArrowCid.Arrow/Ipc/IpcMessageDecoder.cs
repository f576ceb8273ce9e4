using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// A push decoder for transports that deliver IPC messages one at a time as (metadata, body)
/// pairs — Flight's FlightData (data_header, data_body), a shared-memory ring. Feed the schema
/// message first, then dictionary and record batch messages; bodies are used in place.
/// </summary>
public sealed class IpcMessageDecoder
{
    private readonly IpcReadOptions _options;
    private DictionaryMemo? _dictionaries;

    /// <summary>Creates a decoder.</summary>
    public IpcMessageDecoder(IpcReadOptions? options = null) => _options = options ?? IpcReadOptions.Default;

    /// <summary>The schema, once the schema message has been decoded.</summary>
    public Schema? Schema { get; private set; }

    /// <summary>
    /// Decodes one message: <paramref name="metadata"/> is the Message flatbuffer (no length
    /// prefix), <paramref name="body"/> its body. Returns the record batch for a RecordBatch message,
    /// null for a schema or dictionary message. <paramref name="lease"/> (optional) is shared by the batch.
    /// </summary>
    public RecordBatch? Decode(ReadOnlySpan<byte> metadata, ReadOnlyMemory<byte> body, SharedLease? lease = null)
    {
        var message = MessageDecoder.Decode(metadata);
        if (message.BodyLength > body.Length)
        {
            throw new ArrowFormatException($"message: the body is {body.Length} bytes, the metadata says {message.BodyLength}");
        }

        body = body[..(int)message.BodyLength];
        switch (message.Kind)
        {
            case MessageKind.Schema:
                if (Schema is not null)
                {
                    throw new ArrowFormatException("a second schema message");
                }

                Schema = message.Schema!;
                _dictionaries = new DictionaryMemo(message.Dictionaries!, _options.Validation);
                return null;
            case MessageKind.DictionaryBatch:
                RequireSchema().Apply(message, body, allowReplacement: true);
                return null;
            default:
                return BatchDecoder.Decode(Schema!, message, body, RequireSchema(), _options.Validation, lease);
        }
    }

    private DictionaryMemo RequireSchema() =>
        _dictionaries ?? throw new ArrowFormatException("a dictionary or record batch message arrived before the schema");

    /// <summary>
    /// Splits an encapsulated IPC stream held in memory into (metadata, body) pairs without
    /// copying, stopping at the end-of-stream marker. Each metadata slice excludes the prefix.
    /// </summary>
    public static IEnumerable<(ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Body)> Split(ReadOnlyMemory<byte> stream)
    {
        int at = 0;
        while (at < stream.Length)
        {
            var rest = stream.Span[at..];
            if (rest.Length < 8)
            {
                throw new ArrowFormatException($"stream at byte {at}: {rest.Length} trailing bytes are not a message prefix") { Offset = at };
            }

            int length = MessageReader.ParseLength(rest, out int prefix);
            if (length == 0)
            {
                yield break;
            }

            if (length > rest.Length - prefix)
            {
                throw new ArrowFormatException($"stream at byte {at}: metadata of {length} bytes runs past the end") { Offset = at };
            }

            long bodyLength = MessageDecoder.Decode(rest.Slice(prefix, length)).BodyLength;
            if (bodyLength > rest.Length - prefix - length)
            {
                throw new ArrowFormatException($"stream at byte {at}: body of {bodyLength} bytes runs past the end") { Offset = at };
            }

            yield return (stream.Slice(at + prefix, length), stream.Slice(at + prefix + length, (int)bodyLength));
            at += prefix + length + (int)bodyLength;
        }
    }
}
