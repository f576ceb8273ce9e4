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
        new(MetadataWriter.SchemaMessage(schema, options.SortMetadata), Array.Empty<ReadOnlyMemory<byte>>(), Array.Empty<int>(), 0);

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
    public static EncodedMessage EncodeRecordBatch(RecordBatch batch, IpcWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var scratch = Scratch.Rent();
        try
        {
            return Encode(batch.Length, BodyPlanner.Plan(batch, scratch.Plan), options, dictionaryId: null, isDelta: false, scratch);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    /// <summary>Encodes a DictionaryBatch message holding <paramref name="values"/>.</summary>
    public static EncodedMessage EncodeDictionary(long id, ArrayData values, bool isDelta, IpcWriteOptions options)
    {
        ArgumentNullException.ThrowIfNull(values);
        var scratch = Scratch.Rent();
        try
        {
            return Encode(values.Length, BodyPlanner.Plan(values, scratch.Plan), options, id, isDelta, scratch);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    private static EncodedMessage Encode(long length, BodyPlan plan, IpcWriteOptions options, long? dictionaryId, bool isDelta, Scratch scratch)
    {
        int alignment = options.BufferAlignment;
        if (alignment is not (8 or 64))
        {
            throw new ArgumentException("buffer alignment must be 8 or 64", nameof(options));
        }

        var body = new ReadOnlyMemory<byte>[plan.Buffers.Count];
        var padding = new int[plan.Buffers.Count];
        var locations = scratch.Locations;
        locations.Clear();
        long at = 0;
        for (int i = 0; i < body.Length; i++)
        {
            var buffer = plan.Buffers[i];
            var stored = buffer;
            if (options.Compression != CompressionCodec.None)
            {
                var writer = new ArrayBufferWriter<byte>(buffer.Length + 16);
                BodyCompression.CompressBuffer(options.Compression, buffer.Span, writer);
                stored = writer.WrittenMemory;
            }

            int pad = (int)(BitUtil.RoundUp(stored.Length, alignment) - stored.Length);
            body[i] = stored;
            padding[i] = pad;
            locations.Add((at, stored.Length));
            at += stored.Length + pad;
        }

        var b = scratch.Builder;
        b.Clear();
        int recordBatch = MetadataWriter.WriteRecordBatch(b, length, plan, locations, options.Compression);
        byte[] metadata = dictionaryId is long id
            ? MetadataWriter.FinishMessage(b, FbMessageHeader.DictionaryBatch, MetadataWriter.WriteDictionaryBatch(b, id, recordBatch, isDelta), at)
            : MetadataWriter.FinishMessage(b, FbMessageHeader.RecordBatch, recordBatch, at);
        return new EncodedMessage(metadata, body, padding, at);
    }

    /// <summary>
    /// What encoding one message needs only while it runs (the body plan, the buffer locations, the
    /// flatbuffer builder), kept per thread: a small batch's message otherwise allocates them anew,
    /// with their lists grown by doubling, several times a put. Taken off the thread while in use,
    /// so a nested encode on the same thread gets its own.
    /// </summary>
    private sealed class Scratch
    {
        // Larger than this, a message's builder is not kept (its buffer would stay with the thread).
        private const int MaxKeptBuilderBytes = 64 * 1024;

        [ThreadStatic]
        private static Scratch? t_kept;

        public BodyPlan Plan { get; } = new();

        public List<(long Offset, long Length)> Locations { get; } = [];

        public FlatBufferBuilder Builder { get; } = new();

        public static Scratch Rent()
        {
            var scratch = t_kept ?? new Scratch();
            t_kept = null;
            return scratch;
        }

        public static void Return(Scratch scratch)
        {
            // Nothing of the message may stay reachable from the thread: the plan references the batch's
            // memory. (The locations and the builder hold only numbers and bytes; Encode clears them.)
            scratch.Plan.Clear();
            if (scratch.Builder.Capacity <= MaxKeptBuilderBytes && scratch.Locations.Capacity <= 4096)
            {
                t_kept = scratch;
            }
        }
    }
}
