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
                _dictionaries = new DictionaryMemo(message.Dictionaries!, _options.Validation, _options.NewBudget());
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
    public static IEnumerable<(ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Body)> Split(ReadOnlyMemory<byte> stream) =>
        EnumerateMessages(stream).Select(m => (m.Metadata, m.Body));

    /// <summary>
    /// The messages of an encapsulated IPC stream held in memory, in order, each with where it
    /// lies, its kind and its metadata and body sliced in place (nothing is copied). Stops at the
    /// end-of-stream marker (or at the end of the input); a message that does not fit, or whose
    /// metadata is malformed, raises <see cref="ArrowFormatException"/> with <see cref="ArrowFormatException.Offset"/>
    /// a position in <paramref name="stream"/>. The legacy framing (a bare int32 length, before
    /// format 0.15) is accepted: <see cref="IpcStreamMessage.PrefixLength"/> tells it apart.
    /// </summary>
    public static IEnumerable<IpcStreamMessage> EnumerateMessages(ReadOnlyMemory<byte> stream)
    {
        int at = 0;
        while (at < stream.Length)
        {
            var rest = stream.Span[at..];
            if (rest.Length < 8)
            {
                throw new ArrowFormatException($"stream at byte {at}: {rest.Length} trailing bytes are not a message prefix") { Offset = at };
            }

            if (ReadFrame(rest, at, out int length, out int prefix) is not { } header)
            {
                yield break;
            }

            yield return new IpcStreamMessage(at, prefix, header.Kind, stream.Slice(at + prefix, length), stream.Slice(at + prefix + length, (int)header.BodyLength));
            at += prefix + length + (int)header.BodyLength;
        }
    }

    // The framing of the message at `at` (its metadata length and prefix length) and its decoded
    // header; null for the end-of-stream marker (a zero metadata length).
    private static DecodedMessage? ReadFrame(ReadOnlySpan<byte> rest, int at, out int length, out int prefix)
    {
        try
        {
            length = MessageReader.ParseLength(rest, out prefix);
        }
        catch (ArrowFormatException e) when (e.Offset is null)
        {
            throw new ArrowFormatException($"stream at byte {at}: {e.Message}", e) { Offset = at };
        }

        if (length == 0)
        {
            return null;
        }

        if (length > rest.Length - prefix)
        {
            throw new ArrowFormatException($"stream at byte {at}: metadata of {length} bytes runs past the end") { Offset = at };
        }

        DecodedMessage header;
        try
        {
            header = MessageDecoder.Decode(rest.Slice(prefix, length));
        }
        catch (ArrowFormatException e)
        {
            // Offsets inside the flatbuffer become positions in the stream.
            throw new ArrowFormatException($"stream at byte {at}: {e.Message}", e) { Offset = at + prefix + (e.Offset ?? 0), Path = e.Path };
        }

        if (header.BodyLength > rest.Length - prefix - length)
        {
            throw new ArrowFormatException($"stream at byte {at}: body of {header.BodyLength} bytes runs past the end") { Offset = at };
        }

        return header;
    }
}

/// <summary>
/// One message of an encapsulated IPC stream, in place: where it starts, how it is framed, what it
/// holds, and its metadata (the Message flatbuffer) and body as slices of the stream.
/// </summary>
/// <param name="Offset">Where the message (its prefix) starts in the stream.</param>
/// <param name="PrefixLength">8 for the continuation marker and length, 4 for the legacy bare length.</param>
/// <param name="Kind">Schema, DictionaryBatch or RecordBatch.</param>
/// <param name="Metadata">The Message flatbuffer with its padding, without the prefix.</param>
/// <param name="Body">The body, <c>bodyLength</c> bytes.</param>
public readonly record struct IpcStreamMessage(int Offset, int PrefixLength, MessageKind Kind, ReadOnlyMemory<byte> Metadata, ReadOnlyMemory<byte> Body)
{
    /// <summary>Where the body starts in the stream.</summary>
    public int BodyOffset => Offset + PrefixLength + Metadata.Length;

    /// <summary>Where the next message (or the end-of-stream marker) starts.</summary>
    public int End => BodyOffset + Body.Length;

    /// <summary>Bytes the whole message takes: prefix, metadata and body.</summary>
    public int Length => End - Offset;
}
