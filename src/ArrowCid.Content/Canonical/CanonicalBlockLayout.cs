using System.Buffers.Binary;
using ArrowCid.Arrow;
using ArrowCid.Arrow.Ipc;
using ArrowCid.Content.Multiformats;

namespace ArrowCid.Content.Canonical;

/// <summary>
/// Where the messages of a canonical block lie in its bytes, found in one pass over its framing.
/// <para>
/// The Arrow IPC encapsulated message format (Columnar.rst, "Encapsulated message format"): a
/// message is the continuation marker <c>0xFFFFFFFF</c>, an int32 little-endian metadata size that
/// includes the padding to 8 bytes, the <c>Message</c> flatbuffer (Message.fbs: version, header
/// type, header, bodyLength), then a body of <c>bodyLength</c> bytes, a multiple of 8. A stream is a
/// Schema message, then dictionary and record batch messages, ended by the end-of-stream marker
/// <c>0xFFFFFFFF 0x00000000</c>.
/// </para>
/// <para>
/// A canonical block (docs/canonical-form.md, section 1) narrows the stream to: the Schema message
/// (no body), one DictionaryBatch message per dictionary, exactly one RecordBatch message, the
/// end-of-stream marker and nothing after it; every message framed with the continuation marker.
/// Only that framing and each message's header type and body length are read, which costs a few
/// flatbuffer lookups and touches no body: whether the batch is the canonical encoding of its
/// rows is <see cref="CanonicalEncoder.VerifyCanonical(ReadOnlyMemory{byte})"/>'s question.
/// </para>
/// <para>
/// The messages are slices of the block, so the layout is valid as long as the block's memory is.
/// A dataset is streamed from its blocks by sending the dataset's schema message once and each
/// block's <see cref="BatchMessages"/> (its dictionaries and record batch, as stored).
/// </para>
/// </summary>
public sealed class CanonicalBlockLayout
{
    /// <summary>Bytes of the end-of-stream marker (continuation marker and a zero metadata size).</summary>
    public const int EndOfStreamLength = 8;

    private const int ContinuationPrefixLength = 8;
    private const int Alignment = 8;

    private readonly string _what;

    private CanonicalBlockLayout(string what, ReadOnlyMemory<byte> block, IpcStreamMessage schema, IpcStreamMessage[] dictionaries, IpcStreamMessage recordBatch)
    {
        _what = what;
        Block = block;
        Schema = schema;
        Dictionaries = dictionaries;
        RecordBatch = recordBatch;
    }

    /// <summary>The block's bytes.</summary>
    public ReadOnlyMemory<byte> Block { get; }

    /// <summary>The Schema message, at offset 0.</summary>
    public IpcStreamMessage Schema { get; }

    /// <summary>The DictionaryBatch messages in order (none when no field is dictionary-encoded).</summary>
    public IReadOnlyList<IpcStreamMessage> Dictionaries { get; }

    /// <summary>The one RecordBatch message.</summary>
    public IpcStreamMessage RecordBatch { get; }

    /// <summary>Where the end-of-stream marker starts: the last <see cref="EndOfStreamLength"/> bytes.</summary>
    public int EndOfStreamOffset => RecordBatch.End;

    /// <summary>The Schema message in encapsulated form (prefix and metadata): the block's first bytes.</summary>
    public ReadOnlyMemory<byte> SchemaMessage => Block[..Schema.End];

    /// <summary>The dictionary and record batch messages in encapsulated form, as stored: everything between the schema message and the end-of-stream marker.</summary>
    public ReadOnlyMemory<byte> BatchMessages => Block[Schema.End..EndOfStreamOffset];

    /// <summary>Every message in stream order: schema, dictionaries, record batch.</summary>
    public IEnumerable<IpcStreamMessage> Messages => [Schema, .. Dictionaries, RecordBatch];

    /// <summary>Lays out a block's bytes.</summary>
    /// <param name="block">The bytes of a block (from outside: every length is checked).</param>
    /// <param name="cid">The block's CID, named in error messages; null when unknown.</param>
    /// <returns>The layout, over <paramref name="block"/>.</returns>
    /// <exception cref="ContentFormatException">The bytes are not laid out as a canonical block; <see cref="ContentFormatException.Offset"/> is where in them the problem is.</exception>
    public static CanonicalBlockLayout Parse(ReadOnlyMemory<byte> block, Cid? cid = null) =>
        Parse(block, cid is null ? "canonical block" : $"canonical block {cid}", null);

    /// <summary>
    /// Lays out a chunk of a table whose encapsulated schema message is <paramref name="schemaMessage"/>:
    /// the block must open with exactly those bytes (as <see cref="RequireSchemaMessage"/> checks),
    /// which are then not decoded again, so streaming a table decodes its schema once rather than
    /// once per chunk. Otherwise the same checks as <see cref="Parse(ReadOnlyMemory{byte}, Cid?)"/>.
    /// </summary>
    /// <param name="block">The bytes of a chunk block (from outside: every length is checked).</param>
    /// <param name="schemaMessage">The table's schema message, encapsulated (continuation marker, length, metadata).</param>
    /// <param name="cid">The block's CID, named in error messages; null when unknown.</param>
    /// <returns>The layout, over <paramref name="block"/>.</returns>
    /// <exception cref="ContentFormatException">The block's schema message is not the table's, or the bytes are not laid out as a canonical block.</exception>
    public static CanonicalBlockLayout ParseChunk(ReadOnlyMemory<byte> block, ReadOnlySpan<byte> schemaMessage, Cid? cid = null)
    {
        string what = cid is null ? "canonical block" : $"canonical block {cid}";
        var opening = block.Span[..Math.Min(block.Length, schemaMessage.Length)];
        if (schemaMessage.Length <= ContinuationPrefixLength || !opening.SequenceEqual(schemaMessage))
        {
            throw new ContentFormatException($"{what}: its schema message is not the dataset's", opening.CommonPrefixLength(schemaMessage));
        }

        var schema = new IpcStreamMessage(0, ContinuationPrefixLength, MessageKind.Schema, block[ContinuationPrefixLength..schemaMessage.Length], ReadOnlyMemory<byte>.Empty);
        return Parse(block, what, schema);
    }

