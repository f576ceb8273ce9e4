using ArrowCid.Arrow.Integration;
using ArrowCid.Arrow.Ipc;

namespace ArrowCid.Arrow.Tests.Ipc;

/// <summary>Message-at-a-time encoding and decoding, as Flight and shared memory use it.</summary>
public class IpcMessageDecoderTests
{
    public static IEnumerable<object[]> Cases() => GoldenFiles.Cases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Messages_encoded_one_by_one_decode_to_the_same_batches(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        var decoder = new IpcMessageDecoder();
        var schemaMessage = MessageEncoder.EncodeSchema(expected.Schema, IpcWriteOptions.Default);
        Assert.Null(decoder.Decode(schemaMessage.Metadata, schemaMessage.BodyToArray()));

        var batches = new List<ArrowCid.Arrow.Arrays.RecordBatch>();
        foreach (var batch in expected.Batches)
        {
            foreach (var message in MessageEncoder.EncodeBatchWithDictionaries(batch, IpcWriteOptions.Default))
            {
                if (decoder.Decode(message.Metadata, message.BodyToArray()) is { } decoded)
                {
                    batches.Add(decoded);
                }
            }
        }

        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(decoder.Schema!, batches)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Split_cuts_a_golden_stream_into_messages_that_decode_equal(string name)
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz"));
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        var decoder = new IpcMessageDecoder();
        var batches = IpcMessageDecoder.Split(stream)
            .Select(m => decoder.Decode(m.Metadata.Span, m.Body))
            .OfType<ArrowCid.Arrow.Arrays.RecordBatch>()
            .ToList();
        Assert.Null(IntegrationValidator.Compare(expected, new IntegrationFile(decoder.Schema!, batches)));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EnumerateMessages_places_each_message_where_the_stream_holds_it(string name)
    {
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf(name, ".stream"));
        var messages = IpcMessageDecoder.EnumerateMessages(stream).ToList();

        Assert.Equal(MessageKind.Schema, messages[0].Kind);
        int at = 0;
        foreach (var message in messages)
        {
            // Each message starts where the one before ended; metadata and body are the stream's own bytes.
            Assert.Equal(at, message.Offset);
            Assert.Equal(8, message.PrefixLength);
            Assert.True(stream.AsSpan(message.Offset + 8, message.Metadata.Length).SequenceEqual(message.Metadata.Span));
            Assert.True(stream.AsSpan(message.BodyOffset, message.Body.Length).SequenceEqual(message.Body.Span));
            at = message.End;
        }

        Assert.Equal(IpcMessageDecoder.Split(stream).Count(), messages.Count);
        Assert.Equal(messages.Count(m => m.Kind == MessageKind.RecordBatch), IntegrationJson.Read(GoldenFiles.PathOf(name, ".json.gz")).Batches.Count);
    }

    [Fact]
    public void Malformed_metadata_is_reported_at_a_position_inside_its_message()
    {
        byte[] stream = File.ReadAllBytes(GoldenFiles.PathOf("1.0.0-littleendian/generated_primitive", ".stream"));
        var second = IpcMessageDecoder.EnumerateMessages(stream).ElementAt(1);
        byte[] broken = stream.ToArray();
        // The flatbuffer's root offset, pointed far outside the metadata.
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(broken.AsSpan(second.Offset + 8), 1 << 30);

        var error = Assert.Throws<ArrowFormatException>(() => IpcMessageDecoder.EnumerateMessages(broken).ToList());

        Assert.InRange(error.Offset!.Value, second.Offset, second.BodyOffset);
    }

    [Fact]
    public void Streams_with_the_same_schema_bytes_share_one_decoded_schema_and_other_bytes_get_their_own()
    {
        var fields = new[] { new Types.Field("id", Types.ArrowType.Int64, nullable: false), new Types.Field("name", Types.ArrowType.Utf8, nullable: true) };
        var schema = new Types.Schema(fields, [new("a", "1"), new("b", "2")]);
        // Equal as schemas (metadata is a set), but other bytes: the order a peer sent must come back.
        var reordered = new Types.Schema(fields, [new("b", "2"), new("a", "1")]);
        byte[] bytes = MessageEncoder.EncodeSchema(schema, IpcWriteOptions.Default).Metadata.ToArray();
        byte[] reorderedBytes = MessageEncoder.EncodeSchema(reordered, IpcWriteOptions.Default).Metadata.ToArray();

        var first = DecodedSchemaOf(bytes.ToArray());
        var other = DecodedSchemaOf(reorderedBytes);
        // The cache is the process's: tests decoding beside this one may fill it and start it over
        // between two decodes, but not every time.
        bool shared = Enumerable.Range(0, 100).Any(_ => ReferenceEquals(DecodedSchemaOf(bytes.ToArray()), DecodedSchemaOf(bytes.ToArray())));

        Assert.True(shared, "two decodes of the same schema bytes gave two schema objects every time");
        Assert.Equal(schema, first);
        Assert.Equal(schema.Metadata.ToList(), first.Metadata.ToList());
        Assert.NotSame(first, other);
        Assert.Equal(reordered.Metadata.ToList(), other.Metadata.ToList());
        Assert.InRange(DecodedSchemaCache.Count, 1, DecodedSchemaCache.MaxEntries);
    }

    [Fact]
    public void A_malformed_schema_message_is_refused_every_time_it_comes()
    {
        var schema = new Types.Schema([new Types.Field("malformed_schema_test", Types.ArrowType.Int32, nullable: true)]);
        byte[] bytes = MessageEncoder.EncodeSchema(schema, IpcWriteOptions.Default).Metadata.ToArray();
        Assert.Equal(schema, DecodedSchemaOf(bytes));
        // The same message cut short: its tables run past the end.
        byte[] truncated = bytes[..(bytes.Length / 2)];
        byte[] misrooted = bytes.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(misrooted, 1 << 30);

        Assert.Throws<ArrowFormatException>(() => DecodedSchemaOf(truncated));
        Assert.Throws<ArrowFormatException>(() => DecodedSchemaOf(truncated));
        Assert.Throws<ArrowFormatException>(() => DecodedSchemaOf(misrooted));
        Assert.Equal(schema, DecodedSchemaOf(bytes));
    }

    private static Types.Schema DecodedSchemaOf(byte[] metadata)
    {
        var decoder = new IpcMessageDecoder();
        Assert.Null(decoder.Decode(metadata, ReadOnlyMemory<byte>.Empty));
        return decoder.Schema!;
    }

    [Fact]
    public void A_batch_before_the_schema_is_refused()
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf("1.0.0-littleendian/generated_primitive", ".json.gz"));
        var message = MessageEncoder.EncodeRecordBatch(expected.Batches[0], IpcWriteOptions.Default);
        Assert.Throws<ArrowFormatException>(() => new IpcMessageDecoder().Decode(message.Metadata, message.BodyToArray()));
    }
}
