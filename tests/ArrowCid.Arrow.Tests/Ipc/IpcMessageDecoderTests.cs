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
    public void A_batch_before_the_schema_is_refused()
    {
        var expected = IntegrationJson.Read(GoldenFiles.PathOf("1.0.0-littleendian/generated_primitive", ".json.gz"));
        var message = MessageEncoder.EncodeRecordBatch(expected.Batches[0], IpcWriteOptions.Default);
        Assert.Throws<ArrowFormatException>(() => new IpcMessageDecoder().Decode(message.Metadata, message.BodyToArray()));
    }
}