    /// <summary>The one pass of both parses; <paramref name="knownSchema"/>, when given, is the block's schema message, already checked, and the pass starts after it.</summary>
    private static CanonicalBlockLayout Parse(ReadOnlyMemory<byte> block, string what, IpcStreamMessage? knownSchema)
    {
        IpcStreamMessage? schema = knownSchema;
        IpcStreamMessage? recordBatch = null;
        var dictionaries = new List<IpcStreamMessage>();
        IpcStreamMessage? dictionaryAfterBatch = null;
        int start = knownSchema?.End ?? 0;
        int end = start;
        try
        {
            foreach (var found in IpcMessageDecoder.EnumerateMessages(block[start..]))
            {
                // Offsets in the whole block, for errors and the layout.
                var message = found with { Offset = found.Offset + start };
                RequireFraming(message, what);
                if (schema is null)
                {
                    schema = message.Kind == MessageKind.Schema
                        ? message
                        : throw new ContentFormatException($"{what}: the first message is a {message.Kind}, not the Schema message", message.Offset);
                    if (message.Body.Length != 0)
                    {
                        throw new ContentFormatException($"{what}: the Schema message has a body of {message.Body.Length} bytes", message.BodyOffset);
                    }
                }
                else
                {
                    switch (message.Kind)
                    {
                        case MessageKind.DictionaryBatch when recordBatch is null:
                            dictionaries.Add(message);
                            break;
                        case MessageKind.DictionaryBatch:
                            // Read on: a stream that goes on to another batch is told apart from a stray dictionary.
                            dictionaryAfterBatch ??= message;
                            break;
                        case MessageKind.RecordBatch when recordBatch is null:
                            recordBatch = message;
                            break;
                        case MessageKind.RecordBatch:
                            throw new ContentFormatException($"{what}: holds more than one record batch (a second RecordBatch message)", message.Offset);
                        default:
                            throw new ContentFormatException($"{what}: a second Schema message", message.Offset);
                    }
                }

                end = message.End;
            }
        }
        catch (ArrowFormatException e)
        {
            throw new ContentFormatException($"{what}: not a valid Arrow IPC stream: {e.Message}", e.Offset is { } at ? at + start : end);
        }

        if (schema is not { } schemaMessage)
        {
            throw new ContentFormatException($"{what}: no Schema message (the block is {block.Length} bytes)", 0);
        }

        if (recordBatch is not { } batch)
        {
            throw new ContentFormatException($"{what}: holds no record batch", end);
        }

        if (dictionaryAfterBatch is { } stray)
        {
            throw new ContentFormatException($"{what}: a DictionaryBatch message after the record batch (dictionaries come before it)", stray.Offset);
        }

        RequireEndOfStream(block.Span, end, what);
        return new CanonicalBlockLayout(what, block, schemaMessage, [.. dictionaries], batch);
    }

    /// <summary>
    /// Checks that the block opens with exactly <paramref name="expected"/>, the encapsulated schema
    /// message of the dataset it belongs to (<c>DatasetManifest.SchemaMessage</c>).
    /// </summary>
    /// <param name="expected">The schema message the block must start with.</param>
    /// <exception cref="ContentFormatException">The block's schema message differs; the offset is the first differing byte.</exception>
    public void RequireSchemaMessage(ReadOnlySpan<byte> expected)
    {
        var actual = SchemaMessage.Span;
        if (!actual.SequenceEqual(expected))
        {
            throw new ContentFormatException($"{_what}: its schema message is not the dataset's", actual.CommonPrefixLength(expected));
        }
    }

    private static void RequireFraming(IpcStreamMessage message, string what)
    {
        if (message.PrefixLength != ContinuationPrefixLength)
        {
            throw new ContentFormatException($"{what}: a {message.Kind} message framed without the continuation marker (the pre-0.15 framing)", message.Offset);
        }

        if (message.Metadata.Length % Alignment != 0)
        {
            throw new ContentFormatException($"{what}: the {message.Kind} message's metadata size {message.Metadata.Length} is not a multiple of {Alignment}", message.Offset + 4);
        }

        if (message.Body.Length % Alignment != 0)
        {
            throw new ContentFormatException($"{what}: the {message.Kind} message's body of {message.Body.Length} bytes is not a multiple of {Alignment}", message.BodyOffset);
        }
    }

    private static void RequireEndOfStream(ReadOnlySpan<byte> block, int at, string what)
    {
        var rest = block[at..];
        if (!EncodedMessage.StartsWithEndOfStream(rest))
        {
            throw new ContentFormatException($"{what}: no end-of-stream marker after the record batch ({rest.Length} bytes left)", at);
        }

        if (rest.Length > EndOfStreamLength)
        {
            throw new ContentFormatException($"{what}: {rest.Length - EndOfStreamLength} bytes after the end-of-stream marker", at + EndOfStreamLength);
        }
    }
}
