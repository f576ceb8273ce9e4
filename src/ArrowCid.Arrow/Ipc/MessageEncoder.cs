using System.Buffers;
using ArrowCid.Arrow.Arrays;
using ArrowCid.Arrow.Compression;
using ArrowCid.Arrow.FlatBuffers;
using ArrowCid.Arrow.Memory;
using ArrowCid.Arrow.Types;

namespace ArrowCid.Arrow.Ipc;

/// <summary>
/// The pure encoder: turns schemas, record batches and dictionaries into encapsulated messages
/// without doing any I/O. Stream and file writers, Flight and shared memory all use it.
/// </summary>
public static class MessageEncoder
{
    /// <summary>Encodes the Schema message.</summary>
    public static EncodedMessage EncodeSchema(Schema schema, IpcWriteOptions options) =>
        new(MetadataWriter.SchemaMessage(schema, options.SortMetadata), [], [], 0);

    /// <summary>
    /// The messages that carry <paramref name="batch"/> after the schema: one dictionary batch per
    /// dictionary (ids as the schema message assigns them, inner dictionaries first), then the
    /// record batch. Transports that send messages one by one (Flight) use this.
    /// </summary>
    public static IEnumerable<EncodedMessage> EncodeBatchWithDictionaries(RecordBatch batch, IpcWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var (id, values) in MetadataWriter.CollectDictionaries(batch))
        {
            yield return EncodeDictionary(id, values, false, options);
        }

        yield return EncodeRecordBatch(batch, options);
    }

    /// <summary>Encodes a RecordBatch message.</summary>
    public static EncodedMessage EncodeRecordBatch(RecordBatch batch, IpcWriteOptions options) =>
        Encode(batch.Length, BodyPlanner.Plan(batch), options, dictionaryId: null, isDelta: false);

    /// <summary>Encodes a DictionaryBatch message holding <paramref name="values"/>.</summary>
    public static EncodedMessage EncodeDictionary(long id, ArrayData values, bool isDelta, IpcWriteOptions options) =>
        Encode(values.Length, BodyPlanner.Plan(values), options, id, isDelta);

    private static EncodedMessage Encode(long length, BodyPlan plan, IpcWriteOptions options, long? dictionaryId, bool isDelta)
    {
        int alignment = options.BufferAlignment;
        if (alignment is not (8 or 64))
        {
            throw new ArgumentException("buffer alignment must be 8 or 64", nameof(options));
        }

        var body = new List<ReadOnlyMemory<byte>>(plan.Buffers.Count);
        var padding = new List<int>(plan.Buffers.Count);
        var locations = new List<(long Offset, long Length)>(plan.Buffers.Count);
        long at = 0;
        foreach (var buffer in plan.Buffers)
        {
            var stored = buffer;
            if (options.Compression != CompressionCodec.None)
            {
                var writer = new ArrayBufferWriter<byte>(buffer.Length + 16);
                BodyCompression.CompressBuffer(options.Compression, buffer.Span, writer);
                stored = writer.WrittenMemory;
            }

            int pad = (int)(BitUtil.RoundUp(stored.Length, alignment) - stored.Length);
            body.Add(stored);
            padding.Add(pad);
            locations.Add((at, stored.Length));
            at += stored.Length + pad;
        }

        var b = new FlatBufferBuilder();
        int recordBatch = MetadataWriter.WriteRecordBatch(b, length, plan, locations, options.Compression);
        byte[] metadata = dictionaryId is long id
            ? MetadataWriter.FinishMessage(b, FbMessageHeader.DictionaryBatch, MetadataWriter.WriteDictionaryBatch(b, id, recordBatch, isDelta), at)
            : MetadataWriter.FinishMessage(b, FbMessageHeader.RecordBatch, recordBatch, at);
        return new EncodedMessage(metadata, body, padding, at);
    }
}
