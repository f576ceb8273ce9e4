using System.Buffers.Binary;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>What an IPC message holds.</summary>
public enum MessageKind
{
    /// <summary>A Schema message.</summary>
    Schema,
    /// <summary>A DictionaryBatch message.</summary>
    DictionaryBatch,
    /// <summary>A RecordBatch message.</summary>
    RecordBatch,
}

/// <summary>The header of a RecordBatch (also the data of a DictionaryBatch), checked and copied out of the flatbuffer.</summary>
internal sealed class RecordBatchHeader
{
    public required long Length { get; init; }

    public required (long Length, long NullCount)[] Nodes { get; init; }

    public required (long Offset, long Length)[] Buffers { get; init; }

    public required long[] VariadicCounts { get; init; }

    public required CompressionCodec Codec { get; init; }
}

/// <summary>A decoded Message flatbuffer.</summary>
internal sealed class DecodedMessage
{
    public required MessageKind Kind { get; init; }

    public required MetadataVersion Version { get; init; }

    public required long BodyLength { get; init; }

    public Schema? Schema { get; init; }

    public DictionaryLayout? Dictionaries { get; init; }

    public RecordBatchHeader? Batch { get; init; }

    public long DictionaryId { get; init; }

    public bool IsDelta { get; init; }
}

/// <summary>
/// The pure decoder: reads one Message flatbuffer (the bytes after the length prefix) with every
/// offset checked, and copies what it says into plain objects. It never touches a body.
/// </summary>
internal static class MessageDecoder
{
    public static DecodedMessage Decode(ReadOnlySpan<byte> metadata)
    {
        var message = FlatTable.GetRoot(metadata);
        var version = (MetadataVersion)message.GetInt16(MessageSlots.Version, 0);
        if (version is < MetadataVersion.V4 or > MetadataVersion.V5)
        {
            throw new ArrowFormatException($"message: metadata version {(short)version + 1} is not supported (V4 and V5 are)");
        }

        long bodyLength = message.GetInt64(MessageSlots.BodyLength, 0);
        if (bodyLength < 0)
        {
            throw new ArrowFormatException($"message: negative body length {bodyLength}");
        }

        if (!message.TryGetUnion(MessageSlots.HeaderType, out byte tag, out FlatTable header))
        {
            throw new ArrowFormatException("message: no header");
        }

        switch ((FbMessageHeader)tag)
        {
            case FbMessageHeader.Schema:
                // The same bytes decode to the same schema: a stream of a schema seen before shares its objects.
                return DecodedSchemaCache.TryGet(metadata, out var known) ? known : DecodedSchemaCache.Add(metadata, new DecodedMessage
                {
                    Kind = MessageKind.Schema, Version = version, BodyLength = bodyLength,
                    Schema = SchemaReader.Read(header, out var dictionaries), Dictionaries = dictionaries,
                });
            case FbMessageHeader.RecordBatch:
                return new DecodedMessage { Kind = MessageKind.RecordBatch, Version = version, BodyLength = bodyLength, Batch = ReadBatch(header, "record batch") };
            case FbMessageHeader.DictionaryBatch:
            {
                if (!header.TryGetTable(DictionaryBatchSlots.Data, out FlatTable data))
                {
                    throw new ArrowFormatException("dictionary batch: no data");
                }

                return new DecodedMessage
                {
                    Kind = MessageKind.DictionaryBatch, Version = version, BodyLength = bodyLength,
                    Batch = ReadBatch(data, "dictionary batch"),
                    DictionaryId = header.GetInt64(DictionaryBatchSlots.Id, 0),
                    IsDelta = header.GetBool(DictionaryBatchSlots.IsDelta, false),
                };
            }

            case FbMessageHeader.Tensor or FbMessageHeader.SparseTensor:
                throw new ArrowFormatException($"message: {(FbMessageHeader)tag} messages are not record batch data and are not supported");
            default:
                throw new ArrowFormatException($"message: unknown header type {tag}");
        }
    }

    private static RecordBatchHeader ReadBatch(FlatTable t, string what)
    {
        long length = t.GetInt64(RecordBatchSlots.Length, 0);
        if (length is < 0 or > int.MaxValue)
        {
            throw new ArrowFormatException($"{what}: length {length} is outside 0..{int.MaxValue}");
        }

        var nodesVector = t.GetVector(RecordBatchSlots.Nodes, 16);
        var nodes = new (long, long)[nodesVector.Length];
        for (int i = 0; i < nodes.Length; i++)
        {
            var s = nodesVector.GetStructBytes(i, 16);
            nodes[i] = (BinaryPrimitives.ReadInt64LittleEndian(s), BinaryPrimitives.ReadInt64LittleEndian(s[8..]));
        }

        var buffersVector = t.GetVector(RecordBatchSlots.Buffers, 16);
        var buffers = new (long, long)[buffersVector.Length];
        for (int i = 0; i < buffers.Length; i++)
        {
            var s = buffersVector.GetStructBytes(i, 16);
            buffers[i] = (BinaryPrimitives.ReadInt64LittleEndian(s), BinaryPrimitives.ReadInt64LittleEndian(s[8..]));
        }

        var variadicVector = t.GetVector(RecordBatchSlots.VariadicBufferCounts, 8);
        var variadic = new long[variadicVector.Length];
        for (int i = 0; i < variadic.Length; i++)
        {
            variadic[i] = variadicVector.Get<long>(i);
        }

        var codec = CompressionCodec.None;
        if (t.TryGetTable(RecordBatchSlots.Compression, out FlatTable compression))
        {
            codec = compression.GetScalar<sbyte>(BodyCompressionSlots.Codec, 0) switch
            {
                0 => CompressionCodec.Lz4Frame,
                1 => CompressionCodec.Zstd,
                var c => throw new ArrowFormatException($"{what}: unknown compression codec {c}"),
            };
            if (compression.GetScalar<sbyte>(BodyCompressionSlots.Method, 0) != 0)
            {
                throw new ArrowFormatException($"{what}: unknown body compression method");
            }
        }

        return new RecordBatchHeader { Length = length, Nodes = nodes, Buffers = buffers, VariadicCounts = variadic, Codec = codec };
    }
}
